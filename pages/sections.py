"""Rendered HTML of the sections every visitor shares, cached (core/cache.py).

Caching a section's data (core.cache.cached) saves its queries, but most of a page's
time went to rendering it: Django's template engine resolves every variable, filter and
{% include %} of every row on every request (72-81% of a title or browse page). So the
parts of a page that are the same for everyone are cached here as HTML, under the same
generations as their data: a write that bumps a scope makes the next request render
them afresh. Personal parts (the viewer's rating, probable score, likes, TCIs, forms
with CSRF tokens) are never in these fragments; a fragment that would differ per viewer
is cached only for signed-out visitors, or keyed by what varies (the viewer's scale).

Fragments hold no CSRF token, no session data and no per-request URL other than the
query string they are keyed by.
"""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from catalog import selectors as catalog_selectors
from core import cache as section_cache
from ratings import scales

TITLE_PAGE = "title-page"
TITLE_REVIEWS = "title-reviews"
TITLE_COLLECTIONS = "title-collections"
PROFILE = "profile"


def _render(template: str, context: dict, request: HttpRequest | None = None) -> str:
    return str(render_to_string(template, context, request))


def prefers_compact(request: HttpRequest) -> bool:
    """The compact view of a title's reviews: the member's setting, or the session's."""
    if request.user.is_authenticated:
        return request.user.prefers_compact
    return bool(request.session.get("prefers_compact", False))


# Where a signed-in viewer's personal parts of a shared ratings row go (see
# TitlePage.reviews): a comment, so it can never come from a member's text (reviews are
# escaped, and "<" with them).
VIEWER_SLOT = "<!--viewer-part-->"


def shares_members_list(request: HttpRequest) -> bool:
    """Whether a signed-in viewer sees the ratings list every member sees, so its rows
    can be cached once for all of them with only their own parts (TCI, follow badge,
    like button, report link) filled in per request. Not for staff (they see private
    raters too), a private member (their own rating is shown to them alone), or the
    sorts that depend on the viewer (most compatible, people you follow first)."""
    user = request.user
    return (
        user.is_authenticated
        and not user.is_staff
        and user.visibility != user.Visibility.PRIVATE
        and request.GET.get("sort") != "compatible"
        and request.GET.get("following") != "1"
    )


def fill_viewer_slots(html: str, parts: list[str]) -> SafeString:
    """The shared list's HTML with each row's VIEWER_SLOT replaced by its part, in order."""
    pieces = html.split(VIEWER_SLOT)
    if len(pieces) != len(parts) + 1:
        raise ValueError(f"{len(pieces) - 1} viewer slots for {len(parts)} parts")
    filled = [pieces[0]]
    for part, piece in zip(parts, pieces[1:], strict=True):
        filled += [part, piece]
    return mark_safe("".join(filled))


def _title_page(pk: int) -> dict:
    title = catalog_selectors.title_for_page(pk)
    context = {
        "title": title,
        "people": catalog_selectors.title_people(title),
        "watch_groups": catalog_selectors.title_watch_links(title),
        "trailer_embed": catalog_selectors.trailer_embed_url(title.trailer_url),
    }
    return {
        "title": title,
        "hero": _render("catalog/_title_hero.html", context),
        "tail": _render("catalog/_title_tail.html", context),
    }


class TitlePage:
    """The shared parts of a title page for one request, read in two round trips.

    - ``title`` (catalog.selectors.title_for_page: with its genres, credits and watch
      links), ``hero`` (the HTML of the page's top: poster, facts, credits, watch links)
      and ``tail`` (its end: the similar titles' and statistics' lazy sections, the
      trailer), until the title or its ratings change; Http404 for an unknown title;
    - ``reviews``: the page of ratings asked for (the query string: sort, filters,
      page) as HTML with its count, until the title's ratings or likes or the members
      shown change: for a signed-out visitor, whole; for a member who sees the list all
      members see (``shares_members_list``), with a VIEWER_SLOT in each row and the
      rows themselves, on their rating scale;
    - ``collections``: the "Collections" section (public collections holding the title,
      the same for everyone), until a collection or member changes.

    ``reviews_only``: for the htmx request of the ratings alone.
    """

    def __init__(self, request: HttpRequest, pk: int, *, reviews_only: bool = False):
        self.request = request
        self.pk = pk
        self.compact = prefers_compact(request)
        self.anonymous = not request.user.is_authenticated
        own = section_cache.title_scopes(pk)
        wanted = {TITLE_PAGE: (own, (pk,))}
        self.members_list = shares_members_list(request)
        if self.anonymous or self.members_list:
            parts = (pk, self.compact, section_cache.query_key(request.GET))
            if self.members_list:
                parts += ("members", scales.scale_of(request.user))
            wanted[TITLE_REVIEWS] = ([*own, section_cache.MEMBERS], parts)
        if not reviews_only:
            page = request.GET.get("collections_page")
            scopes = [*own, section_cache.COLLECTIONS, section_cache.MEMBERS]
            wanted[TITLE_COLLECTIONS] = (scopes, (pk, page))
        self._sections = section_cache.Sections(wanted)
        shared = self._sections.get(TITLE_PAGE, lambda: _title_page(pk))
        self.title = shared["title"]
        self.hero = mark_safe(shared["hero"])
        self.tail = mark_safe(shared["tail"])

    def reviews(self, context: dict, build_page) -> dict:
        """The shared ratings list: {"count", "html", "ratings"}; ``build_page()`` reads
        the page on a miss, ``context`` (the reviews section's) renders it. For a member
        (``members_list``) the HTML has a VIEWER_SLOT per row of ``ratings``, the page's
        Rating objects, which the caller fills (fill_viewer_slots)."""

        def compute() -> dict:
            page = build_page()
            listing = {**context, "reviews_page": page, "viewer_slots": self.members_list}
            html = _render("catalog/_title_reviews_list.html", listing, self.request)
            ratings = list(page.object_list) if self.members_list else []
            return {"count": page.paginator.count, "html": html, "ratings": ratings}

        cached = self._sections.get(TITLE_REVIEWS, compute)
        return {**cached, "html": mark_safe(cached["html"])}

    def collections(self, build_context) -> SafeString:
        """The "Collections" section's HTML; ``build_context()`` reads it on a miss."""
        return self._sections.html(
            TITLE_COLLECTIONS,
            lambda: _render("collections_app/_title_collections.html", build_context()),
        )


def home_lists(user, build) -> SafeString:
    """The home page's lists (recently rated, recent reviews, top titles: ``build()``),
    the same for everyone but for the scale their scores are shown on; cached until any
    title, rating, review or member changes."""
    scale = scales.scale_of(user)
    return section_cache.cached_html(
        "home-lists",
        [section_cache.CATALOG, section_cache.MEMBERS],
        (scale,),
        lambda: _render("catalog/home.html#lists", {**build(), "user": user}),
    )


def profile_scopes(member_id: int) -> list[str]:
    """What a profile shows: the member's own ratings, reviews, follows and diary; names
    and suspensions; collections (theirs, and moderators hiding them); titles' fields."""
    return [
        section_cache.member_scope(member_id),
        section_cache.MEMBERS,
        section_cache.COLLECTIONS,
        section_cache.TITLE_FIELDS,
    ]


def profile_html(request: HttpRequest, member, part: str | None, build) -> SafeString:
    """A signed-out visitor's view of a profile (``part``: one of its htmx fragments,
    else the whole body) for the query string asked, rendered from ``build()`` on a
    miss; cached until the member's data, a name, a collection or a title changes.
    Signed-in viewers are not served this: their view has the TCI and follow forms."""
    name = part or "body"
    return section_cache.cached_html(
        f"{PROFILE}-{name}",
        profile_scopes(member.pk),
        (member.pk, section_cache.query_key(request.GET)),
        lambda: _render(f"accounts/profile.html#{name}", build(), request),
    )

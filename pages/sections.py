"""Rendered HTML of the sections every visitor shares, cached (core/cache.py).

Caching a section's data (core.cache.cached) saves its queries, but most of a page's
time went to rendering it: Django's template engine resolves every variable, filter and
{% include %} of every row on every request (72-81% of a title or browse page). So the
parts of a page that are the same for everyone are cached here as HTML, under the same
generations as their data: a write that bumps a scope makes the next request render
them afresh. Personal parts (the viewer's rating, probable score, likes, TCIs, forms
with CSRF tokens) are never in these fragments; a fragment that would differ per viewer
is cached only for signed-out visitors, or keyed by what varies (the viewer's scale).

Each function returns SafeStrings (or a dict holding them) for the page's template to
print with {{ }}. Fragments hold no CSRF token, no session data and no per-request URL
other than the query string they are keyed by.
"""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from catalog import selectors as catalog_selectors
from catalog.models import Title
from core import cache as section_cache
from ratings import scales

# Scopes of a title's own fragments: its fields and ratings (title_scopes), and the
# members' names and suspensions shown beside its ratings.
TITLE_PAGE_SCOPES = (section_cache.MEMBERS,)


def _render(template: str, context: dict, request: HttpRequest | None = None) -> str:
    return str(render_to_string(template, context, request))


def title_for_page(pk: int) -> dict:
    """A title page's shared part, until the title or its ratings change: the title
    (catalog.selectors.title_for_page, with its genres, credits and watch links) and the
    HTML of its top (``hero``: poster, facts, credits, watch links) and of its end
    (``tail``: the similar titles' and statistics' lazy sections, the trailer). Raises
    Http404 for an unknown title (not cached). No query while cached."""

    def compute() -> dict:
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

    shared = section_cache.cached("title-page", section_cache.title_scopes(pk), (pk,), compute)
    return {**shared, "hero": mark_safe(shared["hero"]), "tail": mark_safe(shared["tail"])}


def title_reviews_list(request: HttpRequest, title: Title, context: dict, build_page) -> dict:
    """A signed-out visitor's page of a title's ratings: its count and its list's HTML,
    cached until the title's ratings, likes or the members shown change; keyed by the
    query string (sort, filters, page: the pagination links keep it) and the compact
    view. ``build_page()`` reads the page on a miss; ``context`` renders it."""

    def compute() -> dict:
        page = build_page()
        html = _render(
            "catalog/_title_reviews_list.html", {**context, "reviews_page": page}, request
        )
        return {"count": page.paginator.count, "html": html}

    scopes = [*section_cache.title_scopes(title.pk), *TITLE_PAGE_SCOPES]
    parts = (title.pk, context["compact"], section_cache.query_key(request.GET))
    cached = section_cache.cached("title-reviews", scopes, parts, compute)
    return {"count": cached["count"], "html": mark_safe(cached["html"])}


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

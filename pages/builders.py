"""The context of each page that reads several apps, built in one place.

One function per page (or htmx fragment) loads everything its template shows from the
apps' selectors, so the page's query budget is read here and tested in
tests/pages/test_query_counts.py. Templates and their inclusion tags only render what
they are given; writes (the shown probable score) are made by the views.
"""

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from accounts import selectors as accounts_selectors
from accounts.models import User
from catalog import selectors as catalog_selectors
from catalog.models import Title
from collections_app.templatetags.collections_tags import (
    add_to_collection_context,
    title_collections_context,
)
from core import cache as section_cache
from core.sorting import Sorts
from library import selectors as library_selectors
from library.forms import rating_viewing_form
from pages import sections
from pages.library_pages import title_library_context
from ratings import scales
from ratings import selectors as rating_selectors
from ratings.forms import rating_panel_context
from ratings.selectors import viewer_rating
from social import selectors as social_selectors
from taste import selectors as taste_selectors

# Home -----------------------------------------------------------------------------------


def home_lists() -> dict:
    """Recently rated titles, top titles and recent reviews (three queries)."""
    return {
        "recently_rated": rating_selectors.home_recently_rated_titles(),
        "top_titles": list(catalog_selectors.home_top_titles()),
        "recent_reviews": list(rating_selectors.home_recent_reviews()),
    }


def home_context(request: HttpRequest) -> dict:
    """The home page: its lists, the same for everyone (scores on the viewer's scale)
    and cached as HTML until any title, rating, review or member changes (no query while
    cached), and for a signed-in member the activity feed (``home_feed_context``,
    personal, never cached)."""
    context = {"lists_html": sections.home_lists(request.user, home_lists)}
    if request.user.is_authenticated:
        context["feed"] = home_feed_context(request)
    return context


FEED_TABS = {"following": "People you follow", "soulmates": "Soulmates"}


def home_feed_context(request: HttpRequest) -> dict:
    """One page of the activity feed: the followed members' (or, on the "soulmates" tab,
    the 20 most compatible members') ratings, reviews and new collections, newest first,
    each with the viewer's TCI with its author. A fixed number of queries whatever the
    number followed or of rows: the page (two), the TCIs (one), soulmates (one).
    Raises ValidationError for a malformed cursor (``after``)."""
    viewer = request.user
    tab = request.GET.get("feed")
    tab = tab if tab in FEED_TABS else "following"
    if tab == "soulmates":
        authors = taste_selectors.soulmate_ids(viewer, limit=20)
    else:
        authors = social_selectors.followee_ids(viewer)
    page = social_selectors.activity_page(viewer, authors, request.GET.get("after"))
    tcis = taste_selectors.tcis_with(viewer, {item.user.pk for item in page.items})
    for item in page.items:
        item.tci = tcis.get(item.user.pk)
    return {"tab": tab, "tabs": FEED_TABS, "page": page}


# Title page -----------------------------------------------------------------------------


# The title page's sorts: the ratings app's, and two of columns other apps add.
TITLE_REVIEW_SORTS = Sorts(
    {
        **rating_selectors.REVIEW_SORTS,
        "compatible": ("Most compatible", ["rater_rank", "-rated_at", "-id"]),
        "liked": ("Most liked", ["-likes_count", "-rated_at", "-id"]),
    },
    default=rating_selectors.REVIEW_SORTS.default,
)


def title_reviews_context(
    request: HttpRequest, title: Title, shared: sections.TitlePage | None = None
) -> dict:
    """The "Ratings & Reviews" section of a title page (also its htmx fragment): one page
    of ratings in the requested order, each with the viewer's TCI with its rater
    (Criticker's column), its likes and whether the viewer follows the rater; "reviews
    only" and "people you follow first" filters; the viewer's compact-view choice."""
    viewer = request.user
    sort = TITLE_REVIEW_SORTS.parse(request.GET.get("sort"))
    if sort == "compatible" and not viewer.is_authenticated:
        sort = TITLE_REVIEW_SORTS.default
    reviews_only = request.GET.get("reviews") == "1"
    following_first = viewer.is_authenticated and request.GET.get("following") == "1"
    ordering = list(TITLE_REVIEW_SORTS.order_by(sort))
    if following_first:
        ordering.insert(0, "-author_followed")
    filters = "".join(
        part for part, on in (("&reviews=1", reviews_only), ("&following=1", following_first)) if on
    )
    sorts = TITLE_REVIEW_SORTS.choices
    if not viewer.is_authenticated:
        sorts = [(key, label) for key, label in sorts if key != "compatible"]

    # The viewer's own columns (TCI with each rater, likes, follows) are read with the
    # page only when the list is theirs alone; a shared list is read without them.
    personal = viewer.is_authenticated and not sections.shares_members_list(request)
    columns_for = viewer if personal else AnonymousUser()

    def build_page():
        return rating_selectors.title_page_ratings(
            title,
            sort,
            request.GET.get("reviews_page"),
            viewer=request.user,
            annotations={
                **taste_selectors.tci_annotation(columns_for),
                **social_selectors.like_annotations(columns_for),
                **social_selectors.followed_annotation(columns_for),
            },
            ordering=ordering,
            reviews_only=reviews_only,
        )

    context = {
        "title": title,
        "review_sort": sort,
        "review_sorts": sorts,
        "review_filters": {
            "reviews_only": reviews_only,
            "following_first": following_first,
            "query": filters,
        },
        "compact": sections.prefers_compact(request),
    }
    if personal:
        page = build_page()
        context.update(reviews_page=page, reviews_count=page.paginator.count, reviews_list=None)
        return context
    # The list everyone signed out (or every member) sees: its HTML is cached
    # (pages.sections); the page itself is read only on a miss (or by code that asks).
    if shared is None:
        shared = sections.TitlePage(request, title.pk, reviews_only=True)
    listing = shared.reviews(context, build_page)
    html = listing["html"]
    if viewer.is_authenticated:
        html = sections.fill_viewer_slots(html, _viewer_row_parts(request, listing["ratings"]))
    context.update(
        reviews_page=SimpleLazyObject(build_page),
        reviews_count=listing["count"],
        reviews_list=html,
    )
    return context


# Separates the rows' parts in one rendering of social/_rating_viewer_parts.html.
_PART_END = "<!--part-end-->"


def _viewer_row_parts(request: HttpRequest, ratings: list) -> list[str]:
    """The viewer's parts of each row of a shared ratings list (their TCI with the
    rater, "Following", the like button, the report link), read in one query and
    rendered in one go."""
    if not ratings:
        return []
    viewer = request.user
    columns = rating_selectors.rating_columns(
        [rating.pk for rating in ratings],
        {
            "rater_tci": taste_selectors.tci_annotation(viewer)["rater_tci"],
            **social_selectors.followed_annotation(viewer),
            "viewer_liked": social_selectors.like_annotations(viewer)["viewer_liked"],
        },
    )
    for rating in ratings:
        own = columns[rating.pk]
        rating.rater_tci = own["rater_tci"]
        rating.author_followed = own["author_followed"]
        rating.viewer_liked = own["viewer_liked"]
    context = {"ratings": ratings, "separator": mark_safe(_PART_END)}
    html = render_to_string("social/_rating_viewer_parts.html", context, request)
    return html.split(_PART_END)[:-1]


def probable_score_card(user, title: Title, own_rating) -> dict:
    """The "Your probable score" card: the viewer's PSI for a title with its likely range
    (or "?" and why), or, once they rated it (``own_rating``, already read), the PSI they
    had been shown and, while they cannot have PSIs yet, why ("Rate 5 more titles"),
    counted afresh. The title page and the htmx answer to a rating build it alike.

    Reads only; the view records a PSI it shows (``psi.ok``). At most three queries."""
    card = {
        "title": title,
        "user": user,
        "psi": None,
        "rated_score": None,
        "shown": None,
        "blocker": None,
    }
    if user.is_authenticated and own_rating is not None:
        card["rated_score"] = own_rating.score
        card["shown"] = taste_selectors.shown_prediction(user, title)
        card["blocker"] = taste_selectors.psi_blocker(user)
        return card
    card["psi"] = taste_selectors.probable_score(user, title)
    return card


def title_page_context(
    request: HttpRequest, title: Title, shared: sections.TitlePage | None = None
) -> dict:
    """Everything a title page shows (``title`` from ``shared``, pages.sections.TitlePage:
    the title and the HTML of the parts of its page that are the same for everyone, read
    here when not given).

    Signed out: the ratings page and count (cached HTML), the collections section
    (cached HTML, as for everyone). Signed in adds the viewer's rating (read once for
    the probable-score card and the rating panel), their probable score, and their own
    collections for "Add to collection".
    """
    if shared is None:
        shared = sections.TitlePage(request, title.pk)
    user = request.user
    own_rating = viewer_rating(user, title)
    return {
        **title_reviews_context(request, title, shared),
        # The top and end of the page, the same for everyone (cached HTML).
        "shared": shared,
        "viewer_rating": own_rating,
        "probable_score_card": probable_score_card(user, title, own_rating),
        "rating_panel": {
            **rating_panel_context(
                user, title, my_rating=own_rating, notice=rating_notice(request)
            ),
            "viewing_form": rating_viewing_form(),
        },
        "library": title_library_context(user, title),
        "add_to_collection": add_to_collection_context(
            request, title, next_url=request.get_full_path()
        ),
        "title_collections_html": shared.collections(
            lambda: title_collections_context(request, title)
        ),
    }


# A rating saved or deleted without JavaScript redirects to the title page's rating panel;
# its message is shown there, where the browser lands, not at the top of the page.
RATING_NOTICE_TAG = "rating-panel"


def rating_notice(request: HttpRequest) -> str:
    """The message of a rating just saved or deleted without JavaScript, or ""."""
    for message in messages.get_messages(request):
        if RATING_NOTICE_TAG in message.extra_tags.split():
            return str(message)
    return ""


def title_similar_context(title: Title) -> dict:
    """Titles like this one: the precomputed co-rating similarity (taste), or the
    catalogue's guess from genres, people and fans while there is none."""
    similar = section_cache.cached(
        "similar",
        [section_cache.CATALOG, section_cache.TASTE],
        (title.pk,),
        lambda: taste_selectors.similar_titles(title),
    )
    return {"title": title, "similar": similar}


def title_statistics_context(title: Title) -> dict:
    """The distribution charts of a title's ratings (three queries), cached until its
    ratings change."""
    charts = section_cache.cached(
        "statistics",
        section_cache.title_scopes(title.pk),
        (title.pk,),
        lambda: rating_selectors.title_statistics(title),
    )
    return {"title": title, "charts": charts}


# Profile --------------------------------------------------------------------------------


def profile_context(request: HttpRequest, member: User, part: str | None = None) -> dict:
    """A member's profile: counts, charts, filtered ratings, reviews, collections, and,
    on the full page (``part`` None), the viewer's TCI with them and how close the
    probable scores they were shown came. ``part`` ("ratings", "reviews") is an htmx
    fragment, which shows neither."""
    viewer = request.user
    default_compact = viewer.is_authenticated and viewer.prefers_compact
    filters = accounts_selectors.RatingFilters.from_query(request.GET, default_compact)
    viewer_scale = scales.scale_of(viewer)
    counts = accounts_selectors.profile_counts(member)
    context = {
        "member": member,
        "is_self": viewer == member,
        "counts": counts,
        "distribution": accounts_selectors.score_distribution(member, viewer_scale),
        "per_year": accounts_selectors.ratings_per_year(member),
        "top_genres": accounts_selectors.top_genres(member),
        "filters": filters,
        "sorts": accounts_selectors.RATING_SORTS.choices,
        "options": accounts_selectors.member_filter_options(member),
        "ratings_page": accounts_selectors.member_ratings_page(
            member, filters, request.GET.get("page")
        ),
        "reviews_page": accounts_selectors.member_reviews_page(member, request.GET.get("rpage")),
        "collections": accounts_selectors.member_public_collections(member),
        "bands": accounts_selectors.PERCENTILE_BANDS,
        "tci_pair": None,
        "prediction_accuracy": None,
        "follow": None,
        "favourite_people": None,
    }
    if part is None:
        context["follow"] = social_selectors.follow_panel(viewer, member)
        if counts["ratings"]:
            context["favourite_people"] = rating_selectors.member_favourite_people(member)
        if viewer.is_authenticated and viewer.pk != member.pk:
            context["tci_pair"] = taste_selectors.tci_between(viewer, member)
        if counts["ratings"]:
            context["prediction_accuracy"] = taste_selectors.prediction_accuracy(member)
        context["viewing_stats"] = library_selectors.viewing_stats(member)
        context["watchlist_shown"] = library_selectors.watchlist_visible_to(member, viewer)
    return context


# People pages ---------------------------------------------------------------------------


def person_page_context(request: HttpRequest, person) -> dict:
    """A person's page: their filmography by role with each title's average percentile,
    and for a signed-in viewer their own score and PSI on each title and a summary
    ("You rated 7 of their 12 titles ..."). At most five queries: the credits, the
    viewer's ratings, their probable scores (two), the person's rank (from 5 rated)."""
    viewer = request.user
    filmography = catalog_selectors.person_filmography(person)
    titles = filmography.titles
    ratings = rating_selectors.viewer_ratings_by_title(viewer, [t.pk for t in titles])
    unrated = [t for t in titles if t.pk not in ratings]
    psis = taste_selectors.probable_scores(viewer, unrated) if unrated else {}
    roles = [
        (
            label,
            [
                {
                    "credit": credit,
                    "title": credit.title,
                    "rating": ratings.get(credit.title_id),
                    "psi": psis.get(credit.title_id),
                }
                for credit in credits
            ],
        )
        for label, credits in filmography.roles
    ]
    return {
        "person": person,
        "roles": roles,
        "titles_count": len(titles),
        "summary": rating_selectors.person_summary(
            viewer, person, ratings, len(titles), filmography.main_role
        ),
    }

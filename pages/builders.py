"""The context of each page that reads several apps, built in one place.

One function per page (or htmx fragment) loads everything its template shows from the
apps' selectors, so the page's query budget is read here and tested in
tests/pages/test_query_counts.py. Templates and their inclusion tags only render what
they are given; writes (the shown probable score) are made by the views.
"""

from django.http import HttpRequest

from accounts import selectors as accounts_selectors
from accounts.models import User
from catalog import selectors as catalog_selectors
from catalog.models import Title
from collections_app.templatetags.collections_tags import (
    add_to_collection_context,
    title_collections_context,
)
from core import cache as section_cache
from ratings import scales
from ratings import selectors as rating_selectors
from ratings.forms import rating_panel_context
from ratings.selectors import viewer_rating
from taste import selectors as taste_selectors


def _prefers_compact(request: HttpRequest) -> bool:
    if request.user.is_authenticated:
        return request.user.prefers_compact
    return bool(request.session.get("prefers_compact", False))


# Home -----------------------------------------------------------------------------------


def home_lists() -> dict:
    """Recently rated titles, top titles and recent reviews (three queries)."""
    return {
        "recently_rated": rating_selectors.home_recently_rated_titles(),
        "top_titles": list(catalog_selectors.home_top_titles()),
        "recent_reviews": list(rating_selectors.home_recent_reviews()),
    }


def home_context(request: HttpRequest) -> dict:
    """The home page's lists, the same for everyone: cached until any title, rating,
    review or member name changes (no query while they are cached)."""
    scopes = [section_cache.CATALOG, section_cache.MEMBERS]
    return section_cache.cached("home", scopes, (), home_lists)


# Title page -----------------------------------------------------------------------------


def title_reviews_context(request: HttpRequest, title: Title) -> dict:
    """The "Ratings & Reviews" section of a title page (also its htmx fragment): one page
    of ratings in the requested order, and the viewer's compact-view choice."""
    sort = rating_selectors.REVIEW_SORTS.parse(request.GET.get("sort"))
    return {
        "title": title,
        "reviews_page": title_ratings_page(title, sort, request.GET.get("reviews_page")),
        "review_sort": sort,
        "review_sorts": rating_selectors.REVIEW_SORTS.choices,
        "compact": _prefers_compact(request),
    }


def title_ratings_page(title: Title, sort: str, page_number):
    """One page of the title's ratings and reviews, the same for everyone: cached until
    the title's ratings or reviews or a member's name or suspension change."""
    return section_cache.cached_page(
        "title-ratings",
        [*section_cache.title_scopes(title.pk), section_cache.MEMBERS],
        (title.pk, sort),
        rating_selectors.title_ratings(title, sort),
        rating_selectors.REVIEWS_PER_PAGE,
        page_number,
    )


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


def title_page_context(request: HttpRequest, title: Title) -> dict:
    """Everything a title page shows (``title`` from catalog.selectors.title_for_page).

    Signed out: the ratings page and count, the collections page and count. Signed in
    adds the viewer's rating (read once for the probable-score card and the rating
    panel), their probable score, and their own collections for "Add to collection".
    """
    user = request.user
    own_rating = viewer_rating(user, title)
    return {
        **title_reviews_context(request, title),
        "people": catalog_selectors.title_people(title),
        "watch_groups": catalog_selectors.title_watch_links(title),
        "trailer_embed": catalog_selectors.trailer_embed_url(title.trailer_url),
        "viewer_rating": own_rating,
        "probable_score_card": probable_score_card(user, title, own_rating),
        "rating_panel": rating_panel_context(user, title, my_rating=own_rating),
        "add_to_collection": add_to_collection_context(
            request, title, next_url=request.get_full_path()
        ),
        "title_collections": title_collections_context(request, title),
    }


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
    }
    if part is None:
        if viewer.is_authenticated and viewer.pk != member.pk:
            context["tci_pair"] = taste_selectors.tci_between(viewer, member)
        if counts["ratings"]:
            context["prediction_accuracy"] = taste_selectors.prediction_accuracy(member)
    return context

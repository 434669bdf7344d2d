"""Each page built in pages/ runs a fixed number of queries, whatever the data size.

The numbers are exact on purpose: a page that starts reading more (or per row) fails
here, and a page that reads less should lower its number. They were measured before
the pages moved into pages/ and have not grown since.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ratings.services import RatingInput, rate, rate_many
from taste import services as taste_services
from taste.models import ShownPrediction
from tests.factories import (
    CollectionFactory,
    CollectionItemFactory,
    CreditFactory,
    GenreFactory,
    TitleFactory,
    UserFactory,
    WatchLinkFactory,
)

pytestmark = pytest.mark.django_db

SIZES = (3, 30)


def build(size: int) -> dict:
    """A title rated and reviewed by `size` members (each rating 12 other titles alike,
    so compatibilities and probable scores exist), in `size` public collections; a member
    whose profile has `size` ratings and reviews; viewers who rated the title or not."""
    genre = GenreFactory(name="Drama", slug="drama")
    others = TitleFactory.create_batch(12)
    title = TitleFactory(name="Interview", year=2007)
    title.genres.add(genre)
    CreditFactory(title=title)
    WatchLinkFactory(title=title)
    raters = UserFactory.create_batch(size)
    for n, user in enumerate(raters):
        rate_many(user, [RatingInput(t.pk, 8 * i + n % 3) for i, t in enumerate(others, 1)])
        rate(user, title, 40 + n % 50, review=f"Review {n}")
        collection = CollectionFactory(owner=user, name=f"List {n}")
        CollectionItemFactory(collection=collection, title=title)
    member = raters[0]
    for n, extra in enumerate(TitleFactory.create_batch(size)):
        extra.genres.add(genre)
        rate(member, extra, n % 100, review="Fine.", limit_reviews=False)
    unrated = UserFactory(username="unrated")
    rate_many(unrated, [RatingInput(t.pk, 8 * i) for i, t in enumerate(others, 1)])
    CollectionFactory(owner=unrated, name="Mine")
    rated = UserFactory(username="rated")
    rate_many(rated, [RatingInput(t.pk, 8 * i) for i, t in enumerate(others, 1)])
    rate(rated, title, 70, review="Mine")
    taste_services.rebuild_all()
    title.refresh_from_db()
    return {
        "title": title,
        "member": member,
        "raters": raters,
        "unrated": unrated,
        "rated": rated,
        "others": others,
    }


def _title_url(name: str, title) -> str:
    return reverse(name, kwargs={"pk": title.pk, "slug": title.slug})


# (page, viewer, method, url builder, headers)
PAGES = {
    "home signed out": (None, lambda d: reverse("home"), {}),
    "home signed in": ("unrated", lambda d: reverse("home"), {}),
    "title signed out": (None, lambda d: d["title"].get_absolute_url(), {}),
    "title signed in, unrated": ("unrated", lambda d: d["title"].get_absolute_url(), {}),
    "title signed in, rated": ("rated", lambda d: d["title"].get_absolute_url(), {}),
    "reviews fragment": (
        None,
        lambda d: d["title"].get_absolute_url() + "?sort=highest",
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "title-reviews"},
    ),
    "reviews fragment signed in": (
        "rated",
        lambda d: d["title"].get_absolute_url() + "?sort=highest",
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "title-reviews"},
    ),
    "browse": (None, lambda d: reverse("catalog:title-list") + "?sort=percentile", {}),
    "search": (None, lambda d: reverse("catalog:title-list") + "?q=intervew", {}),
    "similar": (None, lambda d: _title_url("catalog:title-similar", d["title"]), {}),
    "statistics": (None, lambda d: _title_url("catalog:title-statistics", d["title"]), {}),
    "profile signed out": (
        None,
        lambda d: reverse("accounts:profile", args=[d["member"].username]),
        {},
    ),
    "profile ratings fragment": (
        None,
        lambda d: reverse("accounts:profile", args=[d["member"].username]) + "?sort=score",
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "profile-ratings"},
    ),
    "profile signed in": (
        "unrated",
        lambda d: reverse("accounts:profile", args=[d["member"].username]),
        {},
    ),
}

# Queries per page, measured before the move to pages/ (and equal after it).
# Social (issue 15): every full page for a signed-in member +1 (the header's unread
# notifications); the signed-in home +2 (the feed's ratings and collections; the TCIs of
# its authors only when it has items); profiles +2 (follow counts and button; the
# directors and actors the member rates highest and lowest). Speed (issue 17): a page
# with a shared cached section reads the sections' generations once (the database holds
# them when REDIS_URL is unset, as in the tests); search also lists people (issue 15).
EXPECTED = {
    "home signed out": 5,
    "home signed in": 7 + 3,
    # Issue 17, HTML fragments (pages.sections): +1 for every title page, the generations
    # of its cached parts (the title with its genres, credits and links; the signed-out
    # ratings list; the collections), read once for all of them.
    "title signed out": 9,
    # +2 since the library: is the title on the viewer's watchlist, their viewings of it;
    # +1 with issue 15: the header's unread notifications count.
    # +1 (issue 17): the ratings list every member sees is cached HTML (pages.sections);
    # on a miss it is read without the viewer's columns, which one more query reads.
    "title signed in, unrated": 20,
    # +1: the rated viewer's own scores, for "Rate 5 more titles" on the probable-score card.
    "title signed in, rated": 19,
    "reviews fragment": 7,
    "reviews fragment signed in": 10,
    # +1 (issue 17): the cached filter form and results read the generations, and on a
    # miss the results' count and rows (cached on their own, core.cache.cached_page)
    # read them again.
    "browse": 5,
    "search": 6,
    "similar": 3,
    "statistics": 5,
    # +1 since the library: viewings per month (none here, so no distinct-titles count);
    # +2 / +3 with issue 15: the follow panel, favourite people (and the unread count).
    # +1 (issue 17): signed out, the body is cached HTML (pages.sections.profile_html),
    # whose generations are read first.
    "profile signed out": 19,
    # The htmx list builds the counts and charts of the page too (pages.builders).
    "profile ratings fragment": 13,
    "profile signed in": 22,
}
# With 3 raters there is no co-rating similarity yet, so the page falls back to the
# catalogue's guess (two more queries).
EXPECTED_BY_SIZE = {3: {**EXPECTED, "similar": 5}, 30: EXPECTED}


# Once the shared sections are cached (core/cache.py: home lists, browse and search
# results, statistics, similar titles; pages/sections.py: their HTML, and a title page's
# title, top, end, collections and signed-out ratings list), a page runs only its
# personal and uncached queries, and one query reading the sections' generations (in
# Redis, when REDIS_URL is set, none).
EXPECTED_WARM = {
    "home signed out": 1,
    # the generations; session, user, unread notifications and the feed (two) are personal
    "home signed in": 6,
    # the generations only: the whole page is cached HTML but for the personal parts,
    # which signed out read nothing
    "title signed out": 1,
    # the generations; session, user, unread notifications, the viewer's rating, probable
    # score (two, or the shown prediction and "rate 5 more"), watchlist, viewings, own
    # collections, and the viewer's columns of the cached ratings list (their TCI with
    # each rater, likes and follows: one query)
    "title signed in, unrated": 12,
    "title signed in, rated": 11,
    "reviews fragment": 1,
    "reviews fragment signed in": 4,
    # The generations: the filter form and the results are cached HTML.
    "browse": 1,
    "search": 1,
    "similar": 2,
    "statistics": 2,
    # The member, then the generations: the body is cached HTML. Signed in, the page
    # shows the viewer's TCI with the member and the follow form, and is built live.
    "profile signed out": 2,
    "profile ratings fragment": 2,
    "profile signed in": 22,
}


def count_queries(client, data: dict, page: str, *, warm: bool) -> int:
    viewer, url, headers = PAGES[page]
    client.logout()
    if viewer:
        client.force_login(data[viewer])
    url = url(data)
    client.get(url, **headers)  # warm up: the first view of a PSI records it
    if not warm:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, (page, response.status_code)
    return len(queries)


@pytest.mark.parametrize("size", SIZES)
def test_page_query_counts(client, size):
    data = build(size)
    cold = {page: count_queries(client, data, page, warm=False) for page in PAGES}
    warm = {page: count_queries(client, data, page, warm=True) for page in PAGES}
    assert cold == EXPECTED_BY_SIZE[size]
    assert warm == EXPECTED_WARM


def test_the_scenario_shows_a_probable_score_to_the_unrated_viewer(client):
    """The signed-in unrated count above includes the probable score and its record."""
    data = build(3)
    client.force_login(data["unrated"])
    page = client.get(data["title"].get_absolute_url()).content.decode()
    assert "How is this worked out?" in page
    assert ShownPrediction.objects.filter(user=data["unrated"], title=data["title"]).exists()

"""/watchlist/ and the diary read a fixed number of queries at 10 and 1,000 entries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Title
from library.models import Viewing, WatchlistEntry
from taste import services as taste_services
from tests.factories import GenreFactory, TitleFactory, UserFactory, WatchLinkFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db

# Session, user; the entries with their titles; the viewer's scores and the PSI terms of
# every entry; the page's streaming services; the genres, and the services, of the filter;
# the header's unread notifications (issue 15).
WATCHLIST_QUERIES = 9
# Session, user, the member; the page's count and rows; the month counts; the header's
# unread notifications.
DIARY_QUERIES = 7


def _member_with(size: int, name: str):
    """A member with PSIs (ten ratings, one alike rater, taste rebuilt), `size` titles on
    the watchlist (a third with a streaming link and a genre) and `size` viewings."""
    genre = GenreFactory(name=f"Genre {name}", slug=f"genre-{name}")
    rated = [TitleFactory(name=f"{name} R{i}") for i in range(10)]
    member, alike = UserFactory(username=name), UserFactory(username=f"{name}-alike")
    give(member, {t: 10 * (i + 1) for i, t in enumerate(rated)})
    titles = Title.objects.bulk_create(
        [
            Title(name=f"{name} W{i}", slug=f"{name}-w{i}", year=1950 + i % 70,
                  runtime_minutes=80 + i % 60)
            for i in range(size)
        ]
    )  # fmt: skip
    give(alike, {**{t: 10 * (i + 1) for i, t in enumerate(rated)}, titles[0]: 90})
    for title in titles[::3]:
        title.genres.add(genre)
        WatchLinkFactory(title=title, provider="Mubi", kind="stream")
    WatchlistEntry.objects.bulk_create(WatchlistEntry(user=member, title=t) for t in titles)
    Viewing.objects.bulk_create(
        Viewing(
            user=member,
            title=t,
            watched_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
            rewatch=i % 4 == 0,
        )
        for i, t in enumerate(titles)
    )
    return member


def _count(client, member, url) -> int:
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_watchlist_and_diary_queries_at_10_and_1000_entries(client):
    small, large = _member_with(10, "small"), _member_with(1000, "large")
    taste_services.rebuild_all()
    for sort in ("psi", "-added", "runtime"):
        counts = [
            _count(client, member, reverse("library:watchlist") + f"?sort={sort}")
            for member in (small, large)
        ]
        assert counts == [WATCHLIST_QUERIES, WATCHLIST_QUERIES], sort
    filtered = "?genre=genre-large&provider=Mubi&year_min=1960"
    assert _count(client, large, reverse("library:watchlist") + filtered) == WATCHLIST_QUERIES + 1
    counts = [
        _count(client, member, reverse("library:diary", args=[member.username]))
        for member in (small, large)
    ]
    assert counts == [DIARY_QUERIES, DIARY_QUERIES]
    # The large list really is read: 1,000 titles, 48 a page, PSIs shown.
    client.force_login(large)
    html = client.get(reverse("library:watchlist")).content.decode()
    assert "1000 titles; showing 1 - 48" in html
    assert "PSI" in html
    diary = client.get(reverse("library:diary", args=["large"]) + "?page=10").content.decode()
    assert "1000 viewings" in diary and "Page 10 of 10" in diary

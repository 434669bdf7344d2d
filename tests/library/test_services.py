"""library.services: the watchlist and viewings, and what they refuse."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from library import services
from library.models import NOTE_MAX_LENGTH, Viewing, WatchlistEntry
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _code(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.code


def test_watchlist_add_is_idempotent_and_keeps_the_first_date():
    member, title = UserFactory(), TitleFactory()
    first = services.watchlist_add(user=member, title=title)
    again = services.watchlist_add(user=member, title=title)
    assert again.pk == first.pk and again.added_at == first.added_at
    assert list(WatchlistEntry.objects.values_list("user_id", "title_id")) == [
        (member.pk, title.pk)
    ]


def test_watchlist_add_by_id_and_remove():
    member, title = UserFactory(), TitleFactory()
    services.watchlist_add(user=member, title=title.pk)
    assert services.watchlist_remove(user=member, title=title) is True
    assert services.watchlist_remove(user=member, title=title) is False
    assert not WatchlistEntry.objects.exists()


@pytest.mark.parametrize("bad", [10**9, "12", None])
def test_unknown_title_is_refused(bad):
    member = UserFactory()
    assert _code(lambda: services.watchlist_add(user=member, title=bad)) == "unknown_title"
    today = timezone.localdate()
    assert (
        _code(lambda: services.viewing_create(user=member, title=bad, watched_on=today))
        == "unknown_title"
    )
    assert not WatchlistEntry.objects.exists() and not Viewing.objects.exists()


def test_two_viewings_on_one_day_are_allowed():
    member, title = UserFactory(), TitleFactory()
    day = datetime.date(2019, 3, 12)
    services.viewing_create(user=member, title=title, watched_on=day)
    second = services.viewing_create(user=member, title=title, watched_on=day, rewatch=True)
    assert second.rewatch is True
    assert Viewing.objects.filter(user=member, title=title, watched_on=day).count() == 2


def test_viewing_in_the_future_is_refused():
    member, title = UserFactory(), TitleFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    call = lambda: services.viewing_create(user=member, title=title, watched_on=tomorrow)  # noqa: E731
    assert _code(call) == "future_date"
    assert not Viewing.objects.exists()
    # Today is fine.
    services.viewing_create(user=member, title=title, watched_on=timezone.localdate())


@pytest.mark.parametrize(
    ("watched_on", "code"),
    [
        (datetime.date(1869, 12, 31), "too_early"),
        ("2020-01-01", "bad_date"),
        (datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC), "bad_date"),
    ],
)
def test_bad_dates_are_refused(watched_on, code):
    member, title = UserFactory(), TitleFactory()
    call = lambda: services.viewing_create(user=member, title=title, watched_on=watched_on)  # noqa: E731
    assert _code(call) == code


def test_note_is_trimmed_and_limited():
    member, title = UserFactory(), TitleFactory()
    day = datetime.date(2020, 1, 1)
    viewing = services.viewing_create(user=member, title=title, watched_on=day, note="  fine  ")
    assert viewing.note == "fine"
    too_long = "x" * (NOTE_MAX_LENGTH + 1)
    call = lambda: services.viewing_create(  # noqa: E731
        user=member, title=title, watched_on=day, note=too_long
    )
    assert _code(call) == "note_too_long"
    assert Viewing.objects.count() == 1


def test_viewing_delete_only_removes_ones_own():
    owner, other, title = UserFactory(), UserFactory(), TitleFactory()
    viewing = services.viewing_create(user=owner, title=title, watched_on=datetime.date(2020, 1, 1))
    assert services.viewing_delete(user=other, viewing_id=viewing.pk) is False
    assert services.viewing_delete(user=owner, viewing_id=viewing.pk) is True
    assert not Viewing.objects.exists()


def test_many_viewings_checked_before_anything_is_written():
    member, title = UserFactory(), TitleFactory()
    good = services.ViewingInput(title.pk, datetime.date(2020, 1, 1))
    future = services.ViewingInput(title.pk, timezone.localdate() + datetime.timedelta(days=3))
    call = lambda: services.viewings_create_many(user=member, entries=[good, future])  # noqa: E731
    assert _code(call) == "future_date"
    assert not Viewing.objects.exists()
    assert services.viewings_create_many(user=member, entries=[good, good]) == 2
    # replace=True: importing the same day again does not double it.
    assert services.viewings_create_many(user=member, entries=[good], replace=True) == 1
    assert Viewing.objects.count() == 1

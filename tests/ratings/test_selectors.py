"""Reads of ratings for the home page and the title page (``ratings.selectors``)."""

from datetime import UTC, datetime

import pytest

from moderation import services as moderation
from ratings.selectors import (
    REVIEWS_PER_PAGE,
    home_recent_reviews,
    home_recently_rated_titles,
    title_page_ratings,
)
from ratings.services import RatingInput, rate, rate_many
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _on(day: int) -> datetime:
    return datetime(2024, 5, day, tzinfo=UTC)


@pytest.fixture
def title():
    return TitleFactory(name="Interview")


@pytest.fixture
def moderator():
    user = UserFactory(username="mod")
    moderation.grant_moderator(user)
    return user


def test_recently_rated_titles_are_newest_first_and_each_once():
    first, second, third = TitleFactory(), TitleFactory(), TitleFactory()
    rate_many(UserFactory(), [RatingInput(first.pk, 50, "", _on(1))])
    rate_many(UserFactory(), [RatingInput(second.pk, 50, "", _on(2))])
    rate_many(UserFactory(), [RatingInput(first.pk, 50, "", _on(3))])
    rate_many(UserFactory(), [RatingInput(third.pk, 50, "", _on(4))])
    assert home_recently_rated_titles() == [third, first, second]
    assert home_recently_rated_titles(limit=2) == [third, first]


def test_recent_reviews_leave_out_hidden_reviews_and_suspended_authors(title, moderator):
    kept, hidden, suspended = (UserFactory(username=n) for n in ("kept", "hidden", "gone"))
    rate_many(kept, [RatingInput(title.pk, 70, "Kept", _on(1))])
    rate_many(UserFactory(), [RatingInput(title.pk, 70, "", _on(2))])  # no review
    review = rate(hidden, title, 60, "Hidden", _on(3))
    rate_many(suspended, [RatingInput(title.pk, 50, "Suspended", _on(4))])
    moderation.hide_review(review, moderator, "Spoiler")
    moderation.suspend(suspended, moderator, "Spam")
    assert [r.review for r in home_recent_reviews()] == ["Kept"]


def test_title_page_ratings_sort_and_flag_suspended_authors(title, moderator):
    low, high, gone = (UserFactory(username=n) for n in ("low", "high", "gone"))
    rate_many(low, [RatingInput(title.pk, 20, "Meh", _on(3))])
    rate_many(high, [RatingInput(title.pk, 90, "Great", _on(1))])
    rate_many(gone, [RatingInput(title.pk, 50, "Spam", _on(2))])
    moderation.suspend(gone, moderator, "Spam")

    def users(sort: str) -> list[str]:
        return [r.user.username for r in title_page_ratings(title, sort, 1)]

    assert users("newest") == ["low", "gone", "high"]
    assert users("highest") == ["high", "gone", "low"]
    assert users("lowest") == ["low", "gone", "high"]
    assert users("nonsense") == users("newest")
    flags = {r.user.username: r.author_suspended for r in title_page_ratings(title, "newest", 1)}
    assert flags == {"low": False, "high": False, "gone": True}


def test_title_page_ratings_pages_in_two_queries(title, django_assert_num_queries):
    for n in range(REVIEWS_PER_PAGE + 3):
        rate_many(UserFactory(), [RatingInput(title.pk, n, "", _on(1 + n % 28))])
    with django_assert_num_queries(2):
        page = title_page_ratings(title, "newest", 2)
        assert len(page.object_list) == 3
        assert [r.user.username for r in page.object_list]  # the raters come with the page

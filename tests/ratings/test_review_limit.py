"""The hourly review limit is checked inside rate(), under the user lock."""

import pytest
from django.core.exceptions import ValidationError

from ratings.models import Rating
from ratings.services import RatingInput, rate, rate_many
from tests.concurrency import race_behind_member_lock
from tests.factories import TitleFactory, UserFactory

LIMIT_MESSAGE = (
    "You have written 2 reviews in the last hour, the most allowed. "
    "Save your score without the review for now, or try again later "
    "(your text is still in the box)."
)


@pytest.fixture
def limit_of_two(settings):
    settings.MODERATION_REVIEWS_PER_HOUR = 2


@pytest.mark.django_db
def test_rate_refuses_a_new_review_past_the_limit_with_a_code(limit_of_two):
    user = UserFactory()
    first, second, third = TitleFactory.create_batch(3)
    rate(user, first, 60, review="One")
    rate(user, second, 70, review="Two")
    with pytest.raises(ValidationError) as refusal:
        rate(user, third, 80, review="Three")
    assert refusal.value.code == "too_many_reviews"
    assert refusal.value.messages == [LIMIT_MESSAGE]
    assert not Rating.objects.filter(user=user, title=third).exists()


@pytest.mark.django_db
def test_scores_unchanged_reviews_and_staff_edits_pass_the_limit(limit_of_two):
    user = UserFactory()
    first, second, third = TitleFactory.create_batch(3)
    rate(user, first, 60, review="One")
    rate(user, second, 70, review="Two")
    rate(user, third, 80)  # a score without a review
    rate(user, first, 65, review="One")  # the review it already has
    rate(user, third, 85, review="Staff wrote this", limit_reviews=False)
    assert Rating.objects.get(user=user, title=third).review == "Staff wrote this"


@pytest.mark.django_db
def test_imports_through_rate_many_are_not_limited(limit_of_two):
    user = UserFactory()
    titles = TitleFactory.create_batch(5)
    written = rate_many(user, [RatingInput(t.pk, 50, review=f"On {t.pk}") for t in titles])
    assert written == 5
    assert Rating.objects.filter(user=user).exclude(review="").count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_20th_and_21st_reviews_exactly_one_is_saved():
    """Two connections post a new review at once when the member has written 19.

    The main thread holds the member's row lock until both posts wait on it, so both
    are in flight together; a limit checked before the lock would let both through.
    """
    user = UserFactory()
    earlier = TitleFactory.create_batch(19)
    rate_many(
        user, [RatingInput(t.pk, 40 + i, review=f"Review {i}") for i, t in enumerate(earlier)]
    )
    racing = TitleFactory.create_batch(2)
    outcomes = race_behind_member_lock(
        user,
        [
            lambda title=title: rate(user, title, 90, review=f"New review of {title.pk}")
            for title in racing
        ],
    )

    assert outcomes == ["saved", "too_many_reviews"]
    assert Rating.objects.filter(user=user).exclude(review="").count() == 20

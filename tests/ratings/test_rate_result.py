"""rate() and unrate() hand back the title's new aggregate, so callers never re-read it."""

import pytest

from catalog.models import Title
from ratings.services import TitleAggregate, rate, unrate
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db

AGGREGATE = ("ratings_count", "percentile_sum", "percentile_count", "avg_percentile")


def _stored(title: Title) -> tuple:
    return tuple(Title.objects.filter(pk=title.pk).values_list(*AGGREGATE).get())


def _on(obj) -> tuple:
    return tuple(getattr(obj, name) for name in AGGREGATE)


def _rater_with_percentiles(titles: list[Title]):
    """A member with five distinct scores, so their ratings have percentiles."""
    user = UserFactory()
    for score, title in zip((10, 30, 50, 70, 90), titles, strict=True):
        rate(user, title, score)
    return user


def test_rate_sets_the_new_aggregate_on_rating_title():
    titles = TitleFactory.create_batch(6)
    target = titles[5]
    other = _rater_with_percentiles(titles[:5])
    rate(other, target, 40)
    stale = Title.objects.get(pk=target.pk)
    user = _rater_with_percentiles(titles[:5])

    rating = rate(user, stale, 95)

    assert rating.title is stale
    assert _on(rating.title) == _stored(target)
    assert rating.title.ratings_count == 2
    assert rating.title.avg_percentile is not None


def test_rate_reads_the_aggregate_when_the_write_left_it_unchanged():
    # Fewer than five distinct scores: no percentiles, and a changed score moves nothing.
    title = TitleFactory()
    user = UserFactory()
    rate(user, title, 50)
    rate(UserFactory(), Title.objects.get(pk=title.pk), 60)
    stale = Title.objects.get(pk=title.pk)
    rate(UserFactory(), Title.objects.get(pk=title.pk), 70)  # stale is now behind

    rating = rate(user, stale, 55)

    assert _on(rating.title) == _stored(title) == (3, 0, 0, None)


def test_unrate_returns_the_new_aggregate_and_sets_it_on_the_title():
    titles = TitleFactory.create_batch(6)
    target = titles[5]
    keeper = _rater_with_percentiles(titles[:5])
    rate(keeper, target, 20)
    user = _rater_with_percentiles(titles[:5])
    rate(user, target, 80)
    stale = Title.objects.get(pk=target.pk)

    aggregate = unrate(user, stale)

    assert isinstance(aggregate, TitleAggregate)
    assert _on(aggregate) == _on(stale) == _stored(target)
    assert aggregate.ratings_count == 1


def test_unrate_without_a_rating_returns_the_current_aggregate():
    title = TitleFactory()
    rate(UserFactory(), title, 50)
    aggregate = unrate(UserFactory(), Title.objects.get(pk=title.pk))
    assert _on(aggregate) == _stored(title) == (1, 0, 0, None)

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from catalog.models import Title
from ratings import services
from ratings.models import Rating
from ratings.services import RatingInput, rate, rate_many, unrate
from tests.factories import TitleFactory, UserFactory
from tests.ratings.reference import assert_matches_reference

pytestmark = pytest.mark.django_db


def _titles(n: int) -> list[Title]:
    return TitleFactory.create_batch(n)


def test_issue_example_new_85_among_250_ratings_gets_79th_percentile():
    user = UserFactory()
    titles = _titles(251)
    # 195 below 85 (spread over several scores), 10 equal to 85, 45 above.
    scores = [10 + (i % 70) for i in range(195)] + [85] * 10 + [90 + (i % 11) for i in range(45)]
    assert sum(s < 85 for s in scores) == 195 and scores.count(85) == 10
    rate_many(user, [RatingInput(t.pk, s) for t, s in zip(titles, scores, strict=False)])

    rating = rate(user, titles[250], 85)

    # floor(100 * (195 + 11 / 2) / 251) = floor(79.88) = 79
    assert rating.percentile == 79
    # The ten earlier 85s share it.
    assert set(Rating.objects.filter(user=user, score=85).values_list("percentile", flat=True)) == {
        79
    }


def test_fewer_than_five_distinct_scores_gives_no_percentiles():
    user = UserFactory()
    titles = _titles(6)
    for title, score in zip(titles, [10, 20, 30, 40, 40, 10], strict=True):
        rate(user, title, score)

    assert set(Rating.objects.filter(user=user).values_list("percentile", flat=True)) == {None}
    title = Title.objects.get(pk=titles[0].pk)
    assert (title.ratings_count, title.percentile_count, title.avg_percentile) == (1, 0, None)


def test_fifth_distinct_score_gives_every_rating_a_percentile():
    user = UserFactory()
    titles = _titles(5)
    for title, score in zip(titles, [10, 20, 30, 40, 50], strict=True):
        rate(user, title, score)

    percentiles = dict(Rating.objects.filter(user=user).values_list("score", "percentile"))
    # n = 5, one rating per score: floor(100 * (below + 0.5) / 5)
    assert percentiles == {10: 10, 20: 30, 30: 50, 40: 70, 50: 90}
    assert Title.objects.get(pk=titles[4].pk).avg_percentile == 90


def test_title_average_is_mean_of_raters_percentiles():
    titles = _titles(5)
    ratings = {}
    for offset in (0, 1):
        user = UserFactory()
        scores = {t.pk: 10 * (i + 1) + offset * ((i * 7) % 3) for i, t in enumerate(titles)}
        rate_many(user, [RatingInput(tid, s) for tid, s in scores.items()])
        ratings[user.pk] = scores
    assert_matches_reference(ratings, [t.pk for t in titles])


def test_changing_a_score_recomputes_and_keeps_rated_at():
    user = UserFactory()
    titles = _titles(6)
    first = datetime(2008, 5, 24, 12, tzinfo=UTC)
    rate(user, titles[0], 73, review="Awkward but fulfilling.", rated_at=first)
    for title, score in zip(titles[1:], [10, 20, 30, 40, 50], strict=True):
        rate(user, title, score)

    rating = rate(user, titles[0], 5, review="Changed my mind.")

    assert rating.rated_at == first
    assert rating.review == "Changed my mind."
    assert_matches_reference(
        {user.pk: {titles[0].pk: 5, **{t.pk: 10 * (i + 1) for i, t in enumerate(titles[1:])}}},
        [t.pk for t in titles],
    )


def test_unrate_removes_rating_and_fixes_aggregates():
    user, other = UserFactory(), UserFactory()
    titles = _titles(6)
    scores = {t.pk: 10 * i for i, t in enumerate(titles)}
    rate_many(user, [RatingInput(tid, s) for tid, s in scores.items()])
    rate_many(other, [RatingInput(tid, 100 - s) for tid, s in scores.items()])

    unrate(user, titles[2])
    unrate(user, titles[2])  # a second delete is a no-op

    del scores[titles[2].pk]
    assert_matches_reference(
        {user.pk: scores, other.pk: {t.pk: 100 - 10 * i for i, t in enumerate(titles)}},
        [t.pk for t in titles],
    )


def test_unrate_back_under_five_distinct_scores_clears_percentiles():
    user = UserFactory()
    titles = _titles(5)
    rate_many(user, [RatingInput(t.pk, 10 * i) for i, t in enumerate(titles)])
    unrate(user, titles[0])

    assert set(Rating.objects.filter(user=user).values_list("percentile", flat=True)) == {None}
    assert set(
        Title.objects.filter(pk__in=[t.pk for t in titles]).values_list(
            "percentile_sum", "percentile_count"
        )
    ) == {(0, 0)}


def test_rate_many_last_entry_for_a_title_wins_and_returns_count():
    user = UserFactory()
    titles = _titles(5)
    entries = [RatingInput(t.pk, 10 * i) for i, t in enumerate(titles)]
    entries.append(RatingInput(titles[0].pk, 95, review="Second thoughts"))

    assert rate_many(user, entries) == 5
    rating = Rating.objects.get(user=user, title=titles[0])
    assert (rating.score, rating.review) == (95, "Second thoughts")
    assert Title.objects.get(pk=titles[0].pk).ratings_count == 1


def test_rate_many_updates_existing_ratings_and_keeps_their_dates():
    user = UserFactory()
    titles = _titles(6)
    old = datetime(2010, 1, 12, tzinfo=UTC)
    rate(user, titles[0], 50, rated_at=old)
    new_date = datetime(2020, 1, 9, tzinfo=UTC)

    rate_many(
        user,
        [RatingInput(titles[0].pk, 60)]
        + [RatingInput(t.pk, 10 * i, rated_at=new_date) for i, t in enumerate(titles[1:])],
    )

    assert Rating.objects.get(user=user, title=titles[0]).rated_at == old
    assert Rating.objects.get(user=user, title=titles[1]).rated_at == new_date
    assert_matches_reference(
        {user.pk: {titles[0].pk: 60, **{t.pk: 10 * i for i, t in enumerate(titles[1:])}}},
        [t.pk for t in titles],
    )


def test_rate_many_uses_the_same_number_of_queries_for_many_entries(
    django_assert_max_num_queries,
):
    user = UserFactory()
    titles = _titles(300)
    with django_assert_max_num_queries(12):
        rate_many(user, [RatingInput(t.pk, i % 101) for i, t in enumerate(titles)])
    assert Rating.objects.filter(user=user).count() == 300


def test_rate_many_rejects_unknown_titles_and_writes_nothing():
    user = UserFactory()
    title = TitleFactory()
    with pytest.raises(ValidationError, match="No title with id") as refusal:
        rate_many(user, [RatingInput(title.pk, 50), RatingInput(title.pk + 10_000, 50)])
    assert refusal.value.code == "unknown_title"
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [-1, 101, 50.5, "50", None, True])
def test_rate_rejects_bad_scores(score):
    user, title = UserFactory(), TitleFactory()
    with pytest.raises(ValidationError) as refusal:
        rate(user, title, score)
    assert refusal.value.code == "bad_score"
    assert not Rating.objects.exists()


def test_rate_rejects_review_over_10000_characters():
    user, title = UserFactory(), TitleFactory()
    rate(user, title, 50, review="x" * 10_000)
    with pytest.raises(ValidationError, match="10,000") as refusal:
        rate(user, title, 60, review="x" * 10_001)
    assert refusal.value.code == "review_too_long"
    assert Rating.objects.get(user=user, title=title).score == 50


def test_recompute_writes_only_changed_rows():
    user = UserFactory()
    titles = _titles(10)
    rate_many(user, [RatingInput(t.pk, 10 * i) for i, t in enumerate(titles)])
    deltas = services.defaultdict(services._Delta)

    assert services._recompute_users([user.pk], deltas) == {}
    # Adding a top score moves every other percentile down a little.
    extra = TitleFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ratings_rating (user_id, title_id, score, review, rated_at, updated_at,"
            " review_hidden) VALUES (%s, %s, 100, '', now(), now(), false)",
            [user.pk, extra.pk],
        )
    changed = len(services._recompute_users([user.pk], deltas))
    assert 0 < changed <= 11


def test_deleting_a_user_fixes_title_aggregates():
    user, other = UserFactory(), UserFactory()
    titles = _titles(5)
    rate_many(user, [RatingInput(t.pk, 10 * i) for i, t in enumerate(titles)])
    rate_many(other, [RatingInput(t.pk, 90 - 10 * i) for i, t in enumerate(titles)])

    user.delete()

    assert_matches_reference(
        {other.pk: {t.pk: 90 - 10 * i for i, t in enumerate(titles)}}, [t.pk for t in titles]
    )


def test_deleting_a_title_recomputes_its_raters():
    user = UserFactory()
    titles = _titles(6)
    rate_many(user, [RatingInput(t.pk, 10 * i) for i, t in enumerate(titles)])

    titles[0].delete()

    assert_matches_reference(
        {user.pk: {t.pk: 10 * (i + 1) for i, t in enumerate(titles[1:])}},
        [t.pk for t in titles[1:]],
    )


def test_hidden_review_still_counts():
    user = UserFactory()
    titles = _titles(5)
    rate_many(user, [RatingInput(t.pk, 10 * i, review="Fine") for i, t in enumerate(titles)])
    rating = Rating.objects.get(user=user, title=titles[4])

    assert services.set_review_hidden([rating.pk], True) == 1
    assert services.set_review_hidden([rating.pk], True) == 0

    assert not Rating.objects.visible().filter(pk=rating.pk).exists()
    assert Title.objects.get(pk=titles[4].pk).avg_percentile == 90
    assert services.set_review_hidden([rating.pk], False) == 1
    assert Rating.objects.visible().filter(pk=rating.pk).exists()


@pytest.mark.parametrize("new_score", [40, 95])
def test_rate_returns_the_rating_as_stored(new_score):
    user = UserFactory()
    titles = _titles(5)
    rate_many(user, [RatingInput(t.pk, 10 * i) for i, t in enumerate(titles)])

    returned = rate(user, titles[4], new_score, review="Again")

    stored = Rating.objects.get(pk=returned.pk)
    fields = ["id", "user_id", "title_id", "score", "percentile", "review", "rated_at"]
    assert [getattr(returned, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert returned.updated_at == stored.updated_at

"""rate() through the ratings_rate database function (issue 17).

A changed score rewrites only the ratings scored between the old and the new score, in
one round trip, and every percentile and aggregate stays what a full recompute gives;
the fallbacks (distinct scores crossing five, a first rating, unrate) stay exact; the
title aggregates live in catalog.TitleStats, kept by title creation and deletion, and
the rating path's updates of it touch no GIN index.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Title, TitleStats
from ratings.models import Rating
from ratings.selectors import percentile_mismatches
from ratings.services import RatingInput, rate, rate_many, recompute_titles_batch, unrate
from tests.factories import TitleFactory, UserFactory
from tests.ratings.reference import assert_matches_reference, reference_percentiles

pytestmark = pytest.mark.django_db


def _exact() -> None:
    """Stored percentiles and aggregates equal a fresh full recompute."""
    assert percentile_mismatches() == ([], [])


def _row_versions(user) -> dict[int, str]:
    """Each of the member's ratings' physical row version (a rewrite moves it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, ctid::text FROM {Rating._meta.db_table} WHERE user_id = %s",
            [user.pk],
        )
        return dict(cursor.fetchall())


@pytest.fixture
def rated_many():
    """A member with 300 ratings over 60 scores and a second member on the same titles."""
    user = UserFactory()
    titles = TitleFactory.create_batch(300)
    scores = {t.pk: (i * 7) % 60 + 20 for i, t in enumerate(titles)}
    rate_many(user, [RatingInput(pk, s) for pk, s in scores.items()])
    other = UserFactory()
    rate_many(other, [RatingInput(t.pk, (i * 13) % 101) for i, t in enumerate(titles[:50])])
    return user, titles, scores


def test_a_score_change_rewrites_only_the_ratings_whose_percentile_moves(rated_many):
    user, titles, scores = rated_many
    target = next(t for t in titles if scores[t.pk] == 30)
    before = _row_versions(user)
    stored = dict(Rating.objects.filter(user=user).values_list("id", "percentile"))
    score_of = dict(Rating.objects.filter(user=user).values_list("id", "score"))

    rating = rate(user, target, 60)

    after = _row_versions(user)
    fresh = dict(Rating.objects.filter(user=user).values_list("id", "percentile"))
    rewritten = {rid for rid in before if before[rid] != after[rid]}
    moved = {rid for rid in stored if stored[rid] != fresh[rid]}
    assert rewritten == moved | {rating.pk}
    # Only ratings scored between the old and the new score (both included) can move,
    # and with 300 ratings some of those keep their percentile and are not rewritten.
    assert all(30 <= score_of[rid] <= 60 for rid in rewritten)
    between = {rid for rid, s in score_of.items() if 30 <= s <= 60}
    assert moved and between - rewritten
    _exact()


def test_score_changes_both_ways_and_to_the_same_score_stay_exact(rated_many):
    user, titles, scores = rated_many
    for title, new in ((titles[3], 99), (titles[3], 0), (titles[10], 0), (titles[10], 0)):
        rate(user, title, new)
        scores[title.pk] = new
        _exact()
    stored = dict(Rating.objects.filter(user=user).values_list("title_id", "percentile"))
    assert stored == reference_percentiles(scores)


def test_the_rated_titles_aggregate_and_the_rating_are_returned(rated_many):
    user, titles, _scores = rated_many
    rating = rate(user, titles[0], 95, review="Better on a second look.")

    stored = Rating.objects.get(pk=rating.pk)
    assert (rating.score, rating.percentile, rating.review, rating.rated_at) == (
        stored.score,
        stored.percentile,
        stored.review,
        stored.rated_at,
    )
    fresh = Title.objects.get(pk=titles[0].pk)
    names = ("ratings_count", "percentile_sum", "percentile_count", "avg_percentile")
    assert [getattr(rating.title, n) for n in names] == [getattr(fresh, n) for n in names]
    assert rating.title.ratings_count == 2


@pytest.mark.parametrize(
    ("scores", "change", "distinct_after"),
    [
        # Four distinct scores, one changed to a fifth: every percentile appears.
        ([10, 20, 30, 40, 40], (4, 45), 5),
        # Five distinct scores, one merged into another: every percentile disappears.
        ([10, 20, 30, 40, 50], (4, 40), 4),
        # Five, and a score moved onto a new value: still five.
        ([10, 20, 30, 40, 50], (4, 60), 5),
        # Three and three: no percentiles before or after.
        ([10, 10, 20, 30], (1, 40), 4),
    ],
)
def test_distinct_scores_around_five_stay_exact(scores, change, distinct_after):
    user = UserFactory()
    titles = TitleFactory.create_batch(len(scores))
    rate_many(user, [RatingInput(t.pk, s) for t, s in zip(titles, scores, strict=True)])
    index, new = change

    rate(user, titles[index], new)

    scores[index] = new
    assert len(set(scores)) == distinct_after
    assert_matches_reference(
        {user.pk: dict(zip([t.pk for t in titles], scores, strict=True))}, [t.pk for t in titles]
    )
    _exact()


def test_a_first_rating_a_new_rating_and_unrate_stay_exact():
    user = UserFactory()
    titles = TitleFactory.create_batch(8)
    scores = {}
    for title, score in zip(titles, (50, 10, 90, 30, 70, 50, 20, 80), strict=True):
        rating = rate(user, title, score)
        scores[title.pk] = score
        assert rating.title.ratings_count == 1
        _exact()
    for title in titles[:6]:
        unrate(user, title)
        del scores[title.pk]
        _exact()
    assert_matches_reference({user.pk: scores}, [t.pk for t in titles])


def _rating_statements(queries) -> list[str]:
    """The statements of rate() other than savepoints and the section-cache bump
    (a row in the generations table when the cache is not Redis)."""
    return [
        q["sql"]
        for q in queries
        if "SAVEPOINT" not in q["sql"] and "core_generation_event" not in q["sql"]
    ]


def test_a_score_change_is_one_round_trip(rated_many):
    user, titles, _scores = rated_many
    with CaptureQueriesContext(connection) as captured:
        rate(user, titles[5], 99)
        rate(user, titles[6], 1)
        rate(user, TitleFactory.build(pk=titles[7].pk), 55)
    statements = _rating_statements(captured.captured_queries)
    assert len(statements) == 3
    assert all("ratings_rate(" in sql for sql in statements)


def test_a_new_rating_is_one_round_trip():
    user = UserFactory()
    title = TitleFactory()
    with CaptureQueriesContext(connection) as captured:
        rate(user, title, 40)
    assert len(_rating_statements(captured.captured_queries)) == 1


def test_a_review_adds_the_limit_check_under_the_lock():
    user = UserFactory()
    title = TitleFactory()
    with CaptureQueriesContext(connection) as captured:
        rate(user, title, 40, review="Worth it.")
    statements = _rating_statements(captured.captured_queries)
    # The user lock, the current review, the count of the last hour's, the function.
    assert len(statements) == 4
    assert "FOR NO KEY UPDATE" in statements[0]
    assert "ratings_rate(" in statements[-1]


# The side table --------------------------------------------------------------------


def _stats(title_id: int) -> tuple | None:
    return (
        TitleStats.objects.filter(title_id=title_id)
        .values_list("ratings_count", "percentile_sum", "percentile_count", "avg_percentile")
        .first()
    )


def test_every_way_of_creating_a_title_creates_its_stats_row():
    saved = TitleFactory()
    bulk = Title.objects.bulk_create([Title(name="Bulk", slug="bulk")])
    given = TitleFactory(ratings_count=4, percentile_sum=150, percentile_count=3)

    assert _stats(saved.pk) == (0, 0, 0, None)
    assert _stats(bulk[0].pk) == (0, 0, 0, None)
    assert _stats(given.pk) == (4, 150, 3, 50.0)
    assert (saved.ratings_count, saved.avg_percentile) == (0, None)
    assert Title.objects.get(pk=given.pk).avg_percentile == 50.0


def test_deleting_a_title_deletes_its_stats_row():
    title = TitleFactory()
    user = UserFactory()
    rate(user, title, 50)
    pk = title.pk

    Title.objects.get(pk=pk).delete()

    assert _stats(pk) is None
    assert not Rating.objects.filter(title_id=pk).exists()


def test_a_title_without_a_stats_row_reads_zero_and_is_healed_by_the_rebuild():
    title = TitleFactory()
    rate(UserFactory(), title, 50)
    TitleStats.objects.filter(title=title).delete()

    annotated = Title.objects.get(pk=title.pk)
    related = Rating.objects.select_related("title").get(title=title).title
    assert (annotated.ratings_count, annotated.avg_percentile) == (0, None)
    assert (related.ratings_count, related.percentile_sum, related.avg_percentile) == (0, 0, None)
    assert Title.objects.filter(pk=title.pk, ratings_count=0).exists()

    assert recompute_titles_batch([title.pk]) == 1
    assert _stats(title.pk) == (1, 0, 0, None)
    _exact()


def test_titles_reached_through_select_related_read_the_stats_row_with_it(rated_many):
    user, _titles, _scores = rated_many
    with CaptureQueriesContext(connection) as captured:
        ratings = list(Rating.objects.filter(user=user).select_related("title__stats")[:20])
        counts = [r.title.ratings_count for r in ratings]
    assert len(captured.captured_queries) == 1
    assert set(counts) <= {1, 2}


def test_the_side_table_has_only_its_key_and_the_two_sort_indexes():
    """The rating path's updates of the aggregates touch three small B-trees (the key
    and browse's two rating orders), never the title row's GIN indexes, on pages a
    fillfactor keeps half empty."""
    table = TitleStats._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = dict(cursor.fetchall())
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        (options,) = cursor.fetchone()
    assert set(indexes) == {
        f"{table}_pkey",
        "titlestats_most_rated",
        "titlestats_top_percentile",
    }
    assert not [name for name, definition in indexes.items() if "USING gin" in definition]
    assert "fillfactor=50" in options

"""Shared SQL reads of taste: a user's own scores and the neighbours a PSI is computed from.

Both ``taste.selectors`` (the title page, explanations) and ``taste.services`` (the
stored PSIs of the recommendations page) read through here, so a PSI shown live and one
stored by the worker come from the same query and the same arithmetic (``taste.engine``).
Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from catalog.models import Title
from ratings.models import Rating
from taste import engine
from taste.models import Compatibility

RATINGS = Rating._meta.db_table
PAIRS = Compatibility._meta.db_table
# A view (migration 0003), so there is no model to read its name from: user_id, title_id,
# position = the stored percentile, or the fallback position of a user without percentiles.
POSITIONS = "taste_position"


def min_common_sql(a: str, b: str) -> str:
    """``engine.min_common`` in SQL, for ratings counts in columns a and b."""
    return (
        f"GREATEST({engine.MIN_COMMON_FLOOR}, LEAST({engine.MIN_COMMON_CAP}, "
        f"floor(LEAST({a}, {b}) * {engine.MIN_COMMON_FRACTION})::int))"
    )


# The candidate neighbours of a user for some titles ({title_filter} on ``r``, the
# neighbours' positions), best engine.NEIGHBOURS per title in ``engine.choose_neighbours``
# order; only pairs under the TCI cutoff, because only they get a positive weight.
# Columns: title_id, user_id, tci, common_count, position (percentile or fallback).
NEIGHBOUR_ROWS_SQL = f"""
WITH compatible AS (
    SELECT CASE WHEN user_a_id = %(user_id)s THEN user_b_id ELSE user_a_id END AS other,
           tci, common_count
      FROM {PAIRS}
     WHERE (user_a_id = %(user_id)s OR user_b_id = %(user_id)s) AND tci < {engine.TCI_CUTOFF}
),
ranked AS (
    SELECT r.title_id, r.user_id, c.tci, c.common_count, r.position,
           row_number() OVER (
               PARTITION BY r.title_id ORDER BY c.tci, c.common_count DESC, r.user_id
           ) AS rank
      FROM compatible AS c
      JOIN {POSITIONS} AS r ON r.user_id = c.other
     WHERE {{title_filter}}
)
SELECT title_id, user_id, tci, common_count, position FROM ranked
 WHERE rank <= {engine.NEIGHBOURS}
 ORDER BY title_id, rank
"""

# Neighbours for the titles a page shows (one query for a whole list of titles).
NEIGHBOURS_FOR_TITLES_SQL = NEIGHBOUR_ROWS_SQL.format(
    title_filter="r.title_id = ANY(%(title_ids)s)"
)

# Neighbours for every title the user has not rated: the stored PSIs of the
# recommendations page, refreshed by the worker.
NEIGHBOURS_FOR_UNRATED_SQL = NEIGHBOUR_ROWS_SQL.format(
    title_filter=(
        f"NOT EXISTS (SELECT 1 FROM {RATINGS} AS mine "
        "WHERE mine.user_id = %(user_id)s AND mine.title_id = r.title_id)"
    )
)

# Everything a PSI needs from the user's own ratings, in one row: whether they may have
# one (count, distinct scores) and the sorted scores a percentile is mapped back through.
OWN_SCORES_SQL = f"""
SELECT count(*), count(DISTINCT score), array_agg(score ORDER BY score)
  FROM {RATINGS} WHERE user_id = %s
"""


@dataclass(frozen=True)
class OwnScores:
    """What a user's own ratings say for PSI: how many, with percentiles, sorted scores."""

    ratings_count: int
    distinct_scores: int
    sorted_scores: list[int]

    @property
    def can_predict(self) -> bool:
        return (
            self.ratings_count >= engine.MIN_RATINGS
            and self.distinct_scores >= engine.MIN_POSITION_SCORES
        )


def own_scores(user_id: int) -> OwnScores:
    """The user's own scores, for PSI (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(OWN_SCORES_SQL, [user_id])
        count, distinct, scores = cursor.fetchone()
    return OwnScores(count, distinct, list(scores or []))


def candidates_from_rows(rows) -> dict[int, list[engine.Candidate]]:
    """{title id: candidates} from rows of NEIGHBOUR_ROWS_SQL, in their order."""
    by_title: dict[int, list[engine.Candidate]] = defaultdict(list)
    for title_id, other, tci, common, percentile in rows:
        by_title[title_id].append(engine.Candidate(other, tci, common, percentile))
    return by_title


def candidates_by_title(user_id: int, title_ids: list[int]) -> dict[int, list[engine.Candidate]]:
    """Best candidate neighbours of a user for each of these titles (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            NEIGHBOURS_FOR_TITLES_SQL, {"user_id": user_id, "title_ids": list(title_ids)}
        )
        return candidates_from_rows(cursor.fetchall())


def unrated_candidates(user_id: int) -> dict[int, list[engine.Candidate]]:
    """Best candidate neighbours of a user for every title they have not rated."""
    with connection.cursor() as cursor:
        cursor.execute(NEIGHBOURS_FOR_UNRATED_SQL, {"user_id": user_id})
        return candidates_from_rows(cursor.fetchall())


def predict_from(
    own: OwnScores,
    aggregates: dict[int, tuple[int, int]],
    candidates: dict[int, list[engine.Candidate]],
) -> dict[int, tuple[engine.Prediction, float]]:
    """(prediction, score 0-100) for each title with an aggregate (percentile sum and
    count) and neighbours enough for a PSI."""
    result = {}
    for title_id, found in candidates.items():
        if title_id not in aggregates:
            continue
        total, count = aggregates[title_id]
        prediction = engine.predict_percentile(found, total, count)
        if prediction is not None:
            score = engine.score_at_percentile(own.sorted_scores, prediction.percentile)
            result[title_id] = (prediction, score)
    return result


def predict_titles(
    user_id: int, titles: list[Title], own: OwnScores | None = None
) -> dict[int, tuple[engine.Prediction, float]]:
    """(prediction, score 0-100) for each of these titles that has a PSI: one query for
    the user's own scores (unless given) and one for the neighbours of all the titles.

    Titles the user rated are predicted too; callers leave them out as they need."""
    own = own or own_scores(user_id)
    if not own.can_predict or not titles:
        return {}
    aggregates = {t.pk: (t.percentile_sum, t.percentile_count) for t in titles}
    return predict_from(own, aggregates, candidates_by_title(user_id, list(aggregates)))

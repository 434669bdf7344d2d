"""Shared SQL reads of taste: a user's own scores and offset, and every term a PSI is
computed from (title offsets, neighbours, similar titles you rated).

Both ``taste.selectors`` (the title page, explanations) and ``taste.services`` (the
stored PSIs of the recommendations page) read through here, so a PSI shown live and one
stored by the worker come from the same query and the same arithmetic (``taste.engine``).
Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection

from ratings.models import Rating
from taste import engine
from taste.models import Compatibility, TasteProfile, TitleSimilarity, TitleTaste

RATINGS = Rating._meta.db_table
PAIRS = Compatibility._meta.db_table
PROFILES = TasteProfile._meta.db_table
TITLE_TASTE = TitleTaste._meta.db_table
SIMILAR = TitleSimilarity._meta.db_table
# A view (migration 0003), so there is no model to read its name from: user_id, title_id,
# position = the stored percentile, or the fallback position of a user without percentiles.
POSITIONS = "taste_position"


def min_common_sql(a: str, b: str) -> str:
    """``engine.min_common`` in SQL, for ratings counts in columns a and b."""
    return (
        f"GREATEST({engine.MIN_COMMON_FLOOR}, LEAST({engine.MIN_COMMON_CAP}, "
        f"floor(LEAST({a}, {b}) * {engine.MIN_COMMON_FRACTION})::int))"
    )


# Row kinds of PSI_TERMS_SQL.
TITLE_ROW, NEIGHBOUR_ROW, SIMILAR_ROW, MATE_ROW, RATED_TITLE_ROW = 0, 1, 2, 3, 4

# Every term of the PSIs of some titles ({wanted}: a query of title_id), one row each:
# - kind 0: the title's offset and raters with a position (no row: nobody rated it);
# - kind 1: the best engine.NEIGHBOURS raters of the title by agreement with the user
#   (engine.choose_neighbours order), with their position, their offset and W, the
#   agreement summed over ALL raters of the title the user agrees with;
# - kind 2: the best engine.SIMILAR_TITLES stored similar titles the user rated, with the
#   user's position on it and its offset;
# - kind 3: the taste factors of each neighbour of kind 1, kind 4: of each similar title
#   of kind 2 (once each, not on every row that names them: at 1,000,000 ratings a
#   member's PSIs of every unrated title have 100,000 such rows but a few hundred
#   distinct factor vectors).
# Columns: kind, title_id, other id, agreement, common, position, offset, W, factors (the
# title's, the mate's or the rated title's taste factors; NULL or empty until fitted).
# {raters_of_mates} (``r``: title_id, position) and {similar_to_mine} (``s`` and ``mine``)
# say how the mates' positions and the similar titles the user rated are read.
# ``mates`` is MATERIALIZED: the planner otherwise rescans the pairs once per rater.
PSI_TERMS_SQL = f"""
WITH wanted AS ({{wanted}}),
mates AS MATERIALIZED (
    SELECT CASE WHEN user_a_id = %(user_id)s THEN user_b_id ELSE user_a_id END AS other,
           agreement, common_count
      FROM {PAIRS}
     WHERE (user_a_id = %(user_id)s OR user_b_id = %(user_id)s) AND agreement > 0
),
raters AS (
    SELECT r.title_id, m.other, m.agreement, m.common_count, r.position,
           coalesce(p.user_offset, 0) AS their_offset,
           row_number() OVER (
               PARTITION BY r.title_id ORDER BY m.agreement DESC, m.common_count DESC, m.other
           ) AS rank,
           sum(m.agreement) OVER (PARTITION BY r.title_id) AS support_weight
      FROM mates AS m
      {{raters_of_mates}}
      JOIN wanted AS w ON w.title_id = r.title_id
      LEFT JOIN {PROFILES} AS p ON p.user_id = m.other
     WHERE {{rater_filter}}
),
alike AS (
    SELECT s.title_id, s.similar_id, s.score, mine.position,
           coalesce(tt."offset", 0) AS its_offset,
           row_number() OVER (PARTITION BY s.title_id ORDER BY s.score DESC, s.similar_id) AS rank
      FROM {{similar_to_mine}}
      JOIN wanted AS w ON w.title_id = s.title_id
      LEFT JOIN {TITLE_TASTE} AS tt ON tt.title_id = s.similar_id
     WHERE s.score > 0
)
SELECT {TITLE_ROW}, tt.title_id, 0, 0.0, tt.raters_count, 0, tt."offset", 0.0, tt.factors
  FROM {TITLE_TASTE} AS tt JOIN wanted AS w ON w.title_id = tt.title_id
 WHERE tt.raters_count > 0
UNION ALL
SELECT {NEIGHBOUR_ROW}, title_id, other, agreement, common_count, position, their_offset,
       support_weight, NULL
  FROM raters WHERE rank <= {engine.NEIGHBOURS}
UNION ALL
SELECT {SIMILAR_ROW}, title_id, similar_id, score, 0, position, its_offset, 0.0, NULL
  FROM alike WHERE rank <= {engine.SIMILAR_TITLES}
UNION ALL
SELECT {MATE_ROW}, 0, p.user_id, 0.0, 0, 0, 0.0, 0.0, p.factors
  FROM {PROFILES} AS p
 WHERE p.user_id IN (SELECT other FROM raters WHERE rank <= {engine.NEIGHBOURS})
UNION ALL
SELECT {RATED_TITLE_ROW}, 0, tt.title_id, 0.0, 0, 0, 0.0, 0.0, tt.factors
  FROM {TITLE_TASTE} AS tt
 WHERE tt.title_id IN (SELECT similar_id FROM alike WHERE rank <= {engine.SIMILAR_TITLES})
"""

# The terms of the titles a page shows (one query for a whole list of titles).
# (The title filter is repeated on the positions so that it reaches the indexes of both
# branches of the view; a join to ``wanted`` alone does not.)
PSI_TERMS_FOR_TITLES_SQL = PSI_TERMS_SQL.format(
    wanted="SELECT unnest(%(title_ids)s::bigint[]) AS title_id",
    raters_of_mates=f"JOIN {POSITIONS} AS r ON r.user_id = m.other",
    rater_filter="r.title_id = ANY(%(title_ids)s)",
    similar_to_mine=(
        f"{SIMILAR} AS s JOIN {POSITIONS} AS mine"
        " ON mine.user_id = %(user_id)s AND mine.title_id = s.similar_id"
    ),
)

# The terms of every title the user has not rated and someone with a position has: the
# stored PSIs of the recommendations page, refreshed by the worker.
PSI_TERMS_FOR_UNRATED_SQL = PSI_TERMS_SQL.format(
    wanted=(
        f"SELECT tt.title_id FROM {TITLE_TASTE} AS tt WHERE tt.raters_count > 0 "
        f"AND NOT EXISTS (SELECT 1 FROM {RATINGS} AS mine "
        "WHERE mine.user_id = %(user_id)s AND mine.title_id = tt.title_id)"
    ),
    # Every title: read from the user's side, one index scan per mate for their ratings and
    # one per title the user rated for the titles it is similar to, so the work follows the
    # mates' and the user's ratings, not the catalogue (the planner, misled by the
    # estimate of ``mates``, would otherwise sort every position and scan every similar-
    # title row: the statement took 1.06 s instead of 0.39 s at 1,000,000 ratings).
    raters_of_mates=(
        "CROSS JOIN LATERAL (SELECT title_id, position FROM "
        f"{POSITIONS} WHERE user_id = m.other OFFSET 0) AS r"
    ),
    rater_filter="TRUE",
    similar_to_mine=(
        f"(SELECT title_id, position FROM {POSITIONS} WHERE user_id = %(user_id)s) AS mine"
        " CROSS JOIN LATERAL (SELECT title_id, similar_id, score FROM "
        f"{SIMILAR} WHERE similar_id = mine.title_id OFFSET 0) AS s"
    ),
)

# Everything a PSI needs from the user's own ratings, in one row: whether they may have
# one (count, distinct scores), the sorted scores their scale is drawn through, their
# offset (NULL until the worker first computed their taste) and their taste factors.
OWN_SCORES_SQL = f"""
SELECT count(*), count(DISTINCT score), array_agg(score ORDER BY score),
       (SELECT user_offset FROM {PROFILES} WHERE user_id = %(user_id)s),
       (SELECT factors FROM {PROFILES} WHERE user_id = %(user_id)s)
  FROM {RATINGS} WHERE user_id = %(user_id)s
"""


@dataclass(frozen=True)
class OwnScores:
    """What a user's own ratings say for PSI: how many, how many different scores, the
    sorted scores, the user's offset b_u (None while not computed) and taste factors."""

    ratings_count: int
    distinct_scores: int
    sorted_scores: list[int]
    user_offset: float | None = None
    factors: tuple[float, ...] = ()

    @property
    def can_predict(self) -> bool:
        return (
            self.ratings_count >= engine.MIN_RATINGS
            and self.distinct_scores >= engine.MIN_POSITION_SCORES
        )

    @property
    def scale(self) -> engine.Scale:
        return engine.Scale.of(self.sorted_scores)


def own_scores(user_id: int) -> OwnScores:
    """The user's own scores and offset, for PSI (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(OWN_SCORES_SQL, {"user_id": user_id})
        count, distinct, scores, offset, factors = cursor.fetchone()
    return OwnScores(count, distinct, list(scores or []), offset, tuple(factors or ()))


@dataclass
class Terms:
    """What one title's PSI is computed from (rows of PSI_TERMS_SQL)."""

    title_offset: float = 0.0
    title_factors: tuple[float, ...] = ()
    raters_count: int = 0
    neighbours: list[tuple] = field(default_factory=list)
    similar: list[tuple] = field(default_factory=list)
    support_weight: float = 0.0


def terms_from_rows(rows) -> dict[int, Terms]:
    """{title id: terms} of the titles someone with a position rated."""
    factors_of = {MATE_ROW: {}, RATED_TITLE_ROW: {}}
    for kind, _title, other, *_columns, factors in rows:
        if kind in factors_of:
            factors_of[kind][other] = factors
    mates, rated = factors_of[MATE_ROW], factors_of[RATED_TITLE_ROW]
    by_title: dict[int, Terms] = defaultdict(Terms)
    for kind, title_id, other, agreement, common, position, offset, support, factors in rows:
        if kind == TITLE_ROW:
            terms = by_title[title_id]
            terms.title_offset, terms.raters_count = offset, common
            terms.title_factors = tuple(factors or ())
        elif kind == NEIGHBOUR_ROW:
            terms = by_title[title_id]
            terms.neighbours.append((other, agreement, common, position, offset, mates.get(other)))
            terms.support_weight = support
        elif kind == SIMILAR_ROW:
            similar = (other, agreement, position, offset, rated.get(other))
            by_title[title_id].similar.append(similar)
    return {t: terms for t, terms in by_title.items() if terms.raters_count > 0}


def psi_terms(user_id: int, title_ids: list[int]) -> dict[int, Terms]:
    """The terms of a user's PSIs of these titles (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(PSI_TERMS_FOR_TITLES_SQL, {"user_id": user_id, "title_ids": title_ids})
        return terms_from_rows(cursor.fetchall())


def unrated_terms(user_id: int) -> dict[int, Terms]:
    """The terms of a user's PSIs of every title they have not rated (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(PSI_TERMS_FOR_UNRATED_SQL, {"user_id": user_id})
        return terms_from_rows(cursor.fetchall())


def predict_from(own: OwnScores, terms: dict[int, Terms]) -> dict[int, engine.Prediction]:
    """The prediction of each title with terms (``engine.predict``)."""
    if not own.can_predict or own.user_offset is None:
        return {}
    scale = own.scale
    b_u, x_u = own.user_offset, own.factors
    result = {}
    for title_id, t in terms.items():
        b_t, y_t = t.title_offset, t.title_factors
        result[title_id] = engine.predict(
            b_u,
            b_t,
            [
                engine.neighbour(v, w, c, p, b_v, b_t, x_v, y_t)
                for v, w, c, p, b_v, x_v in t.neighbours
            ],
            [engine.similar_rated(j, w, p, b_j, b_u, y_j, x_u) for j, w, p, b_j, y_j in t.similar],
            scale,
            support_weight=t.support_weight,
            user_factors=x_u,
            title_factors=y_t,
        )
    return result


def predict_titles(user_id: int, title_ids: list[int], own: OwnScores | None = None):
    """{title id: prediction} for these titles: one query for the user's own scores
    (unless given) and one for the terms of all the titles.

    Titles the user rated are predicted too; callers leave them out as they need."""
    own = own or own_scores(user_id)
    if not own.can_predict or own.user_offset is None or not title_ids:
        return {}
    return predict_from(own, psi_terms(user_id, list(title_ids)))

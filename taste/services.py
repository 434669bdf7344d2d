"""Writes of the taste tables: compatibilities (TCI), predictions, similar titles, the
change log, and the PSI a user was shown.

Heavy work runs in the background worker (``taste.tasks`` calls in here, and queues the
refreshes); pages only read. Every number written here follows ``taste.engine`` (the
same arithmetic the pages and ``evaluate_psi`` use), through ``taste.queries``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from catalog.models import Title
from core import cache as section_cache
from ratings.models import Rating
from taste import engine, model
from taste.models import (
    ChangeKind,
    Compatibility,
    FallbackPosition,
    PendingRefresh,
    Prediction,
    ShownPrediction,
    TasteChange,
    TasteProfile,
    TitleSimilarity,
)
from taste.queries import (
    PAIRS,
    POSITIONS,
    PROFILES,
    RATINGS,
    TITLE_TASTE,
    min_common_sql,
    own_scores,
    predict_from,
    unrated_terms,
)

PREDICTIONS = Prediction._meta.db_table
SIMILAR = TitleSimilarity._meta.db_table
CHANGES = TasteChange._meta.db_table
PENDING = PendingRefresh._meta.db_table
TASKS = DBTaskResult._meta.db_table
# A sequence (migration 0005), so there is no model to read its name from.
GENERATIONS = "taste_pending_generation"
FALLBACK = FallbackPosition._meta.db_table
SHOWN = ShownPrediction._meta.db_table

# Pair rows are written under one advisory lock PER PAIR, taken in one statement in the
# order of the lock keys (sorted, distinct), before any pair row is touched: two
# refreshes wait on each other only when they share a pair (no global lock, so workers
# run side by side), and since every writer takes its locks in the same global order,
# no set of refreshes can wait on each other in a cycle (no deadlock), even when two
# pairs' keys collide. The two-int form (objsubid 2 in pg_locks) never meets the
# worker's task locks (one bigint, objsubid 1). Keys: (PAIR_LOCK_SPACE, hash of "a:b").
PAIR_LOCK_SPACE = 734_112
PAIR_LOCK_KEY = "hashtext(LEAST({u}, {o})::text || ':' || GREATEST({u}, {o})::text)"
# Returns the other members of the user's stored pairs, read before the locks are taken;
# the stale-pair DELETE touches only those (locked), never a row it holds no lock on.
USER_PAIR_OTHERS_SQL = f"""
SELECT user_b_id FROM {PAIRS} WHERE user_a_id = %(u)s
UNION
SELECT user_a_id FROM {PAIRS} WHERE user_b_id = %(u)s
"""
LOCK_USER_PAIRS_SQL = f"""
SELECT count(pg_advisory_xact_lock({PAIR_LOCK_SPACE}, k)) FROM (
    SELECT DISTINCT {PAIR_LOCK_KEY.format(u="%(u)s::bigint", o="o")} AS k
      FROM unnest(%(others)s::bigint[]) AS x(o)
     ORDER BY k
) AS keys
"""

# Similar titles kept per title, and raters in common needed (see taste.engine).
SIMILAR_MIN_COMMON = engine.SIMILAR_MIN_COMMON
SIMILAR_KEEP = engine.SIMILAR_KEEP


# Offsets ---------------------------------------------------------------------------

# Title offsets b_t = sum over raters (position - 49.5 - b_v) / (n_t + TITLE_SHRINK) of
# some titles, from the stored user offsets (taste.model step 1, one round). In title
# order, so two refreshes sharing changed titles lock their rows in the same order.
TITLE_OFFSETS_SQL = f"""
INSERT INTO {TITLE_TASTE} (title_id, "offset", raters_count, computed_at)
SELECT t.id,
       coalesce(sum(r.position - {engine.MIDDLE} - coalesce(p.user_offset, 0)), 0)
           / (count(r.position) + {model.TITLE_SHRINK}),
       count(r.position), %(now)s
  FROM {Title._meta.db_table} AS t
  LEFT JOIN {POSITIONS} AS r ON r.title_id = t.id
  LEFT JOIN {PROFILES} AS p ON p.user_id = r.user_id
 WHERE t.id = ANY(%(title_ids)s)
 GROUP BY t.id
 ORDER BY t.id
ON CONFLICT (title_id) DO UPDATE
   SET "offset" = EXCLUDED."offset", raters_count = EXCLUDED.raters_count,
       computed_at = EXCLUDED.computed_at
"""

# The titles a user rated since their offset was last computed (or never computed).
CHANGED_TITLES_SQL = f"""
SELECT r.title_id FROM {RATINGS} AS r
  LEFT JOIN {TITLE_TASTE} AS tt ON tt.title_id = r.title_id
 WHERE r.user_id = %s AND (tt.title_id IS NULL OR tt.computed_at < r.updated_at)
"""

# A user's offset b_u = sum over their titles (position - 49.5 - b_t) / (n_u + USER_SHRINK)
# with the titles' offsets held as stored: sum and count here.
USER_OFFSET_SQL = f"""
SELECT coalesce(sum(m.position - {engine.MIDDLE} - coalesce(tt."offset", 0)), 0), count(*)
  FROM {POSITIONS} AS m LEFT JOIN {TITLE_TASTE} AS tt ON tt.title_id = m.title_id
 WHERE m.user_id = %s
"""


def refresh_title_offsets(title_ids: list[int]) -> int:
    """Recompute these titles' offsets from the stored user offsets."""
    with connection.cursor() as cursor:
        cursor.execute(TITLE_OFFSETS_SQL, {"title_ids": list(title_ids), "now": timezone.now()})
        return cursor.rowcount


def refresh_user_offset(user_id: int) -> float:
    """The offsets of the titles the user changed, then the user's own offset (titles'
    offsets held fixed); stored on the profile row, returned."""
    with connection.cursor() as cursor:
        cursor.execute(CHANGED_TITLES_SQL, [user_id])
        changed = [row[0] for row in cursor.fetchall()]
        if changed:
            refresh_title_offsets(changed)
        cursor.execute(USER_OFFSET_SQL, [user_id])
        total, count = cursor.fetchone()
    offset = float(total) / (count + model.USER_SHRINK)
    TasteProfile.objects.update_or_create(
        user_id=user_id,
        defaults={"user_offset": offset},
        create_defaults={"user_offset": offset, "computed_at": timezone.now()},
    )
    return offset


# Taste factors (taste.model step 2b) -------------------------------------------------
# The rebuild fits every user's and title's factors together; a refresh fits one side
# against the other side's factors as stored (one ridge regression). Rows whose other side
# has no factors yet count as zeros, which add nothing.

# A user's residuals (their new offset is a parameter) and the factors of those titles.
USER_FACTOR_ROWS_SQL = f"""
SELECT m.position - {engine.MIDDLE} - %(offset)s - coalesce(tt."offset", 0), tt.factors
  FROM {POSITIONS} AS m JOIN {TITLE_TASTE} AS tt ON tt.title_id = m.title_id
 WHERE m.user_id = %(user_id)s AND cardinality(tt.factors) = {model.FACTORS}
"""
# A title's raters' residuals and their factors.
TITLE_FACTOR_ROWS_SQL = f"""
SELECT m.position - {engine.MIDDLE} - coalesce(p.user_offset, 0) - tt."offset", p.factors
  FROM {POSITIONS} AS m
  JOIN {PROFILES} AS p ON p.user_id = m.user_id
  JOIN {TITLE_TASTE} AS tt ON tt.title_id = m.title_id
 WHERE m.title_id = %(title_id)s AND cardinality(p.factors) = {model.FACTORS}
"""
SET_TITLE_FACTORS_SQL = f"UPDATE {TITLE_TASTE} SET factors = %s WHERE title_id = %s"


def _fitted(rows) -> list[float] | None:
    """The factors fitted to (residual, other side's factors) rows; None without rows
    (nothing fitted yet: the term stays 0)."""
    if not rows:
        return None
    residuals = [row[0] for row in rows]
    return model.fit_factors([row[1] for row in rows], residuals).tolist()


def user_factors(user_id: int, user_offset: float) -> list[float] | None:
    """The user's taste factors against the titles' factors as stored."""
    with connection.cursor() as cursor:
        cursor.execute(USER_FACTOR_ROWS_SQL, {"user_id": user_id, "offset": user_offset})
        return _fitted(cursor.fetchall())


def refresh_title_factors(title_id: int) -> None:
    """The title's taste factors against its raters' factors as stored."""
    with connection.cursor() as cursor:
        cursor.execute(TITLE_FACTOR_ROWS_SQL, {"title_id": title_id})
        cursor.execute(SET_TITLE_FACTORS_SQL, [_fitted(cursor.fetchall()), title_id])


# Compatibility ----------------------------------------------------------------------


def in_sample(user_id: str, title_id: str, raters: str) -> str:
    """SQL: the rating counts towards pairs (engine.sample_slot; %(cap)s the cap)."""
    return f"({raters} <= %(cap)s OR {engine.sample_slot_sql(user_id, title_id, raters)} < %(cap)s)"


# One user's pair sums with everyone sharing enough titles: for each title the user rated
# (in its sample), the title's raters in its sample (an index scan per title, at most
# about ``cap`` rows kept each). Residuals r = position - 49.5 - user offset - title
# offset (the user's new offset is a parameter). The other's number of ratings is their
# profile's (written by their refresh and the rebuild; counted when they have none).
# Columns: other, sum |p_u - p_v|, c, sum r_u r_v, sum r_u^2, sum r_v^2.
USER_PAIRS_SQL = f"""
WITH mine AS (
    SELECT m.title_id, m.position, coalesce(tt."offset", 0) AS title_offset,
           coalesce(tt.raters_count, 0) AS raters
      FROM {POSITIONS} AS m LEFT JOIN {TITLE_TASTE} AS tt ON tt.title_id = m.title_id
     WHERE m.user_id = %(user_id)s
       AND {in_sample("m.user_id", "m.title_id", "coalesce(tt.raters_count, 0)")}
),
my_count AS (SELECT count(*) AS n FROM {RATINGS} WHERE user_id = %(user_id)s),
pairs AS (
    SELECT o.user_id AS other, abs(o.position - m.position) AS diff,
           m.position - {engine.MIDDLE} - %(offset)s - m.title_offset AS mine,
           o.position - {engine.MIDDLE} - coalesce(p.user_offset, 0) - m.title_offset AS theirs,
           p.ratings_count AS their_count
      FROM mine AS m
      CROSS JOIN LATERAL (
          SELECT r.user_id, r.position FROM {POSITIONS} AS r
           WHERE r.title_id = m.title_id AND r.user_id <> %(user_id)s
             AND {in_sample("r.user_id", "m.title_id", "m.raters")}
          OFFSET 0  -- kept a subquery: one index scan per title, never the whole table
      ) AS o
      LEFT JOIN {PROFILES} AS p ON p.user_id = o.user_id
),
shared AS (
    SELECT other, sum(diff) AS diff, count(*) AS common, sum(mine * theirs) AS cross_sum,
           sum(mine * mine) AS my_sq, sum(theirs * theirs) AS their_sq,
           max(their_count) AS their_count
      FROM pairs GROUP BY other
),
counted AS (
    SELECT s.*, coalesce(NULLIF(s.their_count, 0),
                         (SELECT count(*) FROM {RATINGS} AS c WHERE c.user_id = s.other)) AS n
      FROM shared AS s
     WHERE s.common >= {engine.MIN_COMMON_FLOOR}
)
SELECT s.other, s.diff::float8, s.common, s.cross_sum, s.my_sq, s.their_sq
  FROM counted AS s CROSS JOIN my_count AS me
 WHERE s.common >= {min_common_sql("me.n", "s.n")}
"""

# Pairs kept per member (as the rebuild keeps them): a compatible pair is stored when it
# is among either member's NEIGHBOURS_KEEP best by agreement (agreement > 0; the PSI
# neighbours, engine.NEIGHBOURS of them are used per title) or SOULMATES_KEEP best by
# shrunk TCI (the soulmates page shows 50); ties at the cut go to the lower user id. A
# refresh of u knows u's own best from its rows; whether (u, v) is among v's best it
# reads from v's profile: the last pair v keeps (its "floor", from v's last refresh or
# the rebuild; NULL while v has fewer), one row per other member (no scan of v's pairs).
NEIGHBOURS_KEEP = engine.NEIGHBOURS
SOULMATES_KEEP = 100
KEPT_BY_OTHERS_SQL = f"""
SELECT c.o
  FROM unnest(%(others)s::bigint[], %(agreements)s::float8[], %(shrunk)s::float8[])
       AS c(o, w, s)
  LEFT JOIN {PROFILES} AS p ON p.user_id = c.o
 WHERE (c.w > 0 AND (p.neighbour_floor IS NULL OR p.neighbour_floor_id = %(u)s
                     OR c.w > p.neighbour_floor
                     OR (c.w = p.neighbour_floor AND %(u)s < p.neighbour_floor_id)))
    OR p.soulmate_floor IS NULL OR p.soulmate_floor_id = %(u)s
    OR c.s < p.soulmate_floor
    OR (c.s = p.soulmate_floor AND %(u)s < p.soulmate_floor_id)
"""
SET_FLOORS_SQL = f"""
UPDATE {PROFILES}
   SET neighbour_floor = %(nf)s, neighbour_floor_id = %(nid)s,
       soulmate_floor = %(sf)s, soulmate_floor_id = %(sid)s
 WHERE user_id = %(u)s
"""

# The user's pairs that are no longer compatible (the others are upserted below), among
# those read (and locked) before: ``stored``.
DELETE_STALE_USER_PAIRS_SQL = f"""
DELETE FROM {PAIRS}
 WHERE (user_a_id = %(u)s AND user_b_id = ANY(%(stale)s))
    OR (user_b_id = %(u)s AND user_a_id = ANY(%(stale)s))
"""

# Upsert in (user_a, user_b) order, so concurrent writers lock rows in the same order, and
# rewrite only the pairs whose numbers changed (no dead rows for unchanged pairs).
UPSERT_USER_PAIRS_SQL = f"""
INSERT INTO {PAIRS} (user_a_id, user_b_id, tci, common_count, tci_shrunk, agreement,
                     computed_at)
SELECT LEAST(%(u)s, o), GREATEST(%(u)s, o), t, c, ts, w, %(now)s
  FROM unnest(%(others)s::bigint[], %(tcis)s::float8[], %(commons)s::int[],
              %(shrunk)s::float8[], %(agreements)s::float8[]) AS x(o, t, c, ts, w)
 ORDER BY 1, 2
ON CONFLICT (user_a_id, user_b_id) DO UPDATE
   SET tci = EXCLUDED.tci, common_count = EXCLUDED.common_count,
       tci_shrunk = EXCLUDED.tci_shrunk, agreement = EXCLUDED.agreement,
       computed_at = EXCLUDED.computed_at
 WHERE ({PAIRS}.tci, {PAIRS}.common_count, {PAIRS}.agreement)
       IS DISTINCT FROM (EXCLUDED.tci, EXCLUDED.common_count, EXCLUDED.agreement)
"""

# A rebuild replaces every pair; no refresh writes pairs meanwhile (reads go on).
LOCK_PAIRS_TABLE_SQL = f"LOCK TABLE {PAIRS} IN EXCLUSIVE MODE"
DELETE_ALL_PAIRS_SQL = f"DELETE FROM {PAIRS}"
INSERT_PAIRS_SQL = f"""
INSERT INTO {PAIRS} (user_a_id, user_b_id, tci, common_count, tci_shrunk, agreement,
                     computed_at)
SELECT a, b, t, c, ts, w, %(now)s
  FROM unnest(%(a)s::bigint[], %(b)s::bigint[], %(tcis)s::float8[], %(commons)s::int[],
              %(shrunk)s::float8[], %(agreements)s::float8[]) AS x(a, b, t, c, ts, w)
"""

# Positions of users without percentiles: the percentile formula applied anyway, for
# the users matched by {users}; only users whose scores say something about order.
FALLBACK_POSITIONS_SQL = f"""
SELECT user_id, title_id,
       ((200 * below + 100 * (below_or_equal - below)) / (2 * n))::smallint AS position
  FROM (
    SELECT user_id, title_id, percentile,
           rank() OVER by_score - 1 AS below,
           count(*) OVER by_score AS below_or_equal,
           count(*) OVER (PARTITION BY user_id) AS n,
           count(percentile) OVER (PARTITION BY user_id) AS with_percentile,
           max(score) OVER (PARTITION BY user_id) > min(score) OVER (PARTITION BY user_id)
               AS varied
      FROM {RATINGS}
     WHERE {{users}}
    WINDOW by_score AS (PARTITION BY user_id ORDER BY score)
  ) AS counted
 WHERE with_percentile = 0 AND varied
"""
FALLBACK_SQL = f"INSERT INTO {FALLBACK} (user_id, title_id, position) {FALLBACK_POSITIONS_SQL}"
FALLBACK_ALL_SQL = FALLBACK_SQL.format(users="TRUE")
# All of them (a rebuild, in its transaction): delete, then FALLBACK_ALL_SQL.
DELETE_ALL_FALLBACK_SQL = f"DELETE FROM {FALLBACK}"
# Some users' (a refresh): ONE statement that upserts the changed positions and deletes
# the vanished ones, so a refresh of someone else reading these users' positions at the
# same time sees them all before or all after, never none (a delete committed before
# the insert made a concurrent refresh drop its pairs with them); and two refreshes of
# the same user never collide on the unique key. Returns the rows written or deleted.
REFRESH_USERS_FALLBACK_SQL = f"""
WITH fresh AS ({FALLBACK_POSITIONS_SQL.format(users="user_id = ANY(%(users)s)")}),
written AS (
    INSERT INTO {FALLBACK} (user_id, title_id, position)
    SELECT user_id, title_id, position FROM fresh ORDER BY user_id, title_id
    ON CONFLICT (user_id, title_id) DO UPDATE SET position = EXCLUDED.position
     WHERE {FALLBACK}.position <> EXCLUDED.position
    RETURNING 1
),
vanished AS (
    DELETE FROM {FALLBACK} AS f
     WHERE f.user_id = ANY(%(users)s)
       AND NOT EXISTS (SELECT 1 FROM fresh
                        WHERE fresh.user_id = f.user_id AND fresh.title_id = f.title_id)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM vanished)
"""


def refresh_positions(user_ids: list[int] | None = None) -> int:
    """Recompute the fallback positions of these users (all users when None); returns
    the rows written (and, for some users, deleted)."""
    with connection.cursor() as cursor:
        if user_ids is None:
            cursor.execute(DELETE_ALL_FALLBACK_SQL)
            cursor.execute(FALLBACK_ALL_SQL)
            return cursor.rowcount
        cursor.execute(REFRESH_USERS_FALLBACK_SQL, {"users": list(user_ids)})
        return cursor.fetchone()[0]


def pair_raters_cap() -> int:
    """Co-raters compared per title (engine.sample_slot)."""
    return settings.TASTE_PAIR_RATERS_PER_TITLE


def kept_pairs(user_id: int, pairs: dict[int, tuple]) -> tuple[list[int], dict]:
    """The others whose pair with the user is stored (see KEPT_BY_OTHERS_SQL), from
    ``pairs`` = {other: (tci, common, shrunk, agreement)} of every compatible other; and
    the user's floors (SET_FLOORS_SQL parameters)."""
    agreeing = sorted((o for o in pairs if pairs[o][3] > 0), key=lambda o: (-pairs[o][3], o))
    alike = sorted(pairs, key=lambda o: (pairs[o][2], o))
    kept = set(agreeing[:NEIGHBOURS_KEEP]) | set(alike[:SOULMATES_KEEP])
    full_n, full_s = len(agreeing) >= NEIGHBOURS_KEEP, len(alike) >= SOULMATES_KEEP
    last_n = agreeing[NEIGHBOURS_KEEP - 1] if full_n else None
    last_s = alike[SOULMATES_KEEP - 1] if full_s else None
    floors = {
        "u": user_id,
        "nf": pairs[last_n][3] if full_n else None,
        "nid": last_n,
        "sf": pairs[last_s][2] if full_s else None,
        "sid": last_s,
    }
    rest = sorted(set(pairs) - kept)
    if rest:
        with connection.cursor() as cursor:
            cursor.execute(
                KEPT_BY_OTHERS_SQL,
                {
                    "u": user_id,
                    "others": rest,
                    "agreements": [pairs[o][3] for o in rest],
                    "shrunk": [pairs[o][2] for o in rest],
                },
            )
            kept.update(row[0] for row in cursor.fetchall())
    return sorted(kept), floors


@transaction.atomic
def refresh_user_compatibility(user_id: int, user_offset: float | None = None) -> int:
    """Recompute one user's pairs (TCI, shrunk TCI, agreement) from the ratings and the
    stored offsets as they are now, and store those kept (``kept_pairs``): written under
    per-pair locks, stale ones deleted. Returns the number of pairs stored."""
    if user_offset is None:
        refresh_positions([user_id])
        user_offset = refresh_user_offset(user_id)
    with connection.cursor() as cursor:
        cursor.execute(
            USER_PAIRS_SQL,
            {"user_id": user_id, "offset": user_offset, "cap": pair_raters_cap()},
        )
        pairs = {
            other: (
                diff / common,
                common,
                engine.shrunk_tci(diff / common, common),
                engine.agreement(cross, mine, theirs, common),
            )
            for other, diff, common, cross, mine, theirs in cursor.fetchall()
        }
        others, floors = kept_pairs(user_id, pairs)
        cursor.execute(SET_FLOORS_SQL, floors)
        cursor.execute(USER_PAIR_OTHERS_SQL, {"u": user_id})
        stored = [row[0] for row in cursor.fetchall()]
        stale = sorted(set(stored).difference(others))
        cursor.execute(LOCK_USER_PAIRS_SQL, {"u": user_id, "others": sorted({*stored, *others})})
        if stale:
            cursor.execute(DELETE_STALE_USER_PAIRS_SQL, {"u": user_id, "stale": stale})
        cursor.execute(
            UPSERT_USER_PAIRS_SQL,
            {
                "u": user_id,
                "now": timezone.now(),
                "others": others,
                "tcis": [pairs[o][0] for o in others],
                "commons": [pairs[o][1] for o in others],
                "shrunk": [pairs[o][2] for o in others],
                "agreements": [pairs[o][3] for o in others],
            },
        )
    return len(others)


# Stored predictions -------------------------------------------------------------------

# Stored PSIs per user, by rank_key (the rebuild keeps as many): the recommendations
# page lists 24 at a time and filters by genre; the title page computes its PSI live.
PREDICTIONS_KEEP = 200
PREDICTION_COLUMNS = (
    "percentile",
    "score",
    "title_offset",
    "user_offset",
    "factor_adjustment",
    "neighbour_adjustment",
    "similar_adjustment",
    "spread",
    "support",
    "low",
    "high",
    "rank_key",
)
# A user's stored PSIs are updated in place, in one statement: the new ones upserted (a
# row is rewritten only when a number changed: no dead row for a PSI that did not move)
# and the titles no longer among them deleted. Readers see the old set or the new one;
# two refreshes of the same member never collide on the unique key.
_CHANGED = " OR ".join(
    f"{PREDICTIONS}.{c} IS DISTINCT FROM EXCLUDED.{c}"
    for c in ("neighbours_count", *PREDICTION_COLUMNS)
)
UPSERT_USER_PREDICTIONS_SQL = f"""
WITH fresh AS (
    SELECT t, n, {", ".join(PREDICTION_COLUMNS)}
      FROM unnest(%(titles)s::bigint[], %(counts)s::int[],
                  {", ".join(f"%({c})s::float8[]" for c in PREDICTION_COLUMNS)})
           AS x(t, n, {", ".join(PREDICTION_COLUMNS)})
),
written AS (
    INSERT INTO {PREDICTIONS} (user_id, title_id, neighbours_count, computed_at,
                               {", ".join(PREDICTION_COLUMNS)})
    SELECT %(u)s, t, n, %(now)s, {", ".join(PREDICTION_COLUMNS)} FROM fresh ORDER BY t
    ON CONFLICT (user_id, title_id) DO UPDATE
       SET neighbours_count = EXCLUDED.neighbours_count, computed_at = EXCLUDED.computed_at,
           {", ".join(f"{c} = EXCLUDED.{c}" for c in PREDICTION_COLUMNS)}
     WHERE {_CHANGED}
    RETURNING 1
),
vanished AS (
    DELETE FROM {PREDICTIONS}
     WHERE user_id = %(u)s AND NOT title_id = ANY(%(titles)s::bigint[])
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM vanished)
"""


def kept_predictions(predictions: dict) -> list[int]:
    """The titles whose PSI is stored: the PREDICTIONS_KEEP with the highest rank_key
    (ties: the lower title id), in title order."""
    best = sorted(predictions, key=lambda t: (-predictions[t].rank_key, t))
    return sorted(best[:PREDICTIONS_KEEP])


@transaction.atomic
def refresh_user_predictions(user_id: int) -> int:
    """Recompute the stored PSIs of the titles the user has not rated (for the
    recommendations page): the PREDICTIONS_KEEP best by rank_key, changed rows upserted,
    vanished ones deleted; returns the number stored."""
    own = own_scores(user_id)
    now = timezone.now()
    predictions = predict_from(own, unrated_terms(user_id)) if own.can_predict else {}
    ids = kept_predictions(predictions)
    with connection.cursor() as cursor:
        cursor.execute(
            UPSERT_USER_PREDICTIONS_SQL,
            {
                "u": user_id,
                "now": now,
                "titles": ids,
                "counts": [len(predictions[t].neighbours) for t in ids],
                **{
                    column: [getattr(predictions[t], column) for t in ids]
                    for column in PREDICTION_COLUMNS
                },
            },
        )
    return len(ids)


def refresh_user_taste(user_id: int) -> tuple[int, int]:
    """One user's taste after they rated: the offsets of the titles they changed and
    their own offset, their pairs (TCI, agreement), their stored PSIs, the profile row.
    Other users' and titles' numbers are read as stored (the periodic rebuild fits them
    all together again)."""
    if not get_user_model().objects.filter(pk=user_id).exists():
        return (0, 0)
    refresh_positions([user_id])
    offset = refresh_user_offset(user_id)
    factors = user_factors(user_id, offset)
    TasteProfile.objects.filter(user_id=user_id).update(factors=factors)
    compatible = refresh_user_compatibility(user_id, offset)
    predicted = refresh_user_predictions(user_id)
    stats = Rating.objects.filter(user_id=user_id).values_list("updated_at", flat=True)
    TasteProfile.objects.update_or_create(
        user_id=user_id,
        defaults={
            "ratings_count": stats.count(),
            "ratings_updated_at": stats.order_by("-updated_at").first(),
            "compatible_count": compatible,
            "user_offset": offset,
            "computed_at": timezone.now(),
        },
    )
    return compatible, predicted


# Similar titles -----------------------------------------------------------------------

# One title's sums with every title sharing raters: for each rater of the title (with a
# position) and each other title they rated, both residuals r = position - 49.5 - user
# offset - title offset. Columns: other title, c, sum r_t r_j, sum r_t^2, sum r_j^2,
# mean |position difference|.
TITLE_PAIRS_SQL = f"""
WITH mine AS (
    SELECT m.user_id, m.position,
           m.position - {engine.MIDDLE} - coalesce(p.user_offset, 0)
               - coalesce(tt."offset", 0) AS r
      FROM {POSITIONS} AS m
      LEFT JOIN {PROFILES} AS p ON p.user_id = m.user_id
      LEFT JOIN {TITLE_TASTE} AS tt ON tt.title_id = m.title_id
     WHERE m.title_id = %(title_id)s
),
theirs AS (
    SELECT o.title_id, abs(o.position - m.position) AS diff, m.r AS mine,
           o.position - {engine.MIDDLE} - coalesce(p.user_offset, 0)
               - coalesce(tt."offset", 0) AS r
      FROM mine AS m
      JOIN {POSITIONS} AS o ON o.user_id = m.user_id AND o.title_id <> %(title_id)s
      LEFT JOIN {PROFILES} AS p ON p.user_id = o.user_id
      LEFT JOIN {TITLE_TASTE} AS tt ON tt.title_id = o.title_id
)
SELECT title_id, count(*), sum(mine * r), sum(mine * mine), sum(r * r), avg(diff)::float8
  FROM theirs GROUP BY title_id
HAVING count(*) >= {SIMILAR_MIN_COMMON}
"""
INSERT_SIMILAR_SQL = f"""
INSERT INTO {SIMILAR} (title_id, similar_id, score, mean_difference, common_count, computed_at)
SELECT t, o, w, d, c, %(now)s
  FROM unnest(%(titles)s::bigint[], %(others)s::bigint[], %(scores)s::float8[],
              %(differences)s::float8[], %(commons)s::int[]) AS x(t, o, w, d, c)
"""
DELETE_TITLE_SIMILAR_SQL = f"DELETE FROM {SIMILAR} WHERE title_id = %s"
DELETE_ALL_SIMILAR_SQL = f"DELETE FROM {SIMILAR}"


@transaction.atomic
def refresh_title_similarity(title_id: int) -> int:
    """A title's offset (its ratings changed), then its similar titles: the best
    SIMILAR_KEEP by title agreement; returns how many it has."""
    with connection.cursor() as cursor:
        cursor.execute(DELETE_TITLE_SIMILAR_SQL, [title_id])
        if not Title.objects.filter(pk=title_id).exists():
            return 0
        refresh_title_offsets([title_id])
        refresh_title_factors(title_id)
        cursor.execute(TITLE_PAIRS_SQL, {"title_id": title_id})
        rows = [
            (other, engine.agreement(cross, mine, theirs, common), difference, common)
            for other, common, cross, mine, theirs, difference in cursor.fetchall()
        ]
        kept = sorted((r for r in rows if r[1] > 0), key=lambda r: (-r[1], r[0]))[:SIMILAR_KEEP]
        section_cache.bump(section_cache.TASTE)
        if kept:
            cursor.execute(
                INSERT_SIMILAR_SQL,
                {
                    "now": timezone.now(),
                    "titles": [title_id] * len(kept),
                    "others": [r[0] for r in kept],
                    "scores": [r[1] for r in kept],
                    "differences": [r[2] for r in kept],
                    "commons": [r[3] for r in kept],
                },
            )
        return len(kept)


# Rebuild (all at once, numpy: fine at demo size; rebuild_taste does it at scale) -------

# Changes logged up to a rebuild are covered by it.
DELETE_CHANGES_UNTIL_SQL = f"DELETE FROM {CHANGES} WHERE changed_at <= %s"
ALL_POSITIONS_SQL = f"SELECT user_id, title_id, position FROM {POSITIONS}"
RATING_COUNTS_SQL = f"SELECT user_id, count(*) FROM {RATINGS} GROUP BY user_id"
DELETE_ALL_TITLE_TASTE_SQL = f"DELETE FROM {TITLE_TASTE}"
INSERT_TITLE_TASTE_SQL = f"""
INSERT INTO {TITLE_TASTE} (title_id, "offset", raters_count, computed_at)
SELECT t, b, n, %(now)s FROM unnest(%(titles)s::bigint[], %(offsets)s::float8[],
                                    %(counts)s::int[]) AS x(t, b, n)
"""
PROFILE_OFFSETS_SQL = f"""
INSERT INTO {PROFILES} (user_id, user_offset, ratings_count, compatible_count, computed_at)
SELECT u, b, 0, 0, %(now)s FROM unnest(%(users)s::bigint[], %(offsets)s::float8[]) AS x(u, b)
ON CONFLICT (user_id) DO UPDATE SET user_offset = EXCLUDED.user_offset
"""
# Factors of many rows at once: ``flat`` holds FACTORS numbers per id, in id order.
SET_FACTORS_SQL = f"""
UPDATE {{table}} AS target
   SET factors = (%(flat)s::float8[])[(x.i - 1) * {model.FACTORS} + 1 : x.i * {model.FACTORS}]
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS x(id, i)
 WHERE target.{{key}} = x.id
"""
SET_PROFILE_FACTORS_SQL = SET_FACTORS_SQL.format(table=PROFILES, key="user_id")
SET_TITLE_TASTE_FACTORS_SQL = SET_FACTORS_SQL.format(table=TITLE_TASTE, key="title_id")


def _rebuild_tables(cursor, now) -> dict[str, int]:
    """Offsets, pairs and similar titles of everyone from all positions at once, with
    ``taste.model``'s functions (dense matrices: users x users and titles x titles)."""
    cursor.execute(ALL_POSITIONS_SQL)
    rows = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 3)
    cursor.execute(RATING_COUNTS_SQL)
    rating_counts = dict(cursor.fetchall())
    user_ids, users = np.unique(rows[:, 0].astype(np.int64), return_inverse=True)
    title_ids, titles = np.unique(rows[:, 1].astype(np.int64), return_inverse=True)
    pos = rows[:, 2]
    n_users, n_titles = len(user_ids), len(title_ids)
    b_u, b_t = model.offsets(users, titles, pos, n_users, n_titles)
    r = model.residuals(users, titles, pos, b_u, b_t)
    R, Mk = model.residual_matrix(users, titles, r, n_users, n_titles)
    counts = {}

    cursor.execute(DELETE_ALL_TITLE_TASTE_SQL)
    cursor.execute(
        INSERT_TITLE_TASTE_SQL,
        {
            "now": now,
            "titles": title_ids.tolist(),
            "offsets": b_t.tolist(),
            "counts": np.bincount(titles, minlength=n_titles).tolist(),
        },
    )
    cursor.execute(
        PROFILE_OFFSETS_SQL, {"now": now, "users": user_ids.tolist(), "offsets": b_u.tolist()}
    )
    x, y = model.taste_factors(users, titles, r, n_users, n_titles)
    cursor.execute(SET_PROFILE_FACTORS_SQL, {"ids": user_ids.tolist(), "flat": x.ravel().tolist()})
    cursor.execute(
        SET_TITLE_TASTE_FACTORS_SQL, {"ids": title_ids.tolist(), "flat": y.ravel().tolist()}
    )
    counts["titles"] = n_titles

    w, c = model.agreement(R, Mk)
    diff_sum, _ = model.pair_sums(users, titles, pos, n_users)
    n = np.array([rating_counts.get(int(u), 0) for u in user_ids])
    fewer = np.minimum.outer(n, n)
    need = np.maximum(
        engine.MIN_COMMON_FLOOR,
        np.minimum(engine.MIN_COMMON_CAP, np.floor(fewer * engine.MIN_COMMON_FRACTION)),
    )
    a, b = np.nonzero(np.triu((c >= need) & (c > 0), k=1))
    tci = diff_sum[a, b] / c[a, b]
    cursor.execute(LOCK_PAIRS_TABLE_SQL)
    cursor.execute(DELETE_ALL_PAIRS_SQL)
    cursor.execute(
        INSERT_PAIRS_SQL,
        {
            "now": now,
            "a": user_ids[a].tolist(),
            "b": user_ids[b].tolist(),
            "tcis": tci.tolist(),
            "commons": c[a, b].astype(int).tolist(),
            "shrunk": model.shrunk_tci(diff_sum[a, b], c[a, b]).tolist(),
            "agreements": w[a, b].tolist(),
        },
    )
    counts["pairs"] = len(a)

    wt, ct = model.agreement(R.T, Mk.T)
    diff_t, _ = model.pair_sums(titles, users, pos, n_titles)
    wt[(ct < SIMILAR_MIN_COMMON) | (wt <= 0)] = 0.0
    keep = model.top_k(wt, SIMILAR_KEEP)
    t, o = np.nonzero(keep > 0)
    cursor.execute(DELETE_ALL_SIMILAR_SQL)
    cursor.execute(
        INSERT_SIMILAR_SQL,
        {
            "now": now,
            "titles": title_ids[t].tolist(),
            "others": title_ids[o].tolist(),
            "scores": keep[t, o].tolist(),
            "differences": (diff_t[t, o] / ct[t, o]).tolist(),
            "commons": ct[t, o].astype(int).tolist(),
        },
    )
    counts["similar"] = len(t)
    return counts


def rebuild_all(progress=None) -> dict[str, int]:
    """Recompute every taste table from the ratings: offsets, pairs and similar titles
    set-based (``taste.model``), then every user's stored PSIs through the same path as
    a per-user refresh. Fine at demo size (dense matrices); ``rebuild_taste`` scales."""
    say = progress or (lambda message: None)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(DELETE_CHANGES_UNTIL_SQL, [now])
        cursor.execute(DELETE_ALL_PENDING_SQL)
        refresh_positions()
        counts = _rebuild_tables(cursor, now)
        section_cache.bump(section_cache.TASTE)
    say(f"Offsets of {counts['titles']} titles, compatible pairs: {counts['pairs']}")
    say(f"Similar-title rows: {counts['similar']}")
    user_ids = list(
        get_user_model()
        .objects.filter(ratings__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    counts["predictions"] = 0
    for done, user_id in enumerate(sorted(user_ids), start=1):
        counts["predictions"] += refresh_user_predictions(user_id)
        TasteProfile.objects.update_or_create(
            user_id=user_id,
            defaults={
                "ratings_count": Rating.objects.filter(user_id=user_id).count(),
                "ratings_updated_at": Rating.objects.filter(user_id=user_id)
                .order_by("-updated_at")
                .values_list("updated_at", flat=True)
                .first(),
                "compatible_count": Compatibility.objects.filter(user_a_id=user_id).count()
                + Compatibility.objects.filter(user_b_id=user_id).count(),
                "computed_at": timezone.now(),
            },
        )
        if done % 100 == 0 or done == len(user_ids):
            say(f"Predictions: {done}/{len(user_ids)} users")
    counts["users"] = len(user_ids)
    return counts


# The change log and pending refreshes ---------------------------------------------------

# Take the settled part of the head of the change log. The head is its oldest ``scan``
# rows (primary key order; ``{head_filter}``: only those of single ratings, through the
# partial index taste_change_interactive, or every row); the first ``limit`` objects in
# it (by their oldest row) whose latest change is older than the cutoff are taken with
# all their rows (index taste_change_object; a burst of ratings becomes one refresh
# once the rater pauses), deleting exactly the rows read, so changes logged meanwhile
# stay for the next look. A pass reads a bounded head and the rows of the objects it
# takes, never the whole log (an import leaves a million rows). ``bulk``: every change
# taken for the object came from a bulk write.
TAKE_SETTLED_SQL = f"""
WITH head AS (
    SELECT kind, object_id FROM (
        SELECT id, kind, object_id FROM {CHANGES} WHERE {{head_filter}}
         ORDER BY id LIMIT %(scan)s
    ) AS h
     GROUP BY kind, object_id
     ORDER BY min(id) LIMIT %(limit)s
),
settled AS (
    SELECT c.kind, c.object_id, max(c.id) AS last_id
      FROM head AS h
      JOIN {CHANGES} AS c ON c.kind = h.kind AND c.object_id = h.object_id
     GROUP BY c.kind, c.object_id
    HAVING max(c.changed_at) <= %(cutoff)s
),
taken AS (
    DELETE FROM {CHANGES} AS c USING settled AS s
     WHERE c.kind = s.kind AND c.object_id = s.object_id AND c.id <= s.last_id
    RETURNING c.kind, c.object_id, c.changed_at, c.bulk
)
SELECT kind, object_id, min(changed_at), bool_and(bulk) FROM taken GROUP BY kind, object_id
"""
# Changes of single ratings are taken first, so a member's new rating is not queued
# behind an import's backlog; then the oldest of any kind.
TAKE_SETTLED_CHANGES_SQL = TAKE_SETTLED_SQL.format(head_filter="TRUE")
TAKE_SETTLED_INTERACTIVE_SQL = TAKE_SETTLED_SQL.format(head_filter="NOT bulk")
# Rows of the log's head a dispatch pass looks at, per object it may take.
SCAN_PER_OBJECT = 5

# Mark refreshes pending, in key order (no deadlock with a concurrent dispatcher). An
# object already pending keeps its marker and its oldest change, and its generation
# moves, so the refresh running for it (if any) knows to queue one more. Generations
# come from one sequence (migration 0005): a marker deleted and written again never
# gets a generation an older refresh could mistake for its own.
MARK_PENDING_SQL = f"""
INSERT INTO {PENDING} (kind, object_id, queued_at, changed_at, generation)
SELECT k, o, now(), c, nextval('{GENERATIONS}')
  FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[]) AS x(k, o, c)
 ORDER BY k, o
ON CONFLICT (kind, object_id) DO UPDATE
   SET generation = nextval('{GENERATIONS}'),
       changed_at = LEAST({PENDING}.changed_at, EXCLUDED.changed_at)
"""

# Pending refreshes with no task that will run them: never queued, or their task
# finished (succeeded before the marker moved on, or failed for good: only when the
# caller asks, since a sweep must not retry a failing task forever), or (a database
# queue) its row is gone. Locked, skipping markers another worker is queueing now.
STRANDED_SQL = f"""
SELECT m.kind, m.object_id
  FROM {PENDING} AS m
  LEFT JOIN {TASKS} AS t ON t.id = m.task_id
 WHERE {{markers}}
   AND (m.task_id IS NULL
        OR (t.id IS NULL AND %(rows_required)s)
        OR t.status = 'SUCCESSFUL'
        OR (t.status = 'FAILED' AND %(include_failed)s))
 ORDER BY m.kind, m.object_id
   FOR UPDATE OF m SKIP LOCKED
"""
STRANDED_ALL_SQL = STRANDED_SQL.format(markers="TRUE")
STRANDED_OF_SQL = STRANDED_SQL.format(
    markers="(m.kind, m.object_id) IN (SELECT * FROM unnest(%(kinds)s::text[], %(ids)s::bigint[]))"
)

# Which task now runs each marker (one statement for a whole dispatch).
SET_MARKER_TASKS_SQL = f"""
UPDATE {PENDING} AS m SET task_id = x.t
  FROM unnest(%s::text[], %s::bigint[], %s::uuid[]) AS x(k, o, t)
 WHERE m.kind = x.k AND m.object_id = x.o
"""

# Queued (not yet running) refreshes of these objects that were queued behind the bulk
# backlog go back to the default priority.
PROMOTE_QUEUED_SQL = f"""
UPDATE {TASKS} AS t SET priority = 0
  FROM {PENDING} AS m
 WHERE m.task_id = t.id AND t.status = 'READY' AND t.priority < 0
   AND (m.kind, m.object_id) IN (SELECT * FROM unnest(%s::text[], %s::bigint[]))
"""

# A refresh that read the ratings after every change its marker stands for removes it;
# if the generation moved while it ran, the marker stays (and is queued again).
FINISH_REFRESH_SQL = f"""
DELETE FROM {PENDING} WHERE kind = %s AND object_id = %s AND generation = %s
"""

# A rebuild covers every change logged before it, and every pending refresh.
DELETE_ALL_PENDING_SQL = f"DELETE FROM {PENDING}"


@dataclass(frozen=True)
class Dispatched:
    users: list[int]
    titles: list[int]
    # (kind, object id) of those owed only to bulk writes (imports), queued behind.
    bulk: frozenset = frozenset()


Marked = list[tuple[str, int]]


def as_dispatched(marked: Marked) -> Dispatched:
    return Dispatched(
        sorted(o for k, o in marked if k == ChangeKind.USER),
        sorted(o for k, o in marked if k == ChangeKind.TITLE),
    )


@transaction.atomic
def take_settled_changes(settle_seconds: float = 0.0, limit: int = 1000) -> Dispatched:
    """Turn logged rating changes into pending refreshes, one per user and per title;
    returns every object marked (``taste.tasks.dispatch_changes`` queues a task for those
    whose marker has none, in the same transaction).

    Only objects whose latest change is at least ``settle_seconds`` old are taken, so a
    burst of ratings by one person becomes one refresh once they pause. An object that
    already has a refresh pending keeps it, with its generation moved on."""
    cutoff = timezone.now() - timedelta(seconds=settle_seconds)
    taken: list[tuple] = []
    with connection.cursor() as cursor:
        for sql in (TAKE_SETTLED_INTERACTIVE_SQL, TAKE_SETTLED_CHANGES_SQL):
            left = limit - len(taken)
            if left <= 0:
                break
            cursor.execute(sql, {"cutoff": cutoff, "limit": left, "scan": left * SCAN_PER_OBJECT})
            taken += cursor.fetchall()
    mark_pending([(k, o, c) for k, o, c, _bulk in taken])
    dispatched = as_dispatched([(k, o) for k, o, _c, _bulk in taken])
    bulk = frozenset((k, o) for k, o, _c, bulk in taken if bulk)
    return Dispatched(dispatched.users, dispatched.titles, bulk)


def mark_pending(changes: list[tuple[str, int, datetime]]) -> None:
    """Mark refreshes pending for (kind, object id, oldest change) rows."""
    if not changes:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            MARK_PENDING_SQL,
            [[k for k, _, _ in changes], [o for _, o, _ in changes], [c for _, _, c in changes]],
        )


def stranded_refreshes(
    marked: Marked | None, *, rows_required: bool, include_failed: bool
) -> Marked:
    """The pending refreshes (among ``marked``, or all when None) that no queued or
    running task will run, locked until the transaction ends. ``rows_required``: the
    queue keeps its tasks in the database, so a marker whose task row is gone is
    stranded too."""
    params = {"rows_required": rows_required, "include_failed": include_failed}
    if marked is None:
        sql = STRANDED_ALL_SQL
    else:
        if not marked:
            return []
        sql = STRANDED_OF_SQL
        params |= {"kinds": [k for k, _ in marked], "ids": [o for _, o in marked]}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(k, o) for k, o in cursor.fetchall()]


def promote_queued_refreshes(marked: Marked) -> int:
    """Move the queued refreshes of ``marked`` queued behind the bulk backlog back to the
    default priority; returns how many moved."""
    if not marked:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(PROMOTE_QUEUED_SQL, [[k for k, _ in marked], [o for _, o in marked]])
        return cursor.rowcount


def set_marker_tasks(kind: str, object_ids: list[int], task_ids: list) -> None:
    """Record which task refreshes each of these pending objects."""
    if object_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                SET_MARKER_TASKS_SQL,
                [[kind] * len(object_ids), object_ids, [str(t) for t in task_ids]],
            )


def refresh_generation(kind: str, object_id: int) -> int | None:
    """The generation of an object's pending refresh, read before a refresh reads the
    ratings (None when nothing is pending)."""
    return (
        PendingRefresh.objects.filter(kind=kind, object_id=object_id)
        .values_list("generation", flat=True)
        .first()
    )


def finish_refresh(kind: str, object_id: int, generation: int | None) -> bool:
    """Remove the pending marker a refresh covered; False when the object changed while
    the refresh ran (its marker stays, locked, and needs another task). A refresh that
    started with nothing pending leaves alone any marker written since: whoever wrote it
    queued its task."""
    if generation is None:
        return True
    with connection.cursor() as cursor:
        cursor.execute(FINISH_REFRESH_SQL, [kind, object_id, generation])
        if cursor.rowcount:
            return True
    return (
        not PendingRefresh.objects.select_for_update()
        .filter(kind=kind, object_id=object_id)
        .exists()
    )


# What the title page showed ------------------------------------------------------

# Written only when the shown value changed: the title page is read far more often than
# a PSI moves, and a GET must not be a write transaction (an ON CONFLICT ... DO UPDATE
# locks the existing row even when its WHERE skips the update). So the stored score is
# read first, and the upsert runs only for a new or different value. Two views racing
# on a new value both upsert the same row; the last one wins, which is what was shown.
SHOWN_SCORE_SQL = f"SELECT score FROM {SHOWN} WHERE user_id = %s AND title_id = %s"
RECORD_SHOWN_SQL = f"""
INSERT INTO {SHOWN} (user_id, title_id, score, percentile, shown_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (user_id, title_id) DO UPDATE
   SET score = EXCLUDED.score, percentile = EXCLUDED.percentile, shown_at = EXCLUDED.shown_at
 WHERE {SHOWN}.score IS DISTINCT FROM EXCLUDED.score
"""


def record_shown_prediction(user, title, score: float, percentile: float) -> bool:
    """Remember the PSI shown to ``user`` for ``title`` (they have not rated it yet), so
    that once they rate it the page can say what was predicted. Reads the stored value
    (one query) and writes only when it is missing or different; returns whether it
    wrote."""
    with connection.cursor() as cursor:
        cursor.execute(SHOWN_SCORE_SQL, [user.pk, title.pk])
        row = cursor.fetchone()
        if row is not None and row[0] == score:
            return False
        cursor.execute(RECORD_SHOWN_SQL, [user.pk, title.pk, score, percentile, timezone.now()])
    return True

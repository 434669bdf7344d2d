"""Writes of the taste tables: compatibilities (TCI), predictions, similar titles, the
change log, and the PSI a user was shown.

Heavy work runs in the background worker (``taste.tasks`` calls in here, and queues the
refreshes); pages only read. Every number written here follows ``taste.engine`` (the
same arithmetic the pages and ``evaluate_psi`` use), through ``taste.queries``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Title
from ratings.models import Rating
from taste import engine
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
    RATINGS,
    min_common_sql,
    own_scores,
    predict_from,
    unrated_candidates,
)

PREDICTIONS = Prediction._meta.db_table
SIMILAR = TitleSimilarity._meta.db_table
CHANGES = TasteChange._meta.db_table
PENDING = PendingRefresh._meta.db_table
FALLBACK = FallbackPosition._meta.db_table
SHOWN = ShownPrediction._meta.db_table

# Pair rows are written under one advisory lock, so that refreshes of two users who
# share a pair never interleave (no deadlock, no duplicate-key race).
PAIRS_LOCK = 734_112_001
PAIRS_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"

# Similar titles: a title needs this many raters in common with another, and each
# title keeps its best SIMILAR_KEEP.
SIMILAR_MIN_COMMON = 5
SIMILAR_COMMON_SHRINK = 10.0
SIMILAR_KEEP = 24
# Unrelated titles differ by 100/3 percentiles on average (see engine.TCI_CUTOFF).
UNRELATED_DIFFERENCE = 100 / 3


# Compatibility ----------------------------------------------------------------------

# One user's TCI with everyone sharing enough titles: a self-join of positions on title,
# so the database compares only users who rated a title in common.
USER_PAIRS_SQL = f"""
WITH mine AS (
    SELECT title_id, position FROM {POSITIONS} WHERE user_id = %(user_id)s
),
my_count AS (SELECT count(*) AS n FROM {RATINGS} WHERE user_id = %(user_id)s),
shared AS (
    SELECT o.user_id AS other, sum(abs(o.position - m.position)) AS diff, count(*) AS common
      FROM mine AS m
      JOIN {POSITIONS} AS o ON o.title_id = m.title_id
     WHERE o.user_id <> %(user_id)s
     GROUP BY o.user_id
),
their_count AS (
    SELECT user_id, count(*) AS n FROM {RATINGS}
     WHERE user_id IN (SELECT other FROM shared) GROUP BY user_id
)
SELECT s.other, s.diff::float8 / s.common, s.common
  FROM shared AS s
  JOIN their_count AS c ON c.user_id = s.other
  CROSS JOIN my_count AS me
 WHERE s.common >= {min_common_sql("me.n", "c.n")}
"""

# Every pair at once (rebuild): one self-join of all positions is far cheaper than one
# USER_PAIRS_SQL per user, and writes each pair once (user_a < user_b).
ALL_PAIRS_SQL = f"""
WITH counts AS (SELECT user_id, count(*) AS n FROM {RATINGS} GROUP BY user_id),
shared AS (
    SELECT a.user_id AS user_a, b.user_id AS user_b,
           sum(abs(a.position - b.position)) AS diff, count(*) AS common
      FROM {POSITIONS} AS a
      JOIN {POSITIONS} AS b ON b.title_id = a.title_id AND b.user_id > a.user_id
     GROUP BY a.user_id, b.user_id
)
INSERT INTO {PAIRS} (user_a_id, user_b_id, tci, common_count, computed_at)
SELECT s.user_a, s.user_b, s.diff::float8 / s.common, s.common, %(now)s
  FROM shared AS s
  JOIN counts AS ca ON ca.user_id = s.user_a
  JOIN counts AS cb ON cb.user_id = s.user_b
 WHERE s.common >= {min_common_sql("ca.n", "cb.n")}
"""

# The user's pairs that are no longer compatible (the others are upserted below).
DELETE_STALE_USER_PAIRS_SQL = f"""
DELETE FROM {PAIRS}
 WHERE (user_a_id = %(u)s AND NOT user_b_id = ANY(%(others)s))
    OR (user_b_id = %(u)s AND NOT user_a_id = ANY(%(others)s))
"""

# Upsert in (user_a, user_b) order, so concurrent writers lock rows in the same order, and
# rewrite only the pairs whose TCI changed (no dead rows for unchanged pairs).
UPSERT_USER_PAIRS_SQL = f"""
INSERT INTO {PAIRS} (user_a_id, user_b_id, tci, common_count, computed_at)
SELECT LEAST(%(u)s, o), GREATEST(%(u)s, o), t, c, %(now)s
  FROM unnest(%(others)s::bigint[], %(tcis)s::float8[], %(commons)s::int[]) AS x(o, t, c)
 ORDER BY 1, 2
ON CONFLICT (user_a_id, user_b_id) DO UPDATE
   SET tci = EXCLUDED.tci, common_count = EXCLUDED.common_count,
       computed_at = EXCLUDED.computed_at
 WHERE ({PAIRS}.tci, {PAIRS}.common_count)
       IS DISTINCT FROM (EXCLUDED.tci, EXCLUDED.common_count)
"""

# A rebuild replaces every pair.
DELETE_ALL_PAIRS_SQL = f"DELETE FROM {PAIRS}"

# Positions of users without percentiles: the percentile formula applied anyway, for
# the users matched by {users}; only users whose scores say something about order.
FALLBACK_SQL = f"""
INSERT INTO {FALLBACK} (user_id, title_id, position)
SELECT user_id, title_id, ((200 * below + 100 * (below_or_equal - below)) / (2 * n))::smallint
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
FALLBACK_ALL_SQL = FALLBACK_SQL.format(users="TRUE")
FALLBACK_USERS_SQL = FALLBACK_SQL.format(users="user_id = ANY(%s)")
# Fallback positions are recomputed from scratch: delete, then FALLBACK_*_SQL.
DELETE_ALL_FALLBACK_SQL = f"DELETE FROM {FALLBACK}"
DELETE_USERS_FALLBACK_SQL = f"DELETE FROM {FALLBACK} WHERE user_id = ANY(%s)"


def refresh_positions(user_ids: list[int] | None = None) -> int:
    """Recompute the fallback positions of these users (all users when None)."""
    with connection.cursor() as cursor:
        if user_ids is None:
            cursor.execute(DELETE_ALL_FALLBACK_SQL)
            cursor.execute(FALLBACK_ALL_SQL)
        else:
            cursor.execute(DELETE_USERS_FALLBACK_SQL, [user_ids])
            cursor.execute(FALLBACK_USERS_SQL, [user_ids])
        return cursor.rowcount


@transaction.atomic
def refresh_user_compatibility(user_id: int) -> int:
    """Recompute every TCI of one user (and their fallback positions) from the ratings as
    they are now; returns the number of users they are now compatible with."""
    refresh_positions([user_id])
    with connection.cursor() as cursor:
        cursor.execute(USER_PAIRS_SQL, {"user_id": user_id})
        rows = cursor.fetchall()
        now = timezone.now()
        others = [other for other, _, _ in rows]
        cursor.execute(PAIRS_LOCK_SQL, [PAIRS_LOCK])
        cursor.execute(DELETE_STALE_USER_PAIRS_SQL, {"u": user_id, "others": others})
        cursor.execute(
            UPSERT_USER_PAIRS_SQL,
            {
                "u": user_id,
                "now": now,
                "others": others,
                "tcis": [tci for _, tci, _ in rows],
                "commons": [common for _, _, common in rows],
            },
        )
    return len(rows)


# Stored predictions -------------------------------------------------------------------

# A user's stored PSIs are replaced whole: delete, then one INSERT from arrays.
DELETE_USER_PREDICTIONS_SQL = f"DELETE FROM {PREDICTIONS} WHERE user_id = %s"
INSERT_USER_PREDICTIONS_SQL = f"""
INSERT INTO {PREDICTIONS} (user_id, title_id, percentile, score, neighbours_count,
                           spread, low_percentile, low, high, rank, computed_at)
SELECT %(u)s, t, p, s, n, sp, lp, lo, hi, rk, %(now)s
  FROM unnest(%(titles)s::bigint[], %(pcts)s::float8[], %(scores)s::float8[],
              %(counts)s::int[], %(spreads)s::float8[], %(low_pcts)s::float8[],
              %(lows)s::float8[], %(highs)s::float8[], %(ranks)s::float8[])
       AS x(t, p, s, n, sp, lp, lo, hi, rk)
"""


@transaction.atomic
def refresh_user_predictions(user_id: int) -> int:
    """Recompute the stored PSI of every title the user has not rated, with its likely
    range (``engine.prediction_range``) and rank (``engine.recommendation_rank``), for
    the recommendations page; returns the number of titles with a PSI."""
    own = own_scores(user_id)
    now = timezone.now()
    predictions = {}
    if own.can_predict:
        candidates = unrated_candidates(user_id)
        aggregates = {
            pk: (total, count)
            for pk, total, count in Title.objects.filter(pk__in=list(candidates)).values_list(
                "pk", "percentile_sum", "percentile_count"
            )
        }
        predictions = predict_from(own, aggregates, candidates)
    with connection.cursor() as cursor:
        cursor.execute(DELETE_USER_PREDICTIONS_SQL, [user_id])
        if predictions:
            ids = sorted(predictions)
            ranges = {t: engine.prediction_range(predictions[t][0], own.sorted_scores) for t in ids}
            cursor.execute(
                INSERT_USER_PREDICTIONS_SQL,
                {
                    "u": user_id,
                    "now": now,
                    "titles": ids,
                    "pcts": [predictions[t][0].percentile for t in ids],
                    "scores": [predictions[t][1] for t in ids],
                    "counts": [len(predictions[t][0].neighbours) for t in ids],
                    "spreads": [ranges[t].spread for t in ids],
                    "low_pcts": [ranges[t].low_percentile for t in ids],
                    "lows": [ranges[t].low for t in ids],
                    "highs": [ranges[t].high for t in ids],
                    "ranks": [
                        engine.recommendation_rank(predictions[t][0], ranges[t]) for t in ids
                    ],
                },
            )
    return len(predictions)


def refresh_user_taste(user_id: int) -> tuple[int, int]:
    """Compatibilities, then predictions, then the profile row of one user."""
    if not get_user_model().objects.filter(pk=user_id).exists():
        return (0, 0)
    compatible = refresh_user_compatibility(user_id)
    predicted = refresh_user_predictions(user_id)
    stats = Rating.objects.filter(user_id=user_id).values_list("updated_at", flat=True)
    TasteProfile.objects.update_or_create(
        user_id=user_id,
        defaults={
            "ratings_count": stats.count(),
            "ratings_updated_at": stats.order_by("-updated_at").first(),
            "compatible_count": compatible,
            "computed_at": timezone.now(),
        },
    )
    return compatible, predicted


# Similar titles -----------------------------------------------------------------------

# Titles placed alike by the same raters ({title_filter} on ``m``, the rated title): the
# mean percentile difference over raters in common, shrunk towards "unrelated" when
# few raters are in common; each title keeps its best SIMILAR_KEEP.
SIMILAR_SQL = f"""
WITH scored AS (
    SELECT m.title_id AS title, o.title_id AS other,
           avg(abs(o.percentile - m.percentile))::float8 AS difference, count(*) AS common
      FROM {RATINGS} AS m
      JOIN {RATINGS} AS o ON o.user_id = m.user_id AND o.title_id <> m.title_id
     WHERE m.percentile IS NOT NULL AND o.percentile IS NOT NULL AND {{title_filter}}
     GROUP BY m.title_id, o.title_id
    HAVING count(*) >= {SIMILAR_MIN_COMMON}
),
ranked AS (
    SELECT title, other, difference, common,
           (1 - difference / {UNRELATED_DIFFERENCE}) * common
               / (common + {SIMILAR_COMMON_SHRINK}) AS score
      FROM scored
),
kept AS (
    SELECT *, row_number() OVER (PARTITION BY title ORDER BY score DESC, other) AS position
      FROM ranked WHERE score > 0
)
INSERT INTO {SIMILAR} (title_id, similar_id, score, mean_difference, common_count, computed_at)
SELECT title, other, score, difference, common, %(now)s FROM kept
 WHERE position <= {SIMILAR_KEEP}
"""
SIMILAR_FOR_TITLE_SQL = SIMILAR_SQL.format(title_filter="m.title_id = %(title_id)s")
SIMILAR_ALL_SQL = SIMILAR_SQL.format(title_filter="TRUE")
# Similar titles are recomputed from scratch: delete, then SIMILAR_*_SQL.
DELETE_TITLE_SIMILAR_SQL = f"DELETE FROM {SIMILAR} WHERE title_id = %s"
DELETE_ALL_SIMILAR_SQL = f"DELETE FROM {SIMILAR}"


@transaction.atomic
def refresh_title_similarity(title_id: int) -> int:
    """Recompute one title's similar titles; returns how many it has."""
    with connection.cursor() as cursor:
        cursor.execute(DELETE_TITLE_SIMILAR_SQL, [title_id])
        if not Title.objects.filter(pk=title_id).exists():
            return 0
        cursor.execute(SIMILAR_FOR_TITLE_SQL, {"title_id": title_id, "now": timezone.now()})
        return cursor.rowcount


# Changes logged up to a rebuild are covered by it.
DELETE_CHANGES_UNTIL_SQL = f"DELETE FROM {CHANGES} WHERE changed_at <= %s"


def rebuild_all(progress=None) -> dict[str, int]:
    """Recompute every taste table from the ratings (``manage.py rebuild_taste``)."""
    say = progress or (lambda message: None)
    now = timezone.now()
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(DELETE_CHANGES_UNTIL_SQL, [now])
        refresh_positions()
        cursor.execute(PAIRS_LOCK_SQL, [PAIRS_LOCK])
        cursor.execute(DELETE_ALL_PAIRS_SQL)
        cursor.execute(ALL_PAIRS_SQL, {"now": now})
        counts["pairs"] = cursor.rowcount
    say(f"Compatible pairs: {counts['pairs']}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(DELETE_ALL_SIMILAR_SQL)
        cursor.execute(SIMILAR_ALL_SQL, {"now": now})
        counts["similar"] = cursor.rowcount
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


# The change log -------------------------------------------------------------------------

# Take the settled part of the change log: objects whose latest change is older than the
# cutoff (a burst of ratings becomes one refresh once the rater pauses), oldest first,
# deleting exactly the rows read so changes logged meanwhile stay for the next look.
TAKE_SETTLED_CHANGES_SQL = f"""
WITH settled AS (
    SELECT kind, object_id, max(id) AS last_id FROM {CHANGES}
     GROUP BY kind, object_id
    HAVING max(changed_at) <= %(cutoff)s
     ORDER BY min(id) LIMIT %(limit)s
),
taken AS (
    DELETE FROM {CHANGES} AS c USING settled AS s
     WHERE c.kind = s.kind AND c.object_id = s.object_id AND c.id <= s.last_id
    RETURNING c.kind, c.object_id
)
SELECT DISTINCT kind, object_id FROM taken
"""

# Mark refreshes pending, in key order (no deadlock with a concurrent dispatcher); an
# object already pending is not returned, so it gets no second refresh.
MARK_PENDING_SQL = f"""
INSERT INTO {PENDING} (kind, object_id, queued_at)
SELECT k, o, now() FROM unnest(%s::text[], %s::bigint[]) AS x(k, o)
 ORDER BY k, o
ON CONFLICT (kind, object_id) DO NOTHING
RETURNING kind, object_id
"""


@dataclass(frozen=True)
class Dispatched:
    users: list[int]
    titles: list[int]


@transaction.atomic
def take_settled_changes(settle_seconds: float = 0.0, limit: int = 1000) -> Dispatched:
    """Turn logged rating changes into pending refreshes, one per user and per title;
    returns the refreshes to queue (``taste.tasks.dispatch_changes`` queues them).

    Only objects whose latest change is at least ``settle_seconds`` old are taken, so a
    burst of ratings by one person becomes one refresh once they pause. An object that
    already has a refresh pending gets no second one (the pending one will read the new
    ratings)."""
    cutoff = timezone.now() - timedelta(seconds=settle_seconds)
    with connection.cursor() as cursor:
        cursor.execute(TAKE_SETTLED_CHANGES_SQL, {"cutoff": cutoff, "limit": limit})
        taken = cursor.fetchall()
        if not taken:
            return Dispatched([], [])
        cursor.execute(MARK_PENDING_SQL, [[k for k, _ in taken], [o for _, o in taken]])
        queued = cursor.fetchall()
    return Dispatched(
        sorted(o for k, o in queued if k == ChangeKind.USER),
        sorted(o for k, o in queued if k == ChangeKind.TITLE),
    )


# What the title page showed ------------------------------------------------------

# One statement whatever the state, writing only when the shown value changed (the
# title page is read far more often than a PSI moves).
RECORD_SHOWN_SQL = f"""
INSERT INTO {SHOWN} (user_id, title_id, score, percentile, shown_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (user_id, title_id) DO UPDATE
   SET score = EXCLUDED.score, percentile = EXCLUDED.percentile, shown_at = EXCLUDED.shown_at
 WHERE {SHOWN}.score IS DISTINCT FROM EXCLUDED.score
"""


def record_shown_prediction(user, title, score: float, percentile: float) -> None:
    """Remember the PSI shown to ``user`` for ``title`` (they have not rated it yet), so
    that once they rate it the page can say what was predicted. One statement; writes
    only when the shown value changed."""
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SHOWN_SQL, [user.pk, title.pk, score, percentile, timezone.now()])

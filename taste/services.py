"""Writes of the taste tables: compatibilities (TCI), predictions, similar titles, the
change log, and the PSI a user was shown.

Heavy work runs in the background worker (``taste.tasks`` calls in here, and queues the
refreshes); pages only read. Every number written here follows ``taste.engine`` (the
same arithmetic the pages and ``evaluate_psi`` use), through ``taste.queries``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from catalog.models import Title
from ratings.models import Rating
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
TASKS = DBTaskResult._meta.db_table
# A sequence (migration 0005), so there is no model to read its name from.
GENERATIONS = "taste_pending_generation"
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
INSERT INTO {PREDICTIONS} (user_id, title_id, percentile, score, neighbours_count, computed_at)
SELECT %(u)s, t, p, s, n, %(now)s
  FROM unnest(%(titles)s::bigint[], %(pcts)s::float8[], %(scores)s::float8[],
              %(counts)s::int[]) AS x(t, p, s, n)
"""


@transaction.atomic
def refresh_user_predictions(user_id: int) -> int:
    """Recompute the stored PSI of every title the user has not rated (for the
    recommendations page); returns the number of titles with a PSI."""
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
            cursor.execute(
                INSERT_USER_PREDICTIONS_SQL,
                {
                    "u": user_id,
                    "now": now,
                    "titles": ids,
                    "pcts": [predictions[t][0].percentile for t in ids],
                    "scores": [predictions[t][1] for t in ids],
                    "counts": [len(predictions[t][0].neighbours) for t in ids],
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
        cursor.execute(DELETE_ALL_PENDING_SQL)
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


# The change log and pending refreshes ---------------------------------------------------

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
    RETURNING c.kind, c.object_id, c.changed_at
)
SELECT kind, object_id, min(changed_at) FROM taken GROUP BY kind, object_id
"""

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
    with connection.cursor() as cursor:
        cursor.execute(TAKE_SETTLED_CHANGES_SQL, {"cutoff": cutoff, "limit": limit})
        taken = cursor.fetchall()
    mark_pending(taken)
    return as_dispatched([(k, o) for k, o, _ in taken])


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

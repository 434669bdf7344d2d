"""Writes of the taste tables: compatibilities (TCI), predictions, similar titles, the
change log, and the PSI a user was shown.

Heavy work runs in the background worker (``taste.tasks``); pages only read. Every
number written here follows ``taste.engine`` (the same arithmetic the pages and
``evaluate_psi`` use).
"""

from __future__ import annotations

from collections import defaultdict
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

RATINGS = Rating._meta.db_table
TITLES = Title._meta.db_table
PAIRS = Compatibility._meta.db_table
PREDICTIONS = Prediction._meta.db_table
SIMILAR = TitleSimilarity._meta.db_table
CHANGES = TasteChange._meta.db_table
PENDING = PendingRefresh._meta.db_table
FALLBACK = FallbackPosition._meta.db_table
# A view (migration 0003): user_id, title_id, position = the stored percentile, or the
# fallback position of a user without percentiles.
POSITIONS = "taste_position"

# Pair rows are written under one advisory lock, so that refreshes of two users who
# share a pair never interleave (no deadlock, no duplicate-key race).
PAIRS_LOCK = 734_112_001

# Similar titles: a title needs this many raters in common with another, and each
# title keeps its best SIMILAR_KEEP.
SIMILAR_MIN_COMMON = 5
SIMILAR_COMMON_SHRINK = 10.0
SIMILAR_KEEP = 24
# Unrelated titles differ by 100/3 percentiles on average (see engine.TCI_CUTOFF).
UNRELATED_DIFFERENCE = 100 / 3


def _min_common_sql(a: str, b: str) -> str:
    """``engine.min_common`` in SQL, for ratings counts in columns a and b."""
    return (
        f"GREATEST({engine.MIN_COMMON_FLOOR}, LEAST({engine.MIN_COMMON_CAP}, "
        f"floor(LEAST({a}, {b}) * {engine.MIN_COMMON_FRACTION})::int))"
    )


# One user's TCI with everyone sharing enough titles: a self-join of ratings on title.
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
 WHERE s.common >= {_min_common_sql("me.n", "c.n")}
"""

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
 WHERE s.common >= {_min_common_sql("ca.n", "cb.n")}
"""


def neighbour_rows_sql(title_filter: str) -> str:
    """The candidate neighbours of a user for some titles, best NEIGHBOURS per title in
    ``engine.choose_neighbours`` order (a TCI under the cutoff is a positive weight).

    Columns: title_id, user_id, tci, common_count, position (percentile or fallback)."""
    return f"""
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
     WHERE {title_filter}
)
SELECT title_id, user_id, tci, common_count, position FROM ranked
 WHERE rank <= {engine.NEIGHBOURS}
 ORDER BY title_id, rank
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
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT score), array_agg(score ORDER BY score) "
            f"FROM {RATINGS} WHERE user_id = %s",
            [user_id],
        )
        count, distinct, scores = cursor.fetchone()
    return OwnScores(count, distinct, list(scores or []))


def candidates_by_title(user_id: int, title_ids: list[int]) -> dict[int, list[engine.Candidate]]:
    """Best candidate neighbours of a user for each of these titles (one query)."""
    by_title: dict[int, list[engine.Candidate]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            neighbour_rows_sql("r.title_id = ANY(%(title_ids)s)"),
            {"user_id": user_id, "title_ids": list(title_ids)},
        )
        for title_id, other, tci, common, percentile in cursor.fetchall():
            by_title[title_id].append(engine.Candidate(other, tci, common, percentile))
    return by_title


# Positions of users without percentiles: the percentile formula applied anyway.
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


def refresh_positions(user_ids: list[int] | None = None) -> int:
    """Recompute the fallback positions of these users (all users when None)."""
    with connection.cursor() as cursor:
        if user_ids is None:
            cursor.execute(f"DELETE FROM {FALLBACK}")
            cursor.execute(FALLBACK_SQL.format(users="TRUE"))
        else:
            cursor.execute(f"DELETE FROM {FALLBACK} WHERE user_id = ANY(%s)", [user_ids])
            cursor.execute(FALLBACK_SQL.format(users="user_id = ANY(%s)"), [user_ids])
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
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PAIRS_LOCK])
        cursor.execute(
            f"""DELETE FROM {PAIRS}
                 WHERE (user_a_id = %(u)s AND NOT user_b_id = ANY(%(others)s))
                    OR (user_b_id = %(u)s AND NOT user_a_id = ANY(%(others)s))""",
            {"u": user_id, "others": others},
        )
        cursor.execute(
            f"""INSERT INTO {PAIRS} (user_a_id, user_b_id, tci, common_count, computed_at)
                SELECT LEAST(%(u)s, o), GREATEST(%(u)s, o), t, c, %(now)s
                  FROM unnest(%(others)s::bigint[], %(tcis)s::float8[], %(commons)s::int[])
                       AS x(o, t, c)
                 ORDER BY 1, 2
                ON CONFLICT (user_a_id, user_b_id) DO UPDATE
                   SET tci = EXCLUDED.tci, common_count = EXCLUDED.common_count,
                       computed_at = EXCLUDED.computed_at
                 WHERE ({PAIRS}.tci, {PAIRS}.common_count)
                       IS DISTINCT FROM (EXCLUDED.tci, EXCLUDED.common_count)""",
            {
                "u": user_id,
                "now": now,
                "others": others,
                "tcis": [tci for _, tci, _ in rows],
                "commons": [common for _, _, common in rows],
            },
        )
    return len(rows)


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
    return _predict(own, aggregates, candidates_by_title(user_id, list(aggregates)))


def _predict(
    own: OwnScores,
    aggregates: dict[int, tuple[int, int]],
    candidates: dict[int, list[engine.Candidate]],
) -> dict[int, tuple[engine.Prediction, float]]:
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


@transaction.atomic
def refresh_user_predictions(user_id: int) -> int:
    """Recompute the stored PSI of every title the user has not rated (for the
    recommendations page); returns the number of titles with a PSI."""
    own = own_scores(user_id)
    now = timezone.now()
    predictions: dict[int, tuple[engine.Prediction, float]] = {}
    if own.can_predict:
        with connection.cursor() as cursor:
            cursor.execute(
                neighbour_rows_sql(
                    f"NOT EXISTS (SELECT 1 FROM {RATINGS} AS mine "
                    "WHERE mine.user_id = %(user_id)s AND mine.title_id = r.title_id)"
                ),
                {"user_id": user_id},
            )
            candidates: dict[int, list[engine.Candidate]] = defaultdict(list)
            for title_id, other, tci, common, percentile in cursor.fetchall():
                candidates[title_id].append(engine.Candidate(other, tci, common, percentile))
        aggregates = {
            pk: (total, count)
            for pk, total, count in Title.objects.filter(pk__in=list(candidates)).values_list(
                "pk", "percentile_sum", "percentile_count"
            )
        }
        predictions = _predict(own, aggregates, candidates)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PREDICTIONS} WHERE user_id = %s", [user_id])
        if predictions:
            ids = sorted(predictions)
            cursor.execute(
                f"""INSERT INTO {PREDICTIONS}
                        (user_id, title_id, percentile, score, neighbours_count, computed_at)
                    SELECT %(u)s, t, p, s, n, %(now)s
                      FROM unnest(%(titles)s::bigint[], %(pcts)s::float8[], %(scores)s::float8[],
                                  %(counts)s::int[]) AS x(t, p, s, n)""",
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


def _similar_sql(title_filter: str) -> str:
    return f"""
WITH scored AS (
    SELECT m.title_id AS title, o.title_id AS other,
           avg(abs(o.percentile - m.percentile))::float8 AS difference, count(*) AS common
      FROM {RATINGS} AS m
      JOIN {RATINGS} AS o ON o.user_id = m.user_id AND o.title_id <> m.title_id
     WHERE m.percentile IS NOT NULL AND o.percentile IS NOT NULL AND {title_filter}
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


@transaction.atomic
def refresh_title_similarity(title_id: int) -> int:
    """Recompute one title's similar titles; returns how many it has."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SIMILAR} WHERE title_id = %s", [title_id])
        if not Title.objects.filter(pk=title_id).exists():
            return 0
        cursor.execute(
            _similar_sql("m.title_id = %(title_id)s"), {"title_id": title_id, "now": timezone.now()}
        )
        return cursor.rowcount


def rebuild_all(progress=None) -> dict[str, int]:
    """Recompute every taste table from the ratings (``manage.py rebuild_taste``)."""
    say = progress or (lambda message: None)
    now = timezone.now()
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # Changes logged before this point are covered by the rebuild.
        cursor.execute(f"DELETE FROM {CHANGES} WHERE changed_at <= %s", [now])
        refresh_positions()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PAIRS_LOCK])
        cursor.execute(f"DELETE FROM {PAIRS}")
        cursor.execute(ALL_PAIRS_SQL, {"now": now})
        counts["pairs"] = cursor.rowcount
    say(f"Compatible pairs: {counts['pairs']}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SIMILAR}")
        cursor.execute(_similar_sql("TRUE"), {"now": now})
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


# The change log and the queue ------------------------------------------------------


@dataclass(frozen=True)
class Dispatched:
    users: list[int]
    titles: list[int]


def dispatch_changes(settle_seconds: float = 0.0, limit: int = 1000) -> Dispatched:
    """Turn logged rating changes into queued refreshes, one per user and per title.

    Only objects whose latest change is at least ``settle_seconds`` old are taken, so a
    burst of ratings by one person becomes one refresh once they pause. An object that
    already has a refresh pending gets no second one (the pending one will read the new
    ratings). Returns what was queued."""
    from taste import tasks

    cutoff = timezone.now() - timedelta(seconds=settle_seconds)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH settled AS (
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
                SELECT DISTINCT kind, object_id FROM taken""",
            {"cutoff": cutoff, "limit": limit},
        )
        taken = cursor.fetchall()
        if not taken:
            return Dispatched([], [])
        cursor.execute(
            f"""INSERT INTO {PENDING} (kind, object_id, queued_at)
                SELECT k, o, now() FROM unnest(%s::text[], %s::bigint[]) AS x(k, o)
                 ORDER BY k, o
                ON CONFLICT (kind, object_id) DO NOTHING
                RETURNING kind, object_id""",
            [[k for k, _ in taken], [o for _, o in taken]],
        )
        queued = cursor.fetchall()
        users = sorted(o for k, o in queued if k == ChangeKind.USER)
        titles = sorted(o for k, o in queued if k == ChangeKind.TITLE)

        def enqueue() -> None:
            for user_id in users:
                tasks.refresh_user_taste_task.enqueue(user_id)
            for title_id in titles:
                tasks.refresh_title_similarity_task.enqueue(title_id)

        transaction.on_commit(enqueue)
    return Dispatched(users, titles)


def start_refresh(kind: str, object_id: int) -> None:
    """Called by a refresh task before it reads: changes from now on queue a new one."""
    PendingRefresh.objects.filter(kind=kind, object_id=object_id).delete()


def request_user_refresh(user_id: int) -> bool:
    """Queue a refresh of one user's taste unless one is pending; True if queued."""
    from taste import tasks

    with transaction.atomic():
        _, created = PendingRefresh.objects.get_or_create(
            kind=ChangeKind.USER, object_id=user_id, defaults={"queued_at": timezone.now()}
        )
        if created:
            transaction.on_commit(lambda: tasks.refresh_user_taste_task.enqueue(user_id))
    return created


# What the title page showed ------------------------------------------------------


def record_shown_prediction(user, title, score: float, percentile: float) -> None:
    """Remember the PSI shown to ``user`` for ``title`` (they have not rated it yet), so
    that once they rate it the page can say what was predicted. One statement; writes
    only when the shown value changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {ShownPrediction._meta.db_table}
                    (user_id, title_id, score, percentile, shown_at)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (user_id, title_id) DO UPDATE
                   SET score = EXCLUDED.score, percentile = EXCLUDED.percentile,
                       shown_at = EXCLUDED.shown_at
                 WHERE {ShownPrediction._meta.db_table}.score IS DISTINCT FROM EXCLUDED.score""",
            [user.pk, title.pk, score, percentile, timezone.now()],
        )

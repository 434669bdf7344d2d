"""The percentile service: the only code that writes ratings.

Rules (see DESIGN.md, "Ratings and percentiles"):

- The percentile of a rating with score s among the same user's n ratings is
  ``floor(100 * (below + equal / 2) / n)``, computed here with exact integers as
  ``(200 * below + 100 * equal) / (2 * n)`` (integer division of non-negative numbers is
  floor). ``below`` counts the user's ratings with a lower score, ``equal`` those with the
  same score, the rating itself included, so the result is always 0..99.
- A user with fewer than ``MIN_DISTINCT_SCORES`` distinct scores has no percentiles.
- Title aggregates (``ratings_count``, ``percentile_sum``, ``percentile_count``) are
  adjusted by exact deltas in the same transaction as the rating write.

Locking, in this order, so that concurrent raters never deadlock:

1. the rater's user row (``FOR NO KEY UPDATE``) serialises that user's writes; the
   user's rating rows are written only while it is held;
2. the affected titles' aggregate rows (``catalog.TitleStats``, a narrow side table
   whose updates touch no GIN index and none of the title row's), in id order, in a
   single statement.

``rate()`` does all of it in one round trip: the database function ``ratings_rate``
(ratings migration 0003) locks the member, writes the rating, rewrites the percentiles
that can move (for a changed score only the ratings scored between the old and the new
score, unless the number of distinct scores crosses ``MIN_DISTINCT_SCORES``; for a new
rating every one) and applies the aggregate deltas.

Policies that guard a write are checked under the same lock: ``rate()`` applies the
hourly review limit (``settings.MODERATION_REVIEWS_PER_HOUR``) after taking the user
lock, so two concurrent posts cannot both pass it. Refusals are ``ValidationError``s
with a code.

SQL lives in module constants; table names come from ``_meta.db_table`` and are
formatted in once, here.
"""

from __future__ import annotations

import numbers
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from catalog.models import Title, TitleStats
from core import cache as section_cache
from ratings.models import Rating

MIN_DISTINCT_SCORES = 5
MIN_SCORE = 0
MAX_SCORE = 100
MAX_REVIEW_LENGTH = 10_000

RATING_TABLE = Rating._meta.db_table
TITLE_TABLE = Title._meta.db_table
STATS_TABLE = TitleStats._meta.db_table
# Read at import: this module is first imported once the apps are loaded (from
# RatingsConfig.ready() through ratings.signals), so the user model is known.
USER_TABLE = get_user_model()._meta.db_table
REVIEW_LIMIT_WINDOW = timedelta(hours=1)


def reviews_per_hour() -> int:
    """How many new or changed reviews a member may post an hour (a setting)."""
    return int(getattr(settings, "MODERATION_REVIEWS_PER_HOUR", 20))


TITLE_AGGREGATE_FIELDS = ("ratings_count", "percentile_sum", "percentile_count", "avg_percentile")


@dataclass(frozen=True)
class TitleAggregate:
    """A title's rating aggregate as the write left it (``Title``'s fields of the name)."""

    ratings_count: int
    percentile_sum: int
    percentile_count: int
    avg_percentile: float | None

    def apply_to(self, title: Title) -> None:
        """Set these values on ``title`` (an object the caller holds)."""
        for name in TITLE_AGGREGATE_FIELDS:
            setattr(title, name, getattr(self, name))


@dataclass(frozen=True)
class RatingInput:
    """One rating for ``rate_many``: a title id, a 0-100 score, optional review and date."""

    title_id: int
    score: int
    review: str = ""
    rated_at: datetime | None = None


@dataclass
class _Delta:
    ratings_count: int = 0
    percentile_sum: int = 0
    percentile_count: int = 0

    def add_percentile(self, old: int | None, new: int | None) -> None:
        if old is not None:
            self.percentile_sum -= old
            self.percentile_count -= 1
        if new is not None:
            self.percentile_sum += new
            self.percentile_count += 1

    def is_zero(self) -> bool:
        return not (self.ratings_count or self.percentile_sum or self.percentile_count)


def _fresh_percentiles_sql(all_users: bool) -> str:
    """SQL for the fresh percentile of every rating of the users in %(user_ids)s (or all).

    Built twice, at import, into the two constants below. Columns: id, user_id,
    title_id, old (stored) and new (fresh) percentile.

    The window functions run over each user's distinct scores (at most 101 rows per user,
    read from the (user, score) index) rather than over every rating: the running sum of
    the per-score counts is below + equal, its total is n, and the number of groups is
    the number of distinct scores. Each rating then looks its score up in the user's
    small table, so the cost grows with the user's own ratings only.

    The lookup is MATERIALIZED: computed once, whatever the estimates. A member the
    planner's statistics do not know yet (a new one, on a site whose members all fit in
    the statistics' common values) is estimated at one rating, and the inlined lookup
    was then recomputed for each of their ratings: n squared (646,738 buffer hits, 0.6 s,
    for a member's 92 ratings while seeding the demo).
    """
    where = "true" if all_users else "user_id = ANY(%(user_ids)s)"
    where_r = "true" if all_users else "r.user_id = ANY(%(user_ids)s)"
    return f"""
    WITH score_groups AS (
        SELECT user_id, score, count(*) AS equal
          FROM {RATING_TABLE}
         WHERE {where}
         GROUP BY user_id, score
    ), group_percentiles AS (
        SELECT user_id, score,
               CASE WHEN count(*) OVER per_user >= {MIN_DISTINCT_SCORES}
                    THEN ((200 * ((sum(equal) OVER by_score)::bigint - equal) + 100 * equal)
                          / (2 * (sum(equal) OVER per_user)::bigint))::smallint
               END AS new
          FROM score_groups
        WINDOW per_user AS (PARTITION BY user_id),
               by_score AS (PARTITION BY user_id ORDER BY score)
    ), lookup AS MATERIALIZED (
        SELECT user_id, array_agg(score ORDER BY score) AS scores,
               array_agg(new ORDER BY score) AS news
          FROM group_percentiles
         GROUP BY user_id
    )
    SELECT r.id, r.user_id, r.title_id, r.percentile AS old,
           l.news[array_position(l.scores, r.score)] AS new
      FROM {RATING_TABLE} AS r
      JOIN lookup AS l ON l.user_id = r.user_id
     WHERE {where_r}
"""


# The fresh percentiles of the users in %(user_ids)s: what a write recomputes.
FRESH_PERCENTILES_SQL = _fresh_percentiles_sql(all_users=False)
# The fresh percentiles of everybody: what check_percentiles compares the stored ones to.
ALL_FRESH_PERCENTILES_SQL = _fresh_percentiles_sql(all_users=True)


# Write only the rows whose percentile changed; the old value comes from the same
# snapshot (the rows are locked by the user lock, so it is the stored value). The
# user filter on the target keeps the join to that user's rows whatever the plan, and
# MATERIALIZED computes the changes once (see _fresh_percentiles_sql on estimates).
RECOMPUTE_USERS_SQL = f"""
    WITH changed AS MATERIALIZED (
        SELECT id, title_id, old, new
          FROM ({FRESH_PERCENTILES_SQL}) AS fresh
         WHERE old IS DISTINCT FROM new
    )
    UPDATE {RATING_TABLE} AS r
       SET percentile = changed.new
      FROM changed
     WHERE r.id = changed.id AND r.user_id = ANY(%(user_ids)s)
    RETURNING changed.title_id, changed.old, changed.new
"""

# The locking CTE takes the titles' aggregate row locks in ascending id order (LockRows
# runs above the sort) before the UPDATE touches a row: the UPDATE only reaches a row
# through its already-locked one. This is select_for_update().order_by("title_id") and
# the update in one round trip. It returns the new aggregates, so that unrate() can
# hand them back without reading them again. The rows live in the narrow side table
# (catalog.TitleStats): the updates touch none of the title's indexes.
APPLY_TITLE_DELTAS_SQL = f"""
    WITH locked AS (
        SELECT title_id FROM {STATS_TABLE} WHERE title_id = ANY(%(ids)s)
         ORDER BY title_id FOR NO KEY UPDATE
    )
    UPDATE {STATS_TABLE} AS s
       SET ratings_count = s.ratings_count + d.ratings_count,
           percentile_sum = s.percentile_sum + d.percentile_sum,
           percentile_count = s.percentile_count + d.percentile_count
      FROM locked,
           unnest(%(ids)s::bigint[], %(counts)s::integer[], %(sums)s::bigint[],
                  %(known)s::integer[]) AS d(id, ratings_count, percentile_sum, percentile_count)
     WHERE s.title_id = locked.title_id AND d.id = locked.title_id
    RETURNING s.title_id, s.ratings_count, s.percentile_sum, s.percentile_count,
              s.avg_percentile
"""

# A title's aggregate when the write left it unchanged, for unrate()'s return value
# (0 and NULL for a title without a stats row).
TITLE_AGGREGATE_SQL = f"""
    SELECT COALESCE(s.ratings_count, 0), COALESCE(s.percentile_sum, 0),
           COALESCE(s.percentile_count, 0), s.avg_percentile
      FROM {TITLE_TABLE} AS t LEFT JOIN {STATS_TABLE} AS s ON s.title_id = t.id
     WHERE t.id = %s
"""

# rate() in one round trip: the database function of ratings migration 0003 (see its
# docstring). Columns: the rating's fields (RATE_FIELDS), whether it was inserted, the
# title's new aggregate (TITLE_AGGREGATE_FIELDS) and the ids of the titles written.
RATE_SQL = """
    SELECT * FROM ratings_rate(%s::bigint, %s::bigint, %s::smallint, %s::text,
                               %s::timestamptz, %s::timestamptz)
"""
RATE_FIELDS = ("id", "score", "percentile", "review", "rated_at", "updated_at", "review_hidden")

# Serialises one user's rating writes (see the module docstring): FOR NO KEY UPDATE does
# not block inserts of other rows that reference the user through a foreign key.
LOCK_USER_SQL = f"SELECT id FROM {USER_TABLE} WHERE id = %s FOR NO KEY UPDATE"
# The same for a batch of users, in id order so that two batches never deadlock.
LOCK_USERS_SQL = f"SELECT id FROM {USER_TABLE} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE"

# Deleting returns each removed rating's title and percentile, from which the titles'
# aggregate deltas follow without reading the rows first.
DELETE_RATINGS_SQL = f"""
    DELETE FROM {RATING_TABLE} WHERE user_id = %s AND title_id = ANY(%s)
    RETURNING title_id, percentile
"""
DELETE_USER_RATINGS_SQL = f"""
    DELETE FROM {RATING_TABLE} WHERE user_id = %s
    RETURNING title_id, percentile
"""

# One statement for one or many ratings of a user: inserts new ones and changes existing
# ones, returning whether each row was inserted (xmax = 0), so the title's count moves
# only for new ratings.
UPSERT_FIELDS = (
    "id",
    "score",
    "percentile",
    "review",
    "rated_at",
    "updated_at",
    "review_hidden",
)
UPSERT_SQL = f"""
    INSERT INTO {RATING_TABLE} AS r
           (user_id, title_id, score, review, rated_at, updated_at, review_hidden)
    SELECT %(user_id)s, e.title_id, e.score, e.review, COALESCE(e.rated_at, %(now)s),
           %(now)s, false
      FROM unnest(%(title_ids)s::bigint[], %(scores)s::smallint[], %(reviews)s::text[],
                  %(rated_ats)s::timestamptz[]) AS e(title_id, score, review, rated_at)
    ON CONFLICT (user_id, title_id) DO UPDATE
       SET score = EXCLUDED.score,
           review = EXCLUDED.review,
           rated_at = CASE WHEN %(keep_rated_at)s THEN r.rated_at ELSE EXCLUDED.rated_at END,
           updated_at = EXCLUDED.updated_at
    RETURNING r.title_id, (r.xmax = 0) AS inserted, {", ".join(f"r.{f}" for f in UPSERT_FIELDS)}
"""


def _changed_titles(title_ids: Iterable[int], user_ids: Iterable[int] = ()) -> None:
    """Mark the cached sections of these titles (statistics, ratings pages), the shared
    lists (home, browse) and the profiles of these raters changed, so the next request
    after this write recomputes them."""
    section_cache.titles_changed(title_ids, members=user_ids)


# Marks the writes of this transaction as a bulk write (an import, a dataset) until it
# ends or the setting is turned off: background work that follows them (the taste app's
# change log reads it) may then be queued behind the work of single ratings.
BULK_WRITE_SQL = "SELECT set_config('movies.bulk_write', %s, true)"


def _set_bulk_write(on: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(BULK_WRITE_SQL, ["on" if on else "off"])


def _lock_user(user_id: int) -> None:
    """Serialise this user's rating writes until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(LOCK_USER_SQL, [user_id])
        if cursor.fetchone() is None:
            User = get_user_model()
            raise User.DoesNotExist(f"No user with id {user_id}.")


def _lock_users(user_ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(LOCK_USERS_SQL, [list(user_ids)])


def _recompute_users(user_ids: list[int], deltas: dict[int, _Delta]) -> dict[int, int | None]:
    """Recompute every percentile of these users, writing only changed rows.

    Adds each change to ``deltas`` (by title id). Returns the new percentile of every
    row written, by title id (meaningful for one user, whose titles are distinct).
    """
    rows = _recompute_rows(user_ids, deltas)
    return {title_id: new for title_id, _old, new in rows}


def _recompute_rows(user_ids: list[int], deltas: dict[int, _Delta]) -> list[tuple]:
    """``_recompute_users``'s work: every rating row rewritten (title id, old, new)."""
    with connection.cursor() as cursor:
        cursor.execute(RECOMPUTE_USERS_SQL, {"user_ids": list(user_ids)})
        rows = cursor.fetchall()
    for title_id, old, new in rows:
        deltas[title_id].add_percentile(old, new)
    return rows


def _apply_title_deltas(deltas: dict[int, _Delta]) -> dict[int, TitleAggregate]:
    """Lock the affected titles in id order, then adjust their aggregates.

    Returns the new aggregate of every title changed, by title id.
    """
    changed = sorted((tid, d) for tid, d in deltas.items() if not d.is_zero())
    if not changed:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            APPLY_TITLE_DELTAS_SQL,
            {
                "ids": [tid for tid, _ in changed],
                "counts": [d.ratings_count for _, d in changed],
                "sums": [d.percentile_sum for _, d in changed],
                "known": [d.percentile_count for _, d in changed],
            },
        )
        return {row[0]: TitleAggregate(*row[1:]) for row in cursor.fetchall()}


def _title_aggregate(title_id: int, written: dict[int, TitleAggregate]) -> TitleAggregate:
    """The title's aggregate after this write: as written, or read if it did not change."""
    if title_id in written:
        return written[title_id]
    with connection.cursor() as cursor:
        cursor.execute(TITLE_AGGREGATE_SQL, [title_id])
        return TitleAggregate(*cursor.fetchone())


def _check_score(score) -> int:
    # Integral admits numpy integers (the taste code uses numpy); bool is not a score.
    if isinstance(score, bool) or not isinstance(score, numbers.Integral):
        raise ValidationError(
            f"A score must be a whole number from 0 to 100, not {score!r}.", code="bad_score"
        )
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ValidationError(f"A score must be from 0 to 100, not {score}.", code="bad_score")
    return int(score)


def _check_review(review: str | None) -> str:
    review = review or ""
    if len(review) > MAX_REVIEW_LENGTH:
        raise ValidationError(
            f"A review may have at most {MAX_REVIEW_LENGTH:,} characters (it has {len(review):,}).",
            code="review_too_long",
        )
    return review


def _check_review_limit(user_id: int, title_id: int, review: str) -> None:
    """Refuse a new or changed review past the hourly limit (call under the user lock).

    Only a new or changed review counts: re-saving a score with the same review, or a
    score without a review, is always allowed. Reviews are counted by the ratings whose
    review was written or changed in the last hour.
    """
    review = (review or "").strip()
    if not review:
        return
    current = Rating.objects.filter(user_id=user_id, title_id=title_id).values_list(
        "review", flat=True
    )
    if review in {text.strip() for text in current}:
        return
    limit = reviews_per_hour()
    recent = (
        Rating.objects.filter(user_id=user_id, updated_at__gte=timezone.now() - REVIEW_LIMIT_WINDOW)
        .exclude(review="")
        .exclude(title_id=title_id)
        .count()
    )
    if recent >= limit:
        raise ValidationError(
            f"You have written {limit} reviews in the last hour, the most allowed. "
            "Save your score without the review for now, or try again later "
            "(your text is still in the box).",
            code="too_many_reviews",
        )


def _upsert(user_id: int, entries: list[RatingInput], keep_rated_at: bool) -> list[tuple]:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            UPSERT_SQL,
            {
                "user_id": user_id,
                "now": now,
                "title_ids": [e.title_id for e in entries],
                "scores": [e.score for e in entries],
                "reviews": [e.review for e in entries],
                "rated_ats": [e.rated_at for e in entries],
                "keep_rated_at": keep_rated_at,
            },
        )
        return cursor.fetchall()


def rate(
    user,
    title,
    score: int,
    review: str = "",
    rated_at: datetime | None = None,
    *,
    limit_reviews: bool = True,
) -> Rating:
    """Create or change ``user``'s rating of ``title`` and recompute their percentiles.

    ``score`` is on the stored 0-100 scale. A changed rating keeps its original
    ``rated_at`` unless one is given. Returns the rating; ``rating.title`` is ``title``
    with its new aggregate (``ratings_count``, ``percentile_sum``, ``percentile_count``,
    ``avg_percentile``) set.

    Raises ValidationError for a bad score (code ``bad_score``), a review too long
    (``review_too_long``) or, under the user lock, a new review past the hourly limit
    (``too_many_reviews``; ``limit_reviews=False`` skips it for staff edits).

    Atomic. Inside a caller's transaction a savepoint is taken only when a review is
    checked against the limit (a refusal then leaves the caller's transaction usable);
    otherwise nothing refuses the write once it starts, and the two round trips of a
    savepoint are saved.
    """
    entry = RatingInput(title.pk, _check_score(score), _check_review(review), rated_at)
    check_limit = limit_reviews and bool(entry.review.strip())
    with transaction.atomic(savepoint=check_limit):
        if check_limit:
            # Checked under the user lock, which the function takes again (a no-op).
            _lock_user(user.pk)
            _check_review_limit(user.pk, title.pk, entry.review)
        with connection.cursor() as cursor:
            cursor.execute(
                RATE_SQL,
                [user.pk, title.pk, entry.score, entry.review, rated_at, timezone.now()],
            )
            row = cursor.fetchone()
        if row is not None:
            _changed_titles([title.pk, *(row[-1] or [])], [user.pk])
    if row is None:  # the function wrote nothing
        User = get_user_model()
        raise User.DoesNotExist(f"No user with id {user.pk}.")
    fields = row[: len(RATE_FIELDS)]
    aggregate = row[len(RATE_FIELDS) + 1 : len(RATE_FIELDS) + 1 + len(TITLE_AGGREGATE_FIELDS)]
    TitleAggregate(*aggregate).apply_to(title)
    rating = Rating(user=user, title=title, **dict(zip(RATE_FIELDS, fields, strict=True)))
    rating._state.adding = False
    return rating


@transaction.atomic
def unrate(user, title) -> TitleAggregate:
    """Delete ``user``'s rating of ``title`` (if any) and recompute their percentiles.

    Returns the title's new aggregate (also set on ``title``).
    """
    _removed, written = _unrate_many(user, [title.pk])
    aggregate = _title_aggregate(title.pk, written)
    aggregate.apply_to(title)
    return aggregate


@transaction.atomic
def unrate_many(user, title_ids: Iterable[int]) -> int:
    """Delete several of one user's ratings, recomputing their percentiles once.

    Returns the number of ratings deleted.
    """
    removed, _written = _unrate_many(user, title_ids)
    return removed


def _release_references(ratings) -> None:
    """Do what on_delete=SET_NULL would for the rows the raw DELETE removes (moderation
    cases and actions point at ratings); left alone, the deferred foreign keys fail
    at commit."""
    ids = list(ratings.values_list("pk", flat=True))
    if not ids:
        return
    for relation in Rating._meta.related_objects:
        if relation.on_delete is models.SET_NULL:
            relation.related_model._base_manager.filter(
                **{f"{relation.field.name}__in": ids}
            ).update(**{relation.field.name: None})


def _unrate_many(user, title_ids: Iterable[int]) -> tuple[int, dict[int, TitleAggregate]]:
    """unrate_many's work (inside its transaction): ratings deleted, new aggregates."""
    _lock_user(user.pk)
    title_ids = [int(t) for t in title_ids]
    _release_references(Rating.objects.filter(user_id=user.pk, title_id__in=title_ids))
    with connection.cursor() as cursor:
        cursor.execute(DELETE_RATINGS_SQL, [user.pk, title_ids])
        removed = cursor.fetchall()
    if not removed:
        return 0, {}
    deltas: dict[int, _Delta] = defaultdict(_Delta)
    for title_id, percentile in removed:
        deltas[title_id].ratings_count -= 1
        deltas[title_id].add_percentile(percentile, None)
    _recompute_users([user.pk], deltas)
    _changed_titles(deltas, [user.pk])
    return len(removed), _apply_title_deltas(deltas)


@dataclass(frozen=True)
class RatedMany:
    """What ``rate_many_within_limits`` wrote: ratings written, and the titles whose
    review was left out because the hourly review limit was reached."""

    written: int
    reviews_skipped: tuple[int, ...]


@transaction.atomic
def rate_many(user, entries: Iterable[RatingInput]) -> int:
    """Create or change many ratings of one user, recomputing their percentiles once.

    For seeding and datasets: one bulk upsert, one recompute, one aggregate update.
    When a title appears more than once the last entry wins. Every entry is validated
    before anything is written (ValidationError names the first bad one; unknown title
    ids are rejected too, code ``unknown_title``). No hourly review limit applies
    (imports use ``rate_many_within_limits``). Returns the number of ratings written.
    """
    return _rate_many(user, entries, limit_reviews=False).written


@transaction.atomic
def rate_many_within_limits(user, entries: Iterable[RatingInput]) -> RatedMany:
    """``rate_many`` for a member's import: every score is written, but new or changed
    reviews count toward the hourly review limit (checked under the user lock, like
    ``rate``). Past the limit an entry keeps the rating's current review (none for a
    new rating) and its title is listed in ``reviews_skipped``."""
    return _rate_many(user, entries, limit_reviews=True)


def _limit_reviews(user_id: int, entries: dict[int, RatingInput]) -> set[int]:
    """Give the entries whose new or changed review is past the hourly limit (in entry
    order) the rating's current review back, and return their titles (call under the
    user lock). Reviews are counted as ``_check_review_limit`` counts them."""
    current = dict(
        Rating.objects.filter(user_id=user_id, title_id__in=list(entries)).values_list(
            "title_id", "review"
        )
    )
    changed = [
        title_id
        for title_id, entry in entries.items()
        if entry.review.strip() and entry.review.strip() != (current.get(title_id) or "").strip()
    ]
    if not changed:
        return set()
    recent = (
        Rating.objects.filter(user_id=user_id, updated_at__gte=timezone.now() - REVIEW_LIMIT_WINDOW)
        .exclude(review="")
        .exclude(title_id__in=changed)
        .count()
    )
    allowed = max(0, reviews_per_hour() - recent)
    skipped = changed[allowed:]
    for title_id in skipped:
        entry = entries[title_id]
        entries[title_id] = RatingInput(
            title_id, entry.score, current.get(title_id) or "", entry.rated_at
        )
    return set(skipped)


def _rate_many(user, entries: Iterable[RatingInput], *, limit_reviews: bool) -> RatedMany:
    by_title: dict[int, RatingInput] = {}
    for entry in entries:
        by_title[int(entry.title_id)] = RatingInput(
            int(entry.title_id),
            _check_score(entry.score),
            _check_review(entry.review),
            entry.rated_at,
        )
    if not by_title:
        return RatedMany(0, ())
    known = set(Title.objects.filter(id__in=list(by_title)).values_list("id", flat=True))
    unknown = sorted(set(by_title) - known)
    if unknown:
        raise ValidationError(
            f"No title with id {', '.join(map(str, unknown[:10]))}.", code="unknown_title"
        )
    _lock_user(user.pk)
    _set_bulk_write(True)
    skipped: set[int] = set()
    if limit_reviews:
        skipped = _limit_reviews(user.pk, by_title)
    # Entries without a date keep an existing rating's date (like rate()); new ones get now.
    dated = [e for e in by_title.values() if e.rated_at is not None]
    undated = [e for e in by_title.values() if e.rated_at is None]
    deltas: dict[int, _Delta] = defaultdict(_Delta)
    for group, keep in ((dated, False), (undated, True)):
        if group:
            for title_id, inserted, *_fields in _upsert(user.pk, group, keep_rated_at=keep):
                if inserted:
                    deltas[title_id].ratings_count += 1
    _recompute_users([user.pk], deltas)
    _apply_title_deltas(deltas)
    _set_bulk_write(False)
    _changed_titles([*by_title, *deltas], [user.pk])
    return RatedMany(len(by_title), tuple(sorted(skipped)))


@transaction.atomic
def delete_user_ratings(user) -> int:
    """Delete every rating of a user (before the user is deleted), fixing title aggregates."""
    _lock_user(user.pk)
    _release_references(Rating.objects.filter(user_id=user.pk))
    with connection.cursor() as cursor:
        cursor.execute(DELETE_USER_RATINGS_SQL, [user.pk])
        removed = cursor.fetchall()
    deltas: dict[int, _Delta] = defaultdict(_Delta)
    for title_id, percentile in removed:
        deltas[title_id].ratings_count -= 1
        deltas[title_id].add_percentile(percentile, None)
    _apply_title_deltas(deltas)
    _changed_titles(deltas, [user.pk])
    return len(removed)


@transaction.atomic
def delete_title_ratings(title) -> int:
    """Delete every rating of a title (before the title is deleted).

    Each rater's remaining percentiles change (their n shrinks), so each is recomputed
    through ``unrate``, one rater at a time in id order.
    """
    User = get_user_model()
    raters = User.objects.filter(ratings__title=title).order_by("id")
    count = 0
    for rater in raters:
        unrate(rater, title)
        count += 1
    return count


@transaction.atomic
def set_review_hidden(rating_ids: Iterable[int], hidden: bool) -> int:
    """Hide or show reviews (moderation). The ratings still count; returns rows changed."""
    ratings = Rating.objects.filter(id__in=list(rating_ids)).exclude(review_hidden=hidden)
    changed = list(ratings.values_list("title_id", "user_id"))
    _changed_titles({t for t, _u in changed}, {u for _t, u in changed})
    return ratings.update(review_hidden=hidden, updated_at=timezone.now())


# Rebuilding from scratch (manage.py recompute_percentiles).

# Rebuilds the aggregates of a batch of titles from their ratings, writing only the
# titles whose stored values differ (so a rebuild of an exact database writes nothing).
# A title without its stats row (the trigger that inserts it was bypassed) gets one.
RECOMPUTE_TITLES_SQL = f"""
    INSERT INTO {STATS_TABLE} AS s
           (title_id, ratings_count, percentile_sum, percentile_count)
    SELECT t.id, count(r.id), COALESCE(sum(r.percentile), 0), count(r.percentile)
      FROM {TITLE_TABLE} AS t
      LEFT JOIN {RATING_TABLE} AS r ON r.title_id = t.id
     WHERE t.id = ANY(%(title_ids)s)
     GROUP BY t.id
     ORDER BY t.id
    ON CONFLICT (title_id) DO UPDATE
       SET ratings_count = EXCLUDED.ratings_count,
           percentile_sum = EXCLUDED.percentile_sum,
           percentile_count = EXCLUDED.percentile_count
     WHERE (s.ratings_count, s.percentile_sum, s.percentile_count)
           IS DISTINCT FROM (EXCLUDED.ratings_count, EXCLUDED.percentile_sum,
                             EXCLUDED.percentile_count)
"""


def recompute_users_batch(user_ids: list[int]) -> int:
    """Recompute the percentiles of a batch of users; returns the ratings changed (each
    rating rewritten, not the distinct titles they rate).

    Title aggregates are not adjusted here: ``recompute_titles_batch`` rebuilds them
    from the ratings afterwards.
    """
    with transaction.atomic():
        _lock_users(user_ids)
        deltas: dict[int, _Delta] = defaultdict(_Delta)
        rows = _recompute_rows(user_ids, deltas)
        _changed_titles(deltas, user_ids if rows else ())
        return len(rows)


def recompute_titles_batch(title_ids: list[int]) -> int:
    """Rebuild the aggregates of a batch of titles from their ratings; returns rows changed.

    The titles are locked first (id order), so a concurrent rating write either
    committed before the rebuild read its ratings or applies its delta after it.
    """
    with transaction.atomic():
        list(
            TitleStats.objects.filter(title_id__in=title_ids)
            .order_by("title_id")
            .select_for_update(no_key=True)
            .values_list("title_id", flat=True)
        )
        with connection.cursor() as cursor:
            cursor.execute(RECOMPUTE_TITLES_SQL, {"title_ids": list(title_ids)})
            changed = cursor.rowcount
        if changed:
            _changed_titles(title_ids)
        return changed

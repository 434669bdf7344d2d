"""Benchmark of the percentile service (run with `make bench`).

For users with 100, 1,000 and 10,000 ratings, in a database of more than 1,000,000
ratings, prints the median time of:

- rate():  one call of ratings.services.rate() that changes a score (one round trip to
           the ratings_rate() database function: user lock, the score and the ratings
           between the old and new score rewritten, ordered locks and aggregate deltas on
           the titles' stats rows; then the section-cache bump), without the commit;
- before:  rate() as main had it before issue 17, on today's tables: user lock, upsert,
           window-function recompute of every rating, aggregate deltas, re-read, each
           its own round trip (ratings.services' bulk helpers, which still work so);
- floor:   the bare SQL recompute statement alone, after the same change made by hand;
- between: the least work any correct implementation must do for one score change, as
           one bare SQL statement timed whole: the score written, only the ratings whose
           score lies between the old and the new one rewritten (no other percentile can
           move while the member's number of ratings stays the same), and the affected
           titles' aggregates (catalog_titlestats) adjusted by the difference (checked
           exact once per size);
- commit:  rate() including its COMMIT, as a request would do it;
- naive:   a per-row ORM recompute (load the user's ratings, compute in Python,
           save() every row, adjust each changed title with its own UPDATE);
- small:   rate() again in a second database holding only the three bench users'
           ratings, to show the cost follows the user's own ratings, not the database;

and the ratios against the floor measured in the same run. Every measured write except
the "commit" column runs in a transaction that is rolled back, so each repetition starts
from the same state and the bench database stays exact (check_percentiles passes).

The data are created once with generate_series (about a minute) in separate databases:
BENCH_DATABASE_URL if set; otherwise the server of DATABASE_URL with the database names
bench_ratings and bench_ratings_small; otherwise an embedded PostgreSQL under
var/bench-pgdata. Nothing is timed with assertions; this only prints.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench._databases import database_name, ensure_database, server_url, with_database  # noqa: E402

BACKGROUND_USERS = 10_000
BACKGROUND_RATINGS_EACH = 100
TITLES = 20_000
BENCH_SIZES = (100, 1_000, 10_000)
REPEATS = {100: 61, 1_000: 41, 10_000: 21}
NAIVE_REPEATS = {100: 11, 1_000: 5, 10_000: 3}


def _database_urls() -> tuple[str, str]:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit, with_database(explicit, f"{database_name(explicit)}_small")
    server = server_url()
    return with_database(server, "bench_ratings"), with_database(server, "bench_ratings_small")


SMALL_ROLE = "--small" in sys.argv[1:]
# --quick: only the interleaved columns (floor, between, rate(), before, commit), for
# repeated runs; the naive column alone takes minutes at 10,000 ratings.
QUICK = "--quick" in sys.argv[1:]
BIG_URL, SMALL_URL = _database_urls()
ensure_database(SMALL_URL if SMALL_ROLE else BIG_URL)
os.environ["DATABASE_URL"] = SMALL_URL if SMALL_ROLE else BIG_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import Title, TitleStats  # noqa: E402
from ratings import services  # noqa: E402
from ratings.models import Rating  # noqa: E402


def say(message: str) -> None:
    print(message, flush=True)


# Data ---------------------------------------------------------------------------------


def _create_titles_and_users(background_users: int) -> None:
    Title.objects.bulk_create(
        [
            Title(name=f"Bench title {i}", slug=f"bench-title-{i}", year=1950 + i % 75)
            for i in range(TITLES)
        ],
        batch_size=5_000,
    )
    users = [User(username=f"bench{size}", password="!") for size in BENCH_SIZES]
    users += [User(username=f"bg{i:05d}", password="!") for i in range(background_users)]
    User.objects.bulk_create(users, batch_size=5_000)


# Title k of user i is (i * 37 + k * 211) mod TITLES: distinct for k < TITLES (211 is prime).
RATINGS_SQL = """
    WITH t AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM catalog_title),
         u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i
                 FROM accounts_user WHERE username LIKE %(pattern)s)
    INSERT INTO ratings_rating (user_id, title_id, score, review, rated_at, updated_at,
                                review_hidden)
    SELECT u.id, t.ids[1 + ((u.i * 37 + k * 211) %% t.n)], floor(random() * 101)::int,
           '', now() - random() * interval '5000 days', now(), false
      FROM u, t, generate_series(0, %(per_user)s - 1) AS k
"""


def ensure_data(with_background: bool) -> None:
    """Create the bench data once: titles, users, ratings, then a full rebuild."""
    expected = sum(BENCH_SIZES)
    background = BACKGROUND_USERS if with_background else 0
    expected += background * BACKGROUND_RATINGS_EACH
    call_command("migrate", verbosity=0)
    count = Rating.objects.count()
    if count == expected and Title.objects.count() == TITLES:
        # Earlier runs leave dead row versions behind (every measured write is rolled back).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE ratings_rating, catalog_title, catalog_titlestats")
        return
    say(f"Creating {expected:,} ratings in {connection.settings_dict['NAME']} (once) ...")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE ratings_rating, catalog_title, accounts_user RESTART IDENTITY CASCADE"
        )
    _create_titles_and_users(background)
    with connection.cursor() as cursor:
        if background:
            cursor.execute(RATINGS_SQL, {"per_user": BACKGROUND_RATINGS_EACH, "pattern": "bg%"})
        for size in BENCH_SIZES:
            cursor.execute(RATINGS_SQL, {"per_user": size, "pattern": f"bench{size}"})
    say(f"  loaded in {time.perf_counter() - started:.1f} s; rebuilding percentiles ...")
    started = time.perf_counter()
    call_command("recompute_percentiles", batch_size=1_000, verbosity=0)
    say(f"  recompute_percentiles took {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# Measurements -------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _target(user: User) -> tuple[Title, int, int]:
    """A rating near the user's median score, and the score to move it to."""
    ratings = Rating.objects.filter(user=user).order_by("score", "id")
    rating = ratings.select_related("title")[ratings.count() // 2]
    return rating.title, rating.score, (5 if rating.score > 50 else 95)


def _timed_in_rollback(work) -> float:
    """Seconds of work(mark) in a transaction that is then rolled back.

    Timing starts when the transaction begins, or when work calls mark().
    """
    times: dict[str, float] = {}

    def mark() -> None:
        times["start"] = time.perf_counter()

    try:
        with transaction.atomic():
            times["start"] = time.perf_counter()
            work(mark)
            times["end"] = time.perf_counter()
            raise _Rollback
    except _Rollback:
        pass
    return times["end"] - times["start"]


def _medians_of(works: list, repeats: int) -> list[float]:
    """Median seconds of each work, the works interleaved so they share the same load."""
    for work in works:
        _timed_in_rollback(work)  # warm-up
    samples: list[list[float]] = [[] for _ in works]
    for _ in range(repeats):
        for work, bucket in zip(works, samples, strict=True):
            bucket.append(_timed_in_rollback(work))
    return [statistics.median(bucket) for bucket in samples]


def rate_work(user: User):
    title, _old, new = _target(user)
    return lambda mark: services.rate(user, title, new)


def before_work(user: User):
    """rate()'s statements as main ran them before issue 17, one round trip each."""
    title, _old, new = _target(user)

    def work(mark) -> None:
        entry = services.RatingInput(title.pk, new)
        services._lock_user(user.pk)
        deltas = defaultdict(services._Delta)
        ((_title_id, inserted, *_fields),) = services._upsert(user.pk, [entry], keep_rated_at=True)
        if inserted:
            deltas[title.pk].ratings_count += 1
        services._recompute_users([user.pk], deltas)
        services._title_aggregate(title.pk, services._apply_title_deltas(deltas)).apply_to(title)
        services._changed_titles([title.pk, *deltas])

    return work


def floor_work(user: User):
    title, _old, new = _target(user)

    def work(mark) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ratings_rating SET score = %s WHERE user_id = %s AND title_id = %s",
                [new, user.pk, title.pk],
            )
            mark()
            cursor.execute(services.RECOMPUTE_USERS_SQL, {"user_ids": [user.pk]})
            cursor.fetchall()

    return work


# The "between" floor (issue 17): one statement. The member's score groups are read from
# the (user, score) index and corrected for the change (one rating leaves the old score
# for the new one), giving each score its new percentile; only ratings scored between
# the old and the new score are rewritten (the changed one gets its new score too), and
# the affected titles' sums and counts move by the difference.
BETWEEN_FLOOR_SQL = f"""
WITH groups AS (
    SELECT score, sum(equal)::bigint AS equal FROM (
        SELECT score, count(*) AS equal FROM ratings_rating
         WHERE user_id = %(user)s GROUP BY score
        UNION ALL SELECT %(old)s, -1
        UNION ALL SELECT %(new)s, 1
    ) AS g GROUP BY score HAVING sum(equal) > 0
), percentiles AS (
    SELECT score,
           CASE WHEN count(*) OVER () >= {services.MIN_DISTINCT_SCORES}
                THEN ((200 * ((sum(equal) OVER (ORDER BY score))::bigint - equal)
                       + 100 * equal) / (2 * (sum(equal) OVER ())::bigint))::smallint
           END AS new
      FROM groups
), between_ratings AS (
    SELECT r.id, r.title_id, r.percentile AS old, p.new, false AS moved
      FROM ratings_rating AS r
      JOIN percentiles AS p ON p.score = r.score
     WHERE r.user_id = %(user)s AND r.score BETWEEN %(low)s AND %(high)s
       AND r.title_id <> %(title)s
    UNION ALL
    SELECT r.id, r.title_id, r.percentile, p.new, true
      FROM ratings_rating AS r
      JOIN percentiles AS p ON p.score = %(new)s
     WHERE r.user_id = %(user)s AND r.title_id = %(title)s
), written AS (
    UPDATE ratings_rating AS r
       SET percentile = b.new, score = CASE WHEN b.moved THEN %(new)s ELSE r.score END
      FROM between_ratings AS b
     WHERE r.id = b.id AND (b.moved OR b.old IS DISTINCT FROM b.new)
    RETURNING b.title_id, b.old, b.new
)
UPDATE catalog_titlestats AS t
   SET percentile_sum = t.percentile_sum + d.sum_delta,
       percentile_count = t.percentile_count + d.count_delta
  FROM (SELECT title_id, sum(coalesce(new, 0) - coalesce(old, 0)) AS sum_delta,
               sum((new IS NOT NULL)::int - (old IS NOT NULL)::int) AS count_delta
          FROM written GROUP BY title_id) AS d
 WHERE t.title_id = d.title_id AND (d.sum_delta <> 0 OR d.count_delta <> 0)
"""


def _between_params(user: User) -> dict:
    title, old, new = _target(user)
    return {
        "user": user.pk, "title": title.pk, "old": old, "new": new,
        "low": min(old, new), "high": max(old, new),
    }  # fmt: skip


def between_work(user: User):
    params = _between_params(user)

    def work(mark) -> None:
        with connection.cursor() as cursor:
            cursor.execute(BETWEEN_FLOOR_SQL, params)

    return work


def check_between(user: User) -> int:
    """Percentile and aggregate mismatches after the "between" statement (in a rolled
    back transaction): it must leave what rate() leaves."""
    params = _between_params(user)
    titles = list(
        Rating.objects.filter(
            user=user, score__gte=params["low"], score__lte=params["high"]
        ).values_list("title_id", flat=True)
    )
    mismatches = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(BETWEEN_FLOOR_SQL, params)
            cursor.execute(
                f"SELECT count(*) FROM ({services.FRESH_PERCENTILES_SQL}) AS f"
                " WHERE old IS DISTINCT FROM new",
                {"user_ids": [user.pk]},
            )
            mismatches += cursor.fetchone()[0]
            cursor.execute(
                """SELECT count(*) FROM catalog_titlestats AS t
                   CROSS JOIN LATERAL (
                       SELECT COALESCE(sum(percentile), 0) AS s, count(percentile) AS c
                         FROM ratings_rating WHERE title_id = t.title_id) AS f
                    WHERE t.title_id = ANY(%(titles)s)
                      AND (t.percentile_sum, t.percentile_count) IS DISTINCT FROM (f.s, f.c)""",
                {"titles": titles},
            )
            mismatches += cursor.fetchone()[0]
            raise _Rollback
    except _Rollback:
        pass
    return mismatches


def measure_rate_with_commit(user: User, repeats: int) -> float:
    """rate() as a request runs it, COMMIT included; toggles the score and puts it back."""
    title, old, new = _target(user)
    samples = []
    for i in range(repeats + 1):
        started = time.perf_counter()
        services.rate(user, title, new if i % 2 == 0 else old)
        samples.append(time.perf_counter() - started)
    if (repeats + 1) % 2:
        services.rate(user, title, old)
    return statistics.median(samples[1:])


def naive_recompute(user: User) -> None:
    """What a straightforward per-row ORM implementation would do."""
    ratings = list(Rating.objects.filter(user=user))
    scores = [r.score for r in ratings]
    n = len(scores)
    enough = len(set(scores)) >= services.MIN_DISTINCT_SCORES
    for rating in ratings:
        below = sum(1 for s in scores if s < rating.score)
        equal = sum(1 for s in scores if s == rating.score)
        new = (200 * below + 100 * equal) // (2 * n) if enough else None
        old = rating.percentile
        rating.percentile = new
        rating.save(update_fields=["percentile"])
        if old != new:
            TitleStats.objects.filter(title_id=rating.title_id).update(
                percentile_sum=F("percentile_sum") - (old or 0) + (new or 0),
                percentile_count=F("percentile_count")
                - int(old is not None)
                + int(new is not None),
            )


def measure_naive(user: User, repeats: int) -> float:
    title, _old, new = _target(user)

    def work(mark) -> None:
        Rating.objects.filter(user=user, title=title).update(score=new)
        mark()
        naive_recompute(user)

    (median,) = _medians_of([work], repeats)
    return median


def small_database_timings() -> dict[int, float]:
    """rate() in the small database, measured by this script in a child process."""
    env = {**os.environ, "DATABASE_URL": SMALL_URL}
    result = subprocess.run(
        [sys.executable, __file__, "--small"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("the small-database run failed")
    lines = result.stdout.strip().splitlines()
    for line in lines[:-1]:
        say(line)
    payload = json.loads(lines[-1])
    return {int(size): seconds for size, seconds in payload["rate"].items()}


def run_small() -> None:
    ensure_data(with_background=False)
    timings = {
        size: _medians_of([rate_work(User.objects.get(username=f"bench{size}"))], REPEATS[size])[0]
        for size in BENCH_SIZES
    }
    print(json.dumps({"ratings": Rating.objects.count(), "rate": timings}))


def _cell(value: float | None, spec: str, width: int, suffix: str = "") -> str:
    """A table cell, or "-" for a column --quick leaves out."""
    if value is None:
        return f"{'-':>{width + len(suffix)}}"
    return f"{value:>{width}{spec}}{suffix}"


def main() -> None:
    small = {} if QUICK else small_database_timings()
    ensure_data(with_background=True)
    total = Rating.objects.count()
    small_total = sum(BENCH_SIZES)
    say("")
    say(
        f"Percentile service, median milliseconds per call; database of {total:,} ratings "
        f"(small database: {small_total:,})."
    )
    header = (
        f"{'user ratings':>12} | {'floor':>7} | {'between':>7} | {'rate()':>7} | "
        f"{'before':>7} | {'rate/floor':>10} | {'rate/between':>12} | {'before/between':>14} | "
        f"{'commit':>7} | {'naive':>8} | {'naive/floor':>11} | {'small':>7} | {'big/small':>9}"
    )
    say(header)
    say("-" * len(header))
    for size in BENCH_SIZES:
        user = User.objects.get(username=f"bench{size}")
        repeats = REPEATS[size]
        floor, between, rate_time, before = _medians_of(
            [floor_work(user), between_work(user), rate_work(user), before_work(user)], repeats
        )
        wrong = check_between(user)
        if wrong:
            say(f"  the between statement left {wrong} mismatches for {size:,} ratings")
        commit = measure_rate_with_commit(user, repeats)
        naive = None if QUICK else measure_naive(user, NAIVE_REPEATS[size])
        small_time = small.get(size)
        say(
            f"{size:>12,} | {floor * 1e3:>7.2f} | {between * 1e3:>7.2f} | "
            f"{rate_time * 1e3:>7.2f} | {before * 1e3:>7.2f} | {rate_time / floor:>9.2f}x | "
            f"{rate_time / between:>11.2f}x | {before / between:>13.2f}x | "
            f"{commit * 1e3:>7.2f} | {_cell(naive and naive * 1e3, '.1f', 8)} | "
            f"{_cell(naive and naive / floor, '.1f', 10, 'x')} | "
            f"{_cell(small_time and small_time * 1e3, '.2f', 7)} | "
            f"{_cell(small_time and rate_time / small_time, '.2f', 8, 'x')}"
        )
    say("")
    say("floor:  the bare SQL recompute statement alone (window functions, changed rows written)")
    say(
        "between: one statement: the score, the ratings between the old and new score, "
        "the titles' aggregates (the least work; checked exact)"
    )
    say("rate(): ratings.services.rate() changing one score, without COMMIT")
    say("before: rate()'s statements as before issue 17, one round trip each (same tables)")
    say("commit: rate() including its COMMIT, as a request runs it")
    say("naive:  per-row ORM recompute (save() every rating, UPDATE each changed title)")
    say("small:  rate() in a database holding only the bench users' ratings")
    from ratings.selectors import percentile_mismatches

    ratings, titles = percentile_mismatches()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    say(f"Machine: {os.cpu_count()} CPUs, load average {load} (other work skews small timings).")
    say(f"check_percentiles afterwards: {len(ratings)} rating and {len(titles)} title mismatches")


if __name__ == "__main__":
    if SMALL_ROLE:
        run_small()
    else:
        main()

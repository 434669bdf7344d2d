"""Benchmark of taste (run with `python bench/taste.py`).

On the demo data (seed_demo: 220 people, ~23,000 ratings) and on a database ten times
larger (the same catalogue, each person copied nine times with their scores jittered,
so ten times the raters per title and ten times the people to compare with), prints the
median time of:

- TCI refresh:     refresh_user_compatibility() of one user (the SQL self-join on the
                   titles they rated, then the upsert of their pairs), committed;
- stored PSIs:     refresh_user_predictions() of one user (every unrated title, for the
                   recommendations page), committed;
- title-page PSI:  selectors.probable_score() of one user for the most rated title
                   (their scores, then the title's best neighbours: two queries);
- title page:      the whole title page GET with the PSI shown, and its query count;

and the ratio of each to its demo-data figure measured in the same run.

Then the whole rebuild: ``manage.py rebuild_taste`` (taste.rebuild, set-based) beside
``manage.py recompute_percentiles`` on the same database in the same run, alternated
REBUILD_REPEATS times (median), on the demo, on the x10 database and on a generated
1-5 star database of 1,000,000 ratings by 10,000 users of 16,820 titles
(bench/star_dataset.py, loaded once with COPY; skip it with --no-star). Printed as a
table of seconds and of the rebuild / recompute_percentiles ratio, with the rebuild's
peak memory. Nothing is asserted; this only prints.

Databases (created once; the larger ones take a few minutes): BENCH_TASTE_DATABASE_URL
if set (and the same name with "_x10" and "_star"), else the server of DATABASE_URL with
the names bench_taste, bench_taste_x10 and bench_taste_star, else an embedded PostgreSQL
under var/bench-pgdata.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench._databases import database_name, ensure_database, server_url, with_database  # noqa: E402

COPIES = 10
SAMPLE_USERS = 5
REFRESH_REPEATS = 3
PSI_REPEATS = 21
PAGE_REPEATS = 11


REBUILD_REPEATS = {"demo": 3, "x10": 3, "star": 1}
STAR_SIZE = {"users": 10_000, "titles": 16_820, "ratings": 1_000_000}


def _database_urls() -> tuple[str, str, str]:
    explicit = os.environ.get("BENCH_TASTE_DATABASE_URL")
    if explicit:
        name = database_name(explicit)
        return (
            explicit,
            with_database(explicit, f"{name}_x10"),
            with_database(explicit, f"{name}_star"),
        )
    server = server_url()
    return (
        with_database(server, "bench_taste"),
        with_database(server, "bench_taste_x10"),
        with_database(server, "bench_taste_star"),
    )


def _option(name: str, default: str) -> str:
    """``--name value`` from the command line, else the default."""
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args[:-1] else default


LARGE_ROLE = "--x10" in sys.argv[1:]
STAR_ROLE = "--star" in sys.argv[1:]
# The worker burst (``--burst``): its own run, on the demo, (``--on x10``) the x10 data
# or (``--on star``) the 1M-rating star set. With ``--lag N``: the worker's lag after N
# rating changes by N members instead (see measure_lag).
BURST_ROLE = "--burst" in sys.argv[1:]
BURST_REFRESHES = int(_option("--refreshes", "2000"))
BURST_ON = _option("--on", "x10")
BURST_ROUNDS = int(_option("--rounds", "2"))
LAG_CHANGES = int(_option("--lag", "0"))
DEMO_URL, LARGE_URL, STAR_URL = _database_urls()
ROLE_URL = STAR_URL if STAR_ROLE else LARGE_URL if LARGE_ROLE else DEMO_URL
if BURST_ROLE:
    ROLE_URL = {"x10": LARGE_URL, "star": STAR_URL}.get(BURST_ON, DEMO_URL)
    LARGE_ROLE = BURST_ON == "x10"
    STAR_ROLE = BURST_ON == "star"
    # The tasks go to the database queue, for run_worker processes to take.
    os.environ["TASKS_IMMEDIATE"] = "0"
ensure_database(ROLE_URL)
os.environ["DATABASE_URL"] = ROLE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TASKS_IMMEDIATE", "1")
os.environ.setdefault("HTTPS", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# The page is rendered without collectstatic: plain static URLs, no manifest needed.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.core.management import call_command  # noqa: E402
from django.core.management.base import OutputWrapper  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.star_dataset import generate  # noqa: E402
from catalog.models import Title  # noqa: E402
from ratings.models import Rating  # noqa: E402
from taste import rebuild, selectors, services, tasks  # noqa: E402
from taste.models import (  # noqa: E402
    Compatibility,
    FallbackPosition,
    PendingRefresh,
    Prediction,
    TasteChange,
    TasteProfile,
    TitleTaste,
)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Data ---------------------------------------------------------------------------------

# Copy k of a person rates the same titles, each score moved by -6..+6 (deterministic).
COPY_RATINGS_SQL = """
    INSERT INTO ratings_rating (user_id, title_id, score, review, rated_at, updated_at,
                                review_hidden)
    SELECT c.id, r.title_id,
           LEAST(100, GREATEST(0, r.score + abs(hashtext(c.id || '-' || r.title_id)) %% 13 - 6)),
           '', r.rated_at, now(), false
      FROM ratings_rating AS r
      JOIN accounts_user AS o ON o.id = r.user_id
      JOIN accounts_user AS c ON c.username LIKE o.username || '~x%%'
"""


def ensure_data() -> None:
    call_command("migrate", verbosity=0)
    if not Rating.objects.exists():
        say(f"Loading the demo data into {connection.settings_dict['NAME']} (once) ...")
        call_command("seed_demo", "--no-posters", verbosity=0, stdout=sys.stderr)
    if LARGE_ROLE and not Rating.objects.filter(user__username__contains="~x").exists():
        say(f"Making the demo {COPIES} times larger (once, a few minutes) ...")
        started = time.perf_counter()
        raters = list(
            User.objects.filter(ratings__isnull=False).exclude(username__contains="~x").distinct()
        )
        User.objects.bulk_create(
            [
                User(username=f"{u.username}~x{k}", password="!", rating_scale=u.rating_scale)
                for u in raters
                for k in range(1, COPIES)
            ],
            batch_size=2_000,
            ignore_conflicts=True,
        )
        with connection.cursor() as cursor:
            cursor.execute(COPY_RATINGS_SQL, [])
        call_command("recompute_percentiles", verbosity=0, stdout=sys.stderr)
        say(f"... done in {time.perf_counter() - started:.0f}s")
    TasteChange.objects.all().delete()


# Measurements -------------------------------------------------------------------------


def _median_ms(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def sample_users() -> list[User]:
    """People near the median number of ratings among the demo's own people (the copies
    in the larger database are left out, so both runs time the same people)."""
    people = list(
        User.objects.exclude(username__contains="~x")
        .annotate(n=Count("ratings"))
        .filter(n__gte=10)
        .order_by("n", "username")
    )
    middle = len(people) // 2
    return people[middle - SAMPLE_USERS // 2 : middle - SAMPLE_USERS // 2 + SAMPLE_USERS]


def measure() -> dict:
    ensure_data()
    users = sample_users()
    title = Title.objects.order_by("-ratings_count", "pk").first()
    tci, stored = [], []
    for user in users:
        tci.append(_median_ms(lambda u=user: services.refresh_user_compatibility(u.pk), 3))
        stored.append(_median_ms(lambda u=user: services.refresh_user_predictions(u.pk), 3))
    viewers = [u for u in users if not Rating.objects.filter(user=u, title=title).exists()]
    viewer = viewers[0] if viewers else users[0]
    psi = _median_ms(lambda: selectors.probable_score(viewer, title), PSI_REPEATS)
    client = Client(SERVER_NAME="localhost")
    client.force_login(viewer)
    url = title.get_absolute_url()
    client.get(url)
    page = _median_ms(lambda: client.get(url), PAGE_REPEATS)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"title page answered {response.status_code}")
    return {
        "users": User.objects.filter(ratings__isnull=False).distinct().count(),
        "ratings": Rating.objects.count(),
        "title_raters": title.ratings_count,
        "user_ratings": statistics.median([Rating.objects.filter(user=u).count() for u in users]),
        "tci_ms": statistics.median(tci),
        "stored_ms": statistics.median(stored),
        "psi_ms": psi,
        "page_ms": page,
        "page_queries": len(queries),
        "psi_ok": selectors.probable_score(viewer, title).ok,
    }


# The star set: users and titles in bulk, ratings with one COPY (import_ratings_dataset
# rates user by user through the percentile service: right for real imports, minutes
# too slow for a million rows), then recompute_percentiles sets percentiles/aggregates.
STAR_RATINGS_COPY = "COPY ratings_rating (user_id, title_id, score, review, rated_at, updated_at, \
review_hidden) FROM STDIN"


def ensure_star_data() -> None:
    call_command("migrate", verbosity=0)
    if Rating.objects.exists():
        TasteChange.objects.all().delete()
        return
    say(f"Loading the star set into {connection.settings_dict['NAME']} (once, minutes) ...")
    started = time.perf_counter()
    users, titles, stars = generate(**STAR_SIZE)
    user_rows = [
        User(username=f"star-{k:05d}", password="!") for k in range(1, STAR_SIZE["users"] + 1)
    ]
    user_ids = [u.pk for u in User.objects.bulk_create(user_rows, batch_size=2_000)]
    title_rows = []
    for k in range(1, STAR_SIZE["titles"] + 1):
        title = Title(name=f"Star Dataset Film {k:05d}", year=1990, slug=f"star-film-{k:05d}")
        title.refresh_search_fields()
        title_rows.append(title)
    title_ids = [t.pk for t in Title.objects.bulk_create(title_rows, batch_size=2_000)]
    scores = (stars - 1) * 25
    with connection.cursor() as cursor, cursor.copy(STAR_RATINGS_COPY) as copy:
        for u, t, score in zip(users.tolist(), titles.tolist(), scores.tolist(), strict=True):
            copy.write_row((user_ids[u - 1], title_ids[t - 1], score, "", "now", "now", False))
    call_command("recompute_percentiles", verbosity=0, stdout=sys.stderr)
    TasteChange.objects.all().delete()
    say(f"... done in {time.perf_counter() - started:.0f}s")


class _Quiet:
    def write(self, text):
        pass

    def flush(self):
        pass


def measure_rebuild(repeats: int) -> dict:
    """Median seconds of rebuild_taste and recompute_percentiles, alternated, and the
    rebuild's peak memory (this process: read before the first rebuild and after)."""
    quiet = OutputWrapper(_Quiet())
    rebuilds, percentiles = [], []
    before = rebuild.peak_memory_mb()
    counts = {}
    for _ in range(repeats):
        started = time.perf_counter()
        call_command("recompute_percentiles", verbosity=0, stdout=quiet)
        percentiles.append(time.perf_counter() - started)
        started = time.perf_counter()
        counts = rebuild.rebuild(rebuild.Progress(say))
        rebuilds.append(time.perf_counter() - started)
    return {
        "rebuild_s": statistics.median(rebuilds),
        "percentiles_s": statistics.median(percentiles),
        "peak_mb": rebuild.peak_memory_mb(),
        "peak_before_mb": before,
        "ratings": counts.get("ratings", 0),
        "users": Rating.objects.values("user_id").distinct().count(),
        "pairs": counts.get("pairs", 0),
        "predictions": counts.get("predictions", 0),
    }


# Per-member refresh cost ------------------------------------------------------------

REFRESH_COST = "--refresh-cost" in sys.argv[1:]
# The pair statement of a member's refresh before issue 17's bounded refresh: every
# rater of every title the member rated, and every other's ratings counted.
BEFORE_PAIRS_SQL = """
WITH mine AS (
    SELECT m.title_id, m.position, coalesce(tt."offset", 0) AS title_offset
      FROM taste_position AS m LEFT JOIN taste_titletaste AS tt ON tt.title_id = m.title_id
     WHERE m.user_id = %(user_id)s
),
my_count AS (SELECT count(*) AS n FROM ratings_rating WHERE user_id = %(user_id)s),
pairs AS (
    SELECT o.user_id AS other, abs(o.position - m.position) AS diff,
           m.position - 49.5 - %(offset)s - m.title_offset AS mine,
           o.position - 49.5 - coalesce(p.user_offset, 0) - m.title_offset AS theirs
      FROM mine AS m
      JOIN taste_position AS o ON o.title_id = m.title_id
      LEFT JOIN taste_tasteprofile AS p ON p.user_id = o.user_id
     WHERE o.user_id <> %(user_id)s
),
shared AS (
    SELECT other, sum(diff) AS diff, count(*) AS common, sum(mine * theirs) AS cross_sum,
           sum(mine * mine) AS my_sq, sum(theirs * theirs) AS their_sq
      FROM pairs GROUP BY other
),
their_count AS (
    SELECT user_id, count(*) AS n FROM ratings_rating
     WHERE user_id IN (SELECT other FROM shared) GROUP BY user_id
)
SELECT s.other, s.diff::float8, s.common, s.cross_sum, s.my_sq, s.their_sq
  FROM shared AS s
  JOIN their_count AS c ON c.user_id = s.other
  CROSS JOIN my_count AS me
 WHERE s.common >= GREATEST(3, LEAST(20, floor(LEAST(me.n, c.n) * 0.1)::int))
"""


def prepare_taste_database() -> None:
    """The role's database, loaded once, with every rater's taste built (rebuild_taste)."""
    if STAR_ROLE:
        ensure_star_data()
    else:
        ensure_data()
    raters = Rating.objects.values("user_id").distinct().count()
    if TasteProfile.objects.count() < raters:
        say(f"Building the taste tables of {connection.settings_dict['NAME']} ...")
        rebuild.rebuild()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure_refresh_cost() -> dict:
    """For SAMPLE_USERS members with the median number of ratings: the pair statement
    before and now, and the whole TCI refresh now (statement, kept pairs, locked writes,
    committed), interleaved, REFRESH_REPEATS each; medians in ms."""
    from django.db.models import Count

    people = list(Rating.objects.values("user_id").annotate(n=Count("id")).order_by("n", "user_id"))
    middle = len(people) // 2
    users = [row["user_id"] for row in people[middle : middle + SAMPLE_USERS]]
    cap = services.pair_raters_cap()
    times = {"before": [], "statement": [], "refresh": []}
    rows = {"before": [], "statement": [], "kept": []}
    for user_id in users:
        offset = TasteProfile.objects.get(user_id=user_id).user_offset
        params = {"user_id": user_id, "offset": offset, "cap": cap}
        for _ in range(REFRESH_REPEATS):
            for label, sql in (
                ("before", BEFORE_PAIRS_SQL),
                ("statement", services.USER_PAIRS_SQL),
            ):
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    found = cursor.fetchall()
                times[label].append(time.perf_counter() - started)
                rows[label].append(len(found))
            started = time.perf_counter()
            rows["kept"].append(services.refresh_user_compatibility(user_id, offset))
            times["refresh"].append(time.perf_counter() - started)
    return {
        "ratings": Rating.objects.count(),
        "raters": len(people),
        "member_ratings": statistics.median(
            row["n"] for row in people[middle : middle + SAMPLE_USERS]
        ),
        "cap": cap,
        **{f"{k}_ms": statistics.median(v) * 1000 for k, v in times.items()},
        **{f"{k}_rows": statistics.median(v) for k, v in rows.items()},
    }


def print_refresh_cost(results: dict) -> None:
    demo = results["demo"]
    print(
        "Per-member TCI refresh (medians over "
        f"{SAMPLE_USERS} members with the median number of ratings; cap "
        f"{demo['cap']} raters per title; ratio = size / demo)"
    )
    print(
        f"{'database':<9} {'ratings':>10} {'members':>8} {'their n':>8} {'before ms':>10} "
        f"{'now ms':>8} {'refresh ms':>11} {'refresh/demo':>13} {'pairs before':>13} "
        f"{'now':>6} {'kept':>6}"
    )
    for label, run in results.items():
        ratio = run["refresh_ms"] / demo["refresh_ms"]
        print(
            f"{label:<9} {run['ratings']:>10,} {run['raters']:>8,} {run['member_ratings']:>8.0f} "
            f"{run['before_ms']:>10.1f} {run['statement_ms']:>8.1f} {run['refresh_ms']:>11.1f} "
            f"{ratio:>12.2f}x {run['before_rows']:>13.0f} {run['statement_rows']:>6.0f} "
            f"{run['kept_rows']:>6.0f}"
        )
    print("(before / now ms: the pair statement alone; refresh ms: the whole TCI refresh now)")


# The worker burst ----------------------------------------------------------------------

TASKS_TABLE = DBTaskResult._meta.db_table
TASK_SPAN_SQL = f"""
SELECT count(*) FILTER (WHERE status = 'SUCCESSFUL'),
       count(*) FILTER (WHERE status <> 'SUCCESSFUL'),
       extract(epoch FROM max(finished_at) - min(started_at))
  FROM {TASKS_TABLE} WHERE task_path = %s
"""
REFRESH_TASK = "taste.tasks.refresh_user_taste_task"
ALL_TASKS_SPAN_SQL = f"""
SELECT count(*) FILTER (WHERE status = 'SUCCESSFUL'),
       extract(epoch FROM max(finished_at) - min(started_at))
  FROM {TASKS_TABLE}
"""
# Stored numbers compared with the rebuild's: equal within float rounding (the per-user
# SQL sums in another order than numpy).
TOLERANCE = 1e-7


def taste_tables() -> dict:
    """Every stored taste number by natural key (timestamps left out)."""
    prediction_fields = ("neighbours_count", *services.PREDICTION_COLUMNS)
    return {
        "pairs": {
            (c.user_a_id, c.user_b_id): (c.tci, c.common_count, c.tci_shrunk, c.agreement)
            for c in Compatibility.objects.all()
        },
        "profiles": {
            p.user_id: (p.user_offset, p.ratings_count, p.compatible_count, *(p.factors or ()))
            for p in TasteProfile.objects.all()
        },
        "titles": {
            t.title_id: (t.offset, t.raters_count, *(t.factors or ()))
            for t in TitleTaste.objects.all()
        },
        "fallback": {
            (f.user_id, f.title_id): (f.position,) for f in FallbackPosition.objects.all()
        },
        "predictions": {
            (p.user_id, p.title_id): tuple(getattr(p, f) for f in prediction_fields)
            for p in Prediction.objects.all()
        },
    }


def differences(mine: dict, theirs: dict) -> list[str]:
    """What differs between two ``taste_tables`` (empty: the same tables)."""
    found = []
    for table, rows in theirs.items():
        missing, extra = rows.keys() - mine[table].keys(), mine[table].keys() - rows.keys()
        if missing or extra:
            found.append(f"{table}: {len(missing)} rows missing, {len(extra)} extra")
        moved = [
            key
            for key in rows.keys() & mine[table].keys()
            if len(rows[key]) != len(mine[table][key])
            or any(
                abs(a - b) > TOLERANCE * max(1.0, abs(b))
                for a, b in zip(mine[table][key], rows[key], strict=True)
            )
        ]
        if moved:
            found.append(f"{table}: {len(moved)} rows with other numbers, e.g. {moved[0]}")
    return found


def run_burst(user_ids: list[int], workers: int) -> dict:
    """Queue a refresh of each user (one task each, as dispatch does) and let ``workers``
    ``manage.py run_worker --batch`` processes run them all; seconds from the first task
    started to the last finished, and the whole wall time with the processes' start."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TASKS_TABLE}")
    PendingRefresh.objects.all().delete()
    for user_id in user_ids:
        tasks.request_user_refresh(user_id)
    return run_workers(workers)


def run_workers(workers: int) -> dict:
    """``workers`` ``manage.py run_worker --batch`` processes, until no task is left."""
    command = [
        sys.executable,
        str(BASE_DIR / "manage.py"),
        "run_worker",
        "--batch",
        "--interval=0.05",
        "--no-startup-delay",
        "--no-reload",
        "--verbosity=0",
    ]
    env = {**os.environ, "DATABASE_URL": ROLE_URL, "TASKS_IMMEDIATE": "0"}
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(workers)
    ]
    errors = [process.communicate()[1].decode() for process in processes]
    wall = time.perf_counter() - started
    if any(process.returncode for process in processes):
        raise SystemExit("a worker failed:\n" + "\n".join(errors))
    with connection.cursor() as cursor:
        cursor.execute(TASK_SPAN_SQL, [REFRESH_TASK])
        done, other, span = cursor.fetchone()
    return {"done": done, "not_done": other, "span_s": float(span or 0), "wall_s": wall}


def measure_burst() -> dict:
    """Rebuild, then interleaved rounds of the same burst with 1 and 2 workers, each
    followed by a comparison of every taste table with the rebuild's."""
    ensure_data()
    rebuild.rebuild()
    expected = taste_tables()
    raters = sorted(set(Rating.objects.values_list("user_id", flat=True)))
    user_ids = raters[:BURST_REFRESHES]
    runs = []
    for round_number in range(BURST_ROUNDS):
        for workers in (1, 2) if round_number % 2 == 0 else (2, 1):
            say(f"burst of {len(user_ids)} refreshes, {workers} worker(s) ...")
            result = run_burst(user_ids, workers)
            result["workers"] = workers
            result["differences"] = differences(taste_tables(), expected)
            say(f"  {result}")
            runs.append(result)
    return {
        "refreshes": len(user_ids),
        "ratings": Rating.objects.count(),
        "raters": len(raters),
        "pairs": len(expected["pairs"]),
        "predictions": len(expected["predictions"]),
        "runs": runs,
        "load": os.getloadavg(),
    }


def measure_lag() -> dict:
    """The worker's lag after LAG_CHANGES rating changes: one existing rating each of the
    LAG_CHANGES members with the median number of ratings, changed through
    ratings.services.rate (which logs them, as on the site); then the dispatch the
    worker runs every few seconds (tasks.dispatch_changes: member and title refreshes
    queued) and one ``run_worker --batch`` process until every task is done. The lag:
    the changes, the dispatch and the worker's span from its first task started to its
    last finished; the median over BURST_ROUNDS rounds (another rating each round)."""
    from django.db.models import Count

    from ratings.services import rate

    prepare_taste_database()
    PendingRefresh.objects.all().delete()
    people = list(Rating.objects.values("user_id").annotate(n=Count("id")).order_by("n", "user_id"))
    middle = max(0, len(people) // 2 - LAG_CHANGES // 2)
    members = [row["user_id"] for row in people[middle : middle + LAG_CHANGES]]
    runs = []
    for round_number in range(BURST_ROUNDS):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TASKS_TABLE}")
        started = time.perf_counter()
        for user_id in members:
            mine = Rating.objects.filter(user_id=user_id).select_related("user", "title")
            rating = mine.order_by("title_id")[round_number]
            # Another score on every scale (0-100 stored; the star set's are 0, 25, ... 100).
            rate(rating.user, rating.title, 100 - rating.score if rating.score != 50 else 75)
        changed = time.perf_counter() - started
        dispatched = tasks.dispatch_changes()
        dispatch = time.perf_counter() - started - changed
        run_workers(1)
        with connection.cursor() as cursor:
            cursor.execute(ALL_TASKS_SPAN_SQL)
            done, span = cursor.fetchone()
        runs.append(
            {
                # The worker process's start (Django's set-up) is left out: a running
                # worker takes the first task at its next poll.
                "lag_s": changed + dispatch + float(span),
                "changes_s": changed,
                "dispatch_s": dispatch,
                "worker_busy_s": float(span),
                "users": len(dispatched.users),
                "titles": len(dispatched.titles),
                "tasks_done": done,
            }
        )
        say(f"  lag round {round_number + 1}: {runs[-1]}")
    return {
        "changes": len(members),
        "ratings": Rating.objects.count(),
        "raters": len(people),
        "member_ratings": statistics.median(
            Rating.objects.filter(user_id=m).count() for m in members
        ),
        "runs": runs,
        "lag_s": statistics.median(run["lag_s"] for run in runs),
    }


def print_burst(burst: dict) -> None:
    print(
        f"Worker burst: {burst['refreshes']:,} member refreshes (refresh_user_taste_task) on "
        f"{burst['ratings']:,} ratings by {burst['raters']:,} members, after rebuild_taste "
        f"({burst['pairs']:,} pairs, {burst['predictions']:,} PSIs); load average at the end "
        f"{burst['load'][0]:.1f}"
    )
    print(f"{'workers':>7} {'span s':>8} {'wall s':>8} {'refreshes/s':>12} {'same as rebuild':>16}")
    for run in burst["runs"]:
        same = "yes" if not run["differences"] and not run["not_done"] else "NO"
        rate = run["done"] / run["span_s"] if run["span_s"] else float("nan")
        times = f"{run['span_s']:>8.1f} {run['wall_s']:>8.1f}"
        print(f"{run['workers']:>7} {times} {rate:>12.2f} {same:>16}")
        for line in run["differences"]:
            print(f"        {line}")
    spans = {w: [r["span_s"] for r in burst["runs"] if r["workers"] == w] for w in (1, 2)}
    one, two = statistics.median(spans[1]), statistics.median(spans[2])
    print(f"speed-up of 2 workers (median span, 1 / 2): {one / two:.2f}x (target >= 1.6x)")


def _role(flag: str) -> dict:
    return _role_with(flag)


def _role_with(flag: str, *more: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, flag, *more], capture_output=True, text=True, check=False
    )
    sys.stderr.write(result.stderr)
    if result.returncode:
        raise SystemExit(f"the {flag} run failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    if REFRESH_COST:
        prepare_taste_database()
        if STAR_ROLE or LARGE_ROLE:
            print(json.dumps(measure_refresh_cost()))
            return
        results = {"demo": measure_refresh_cost()}
        for label, flag in (("x10", "--x10"), ("star 1M", "--star")):
            say(f"Measuring the refresh cost on {label} ...")
            results[label] = _role_with(flag, "--refresh-cost")
        print_refresh_cost(results)
        return
    if BURST_ROLE and LAG_CHANGES:
        lag = measure_lag()
        print(json.dumps(lag, default=float))
        print(
            f"Worker lag after {lag['changes']} changes on {lag['ratings']:,} ratings "
            f"({lag['raters']:,} members, ~{lag['member_ratings']:.0f} ratings each): "
            f"median {lag['lag_s']:.1f} s over {len(lag['runs'])} rounds"
        )
        return
    if BURST_ROLE:
        print_burst(measure_burst())
        return
    if STAR_ROLE:
        ensure_star_data()
        print(json.dumps({"rebuild": measure_rebuild(REBUILD_REPEATS["star"])}))
        return
    if LARGE_ROLE:
        ensure_data()
        rebuilt = measure_rebuild(REBUILD_REPEATS["x10"])
        print(json.dumps({**measure(), "rebuild": rebuilt}))
        return
    ensure_data()
    rebuilt = measure_rebuild(REBUILD_REPEATS["demo"])
    demo = {**measure(), "rebuild": rebuilt}
    say("Measuring the larger database ...")
    large = _role("--x10")
    star = None
    if "--no-star" not in sys.argv[1:]:
        say("Measuring the star set ...")
        star = _role("--star")

    print(
        f"Taste bench: medians over {SAMPLE_USERS} median users (~{demo['user_ratings']:.0f} "
        f"ratings each); title page of the most rated title"
    )
    print(
        f"demo: {demo['users']:,} raters, {demo['ratings']:,} ratings, title rated by "
        f"{demo['title_raters']:,};  x10: {large['users']:,} raters, {large['ratings']:,} "
        f"ratings, title rated by {large['title_raters']:,}"
    )
    print()
    print(f"{'measure':<34} {'demo':>10} {'x10':>10} {'x10/demo':>9}")
    rows = [
        ("TCI refresh, one user (ms)", "tci_ms"),
        ("stored PSIs, one user (ms)", "stored_ms"),
        ("title-page PSI (ms)", "psi_ms"),
        ("whole title page GET (ms)", "page_ms"),
        ("title page queries", "page_queries"),
    ]
    for label, key in rows:
        ratio = large[key] / demo[key] if demo[key] else float("nan")
        print(f"{label:<34} {demo[key]:>10.1f} {large[key]:>10.1f} {ratio:>8.2f}x")
    print(f"PSI shown on the title page: demo {demo['psi_ok']}, x10 {large['psi_ok']}")
    print()
    print("Whole rebuild (median seconds; ratio = rebuild_taste / recompute_percentiles)")
    print(
        f"{'database':<10} {'ratings':>10} {'raters':>7} {'rebuild_taste':>14} "
        f"{'recompute_pct':>14} {'ratio':>7} {'peak MB':>8} {'pairs':>10} {'PSIs':>10}"
    )
    runs = [("demo", demo["rebuild"]), ("x10", large["rebuild"])]
    if star:
        runs.append(("star 1M", star["rebuild"]))
    for label, run in runs:
        print(
            f"{label:<10} {run['ratings']:>10,} {run['users']:>7,} {run['rebuild_s']:>14.1f} "
            f"{run['percentiles_s']:>14.1f} {run['rebuild_s'] / run['percentiles_s']:>6.2f}x "
            f"{run['peak_mb']:>8,.0f} {run['pairs']:>10,} {run['predictions']:>10,}"
        )


if __name__ == "__main__":
    main()

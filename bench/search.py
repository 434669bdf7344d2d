"""Search, browse and home at demo size, at 20,000 titles and at 1,000,000 ratings:
EXPLAIN ANALYZE of the statements those pages run (uncached), interleaved rounds,
medians and the ratio to the demo.

    DATABASE_URL=postgres://…/demo python bench/search.py [--titles 20000] [--rounds 5]

Three databases on DATABASE_URL's server:

- demo: DATABASE_URL's own (seed_demo);
- ``<demo>_search20k``: a copy of it (CREATE DATABASE … TEMPLATE) with synthetic titles
  added until it has ``--titles`` (names made of the demo's title words, two to four of
  them, so trigrams are distributed like real names), made once and reused;
- ``<demo>_search1m``: a copy of the 20,000-title one with 10,000 more members rating
  100 titles each (generate_series, as bench/percentiles.py makes them; one rating in
  50 with a review), percentiles and title aggregates rebuilt, made once and reused.

Each statement is captured from the site's own code (catalog.filters, the selectors,
pages.builders.home_lists) run against each database, so a page's LIMIT follows that
database's count. Timings are planning + execution; "blocks" are the shared buffers
the execution touched (hit or read), the work done whatever the machine's load. This
only prints.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench._databases import database_name, with_database  # noqa: E402

SEARCHES = {
    "search ?q=intervew": {"q": "intervew"},
    "search ?q=amelie": {"q": "amelie"},
    "search ?q=the": {"q": "the"},
}
BROWSES = {
    "browse (most ratings)": {},
    "browse ?sort=percentile": {"sort": "percentile"},
    "browse ?kind=film": {"kind": "film", "sort": "newest"},
}
MILLION_MEMBERS = 10_000
MILLION_RATINGS_EACH = 100

# Members and ratings made with generate_series, as bench/percentiles.py makes them:
# member i rates titles (i * 37 + k * 211) mod n, k < 100 (distinct: 211 is prime), one
# rating in 50 with a review.
MILLION_USERS_SQL = """
    INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
        email, is_staff, is_active, date_joined, display_name, bio, avatar, rating_scale,
        prefers_compact, is_suspended, visibility, watchlist_public)
    SELECT '!', false, 'bench1m' || i, '', '', '', false, true, now(), '', '', '', '100',
           false, false, 'public', false
      FROM generate_series(0, %(members)s - 1) AS i
"""
MILLION_RATINGS_SQL = """
    WITH t AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM catalog_title),
         u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i
                 FROM accounts_user WHERE username LIKE 'bench1m%%')
    INSERT INTO ratings_rating (user_id, title_id, score, review, rated_at, updated_at,
                                review_hidden)
    SELECT u.id, t.ids[1 + ((u.i * 37 + k * 211) %% t.n)], floor(random() * 101)::int,
           CASE WHEN random() < 0.02 THEN 'A bench review.' ELSE '' END,
           now() - random() * interval '5000 days', now(), false
      FROM u, t, generate_series(0, %(each)s - 1) AS k
"""


def _copy_database(source_url: str, url: str) -> bool:
    """CREATE DATABASE url TEMPLATE source; False if it already exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(source_url, "postgres"), autocommit=True) as conn:
        if conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
        ).fetchone():
            return False
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(database_name(url)), sql.Identifier(database_name(source_url))
            )
        )
    return True


def _vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # As autovacuum would leave it: GIN pending lists merged, visibility maps set.
        conn.execute("VACUUM ANALYZE")


def _refresh_search_statistics(url: str) -> None:
    subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup();"
         " from catalog.services import refresh_trigram_frequencies as r; r()"],
        cwd=BASE_DIR, env={**os.environ, "DATABASE_URL": url}, check=True,
    )  # fmt: skip


def make_large(demo_url: str, large_url: str, titles: int) -> None:
    import psycopg

    from catalog.search import name_trigrams, search_text

    if not _copy_database(demo_url, large_url):
        return
    with psycopg.connect(large_url) as conn:
        words = sorted(
            {
                word
                for (title,) in conn.execute("SELECT name FROM catalog_title")
                for word in title.split()
            }
        )
        have = conn.execute("SELECT count(*) FROM catalog_title").fetchone()[0]
        rng = random.Random(17)
        rows = []
        for n in range(max(0, titles - have)):
            title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 4)))
            normalised = search_text(title)
            rows.append(
                (title, 1900 + rng.randrange(125), f"synthetic-{n}", normalised,
                 name_trigrams(normalised), rng.randrange(40))
            )  # fmt: skip
        with conn.cursor() as cursor:
            cursor.executemany(
                # The aggregates live in catalog_titlestats: the row is inserted here,
                # so the title trigger's own insert of a zero row does nothing.
                """WITH t AS (
                       INSERT INTO catalog_title (kind, name, original_name, year, synopsis,
                           poster, poster_list, poster_page, trailer_url, slug, created_at,
                           updated_at, search_name, name_trigrams)
                       VALUES ('film', %s, '', %s, '', '', '', '', '', %s, now(), now(), %s,
                               %s)
                       RETURNING id)
                   INSERT INTO catalog_titlestats
                          (title_id, ratings_count, percentile_sum, percentile_count)
                   SELECT id, %s, 0, 0 FROM t""",
                rows,
            )
        print(f"made {database_name(large_url)}: {titles:,} titles", flush=True)
    _refresh_search_statistics(large_url)
    _vacuum(large_url)


def make_million(large_url: str, million_url: str) -> None:
    import psycopg

    if not _copy_database(large_url, million_url):
        return
    started = time.perf_counter()
    with psycopg.connect(million_url) as conn:
        conn.execute(MILLION_USERS_SQL, {"members": MILLION_MEMBERS})
        conn.execute(MILLION_RATINGS_SQL, {"each": MILLION_RATINGS_EACH})
    subprocess.run(
        [sys.executable, "manage.py", "recompute_percentiles", "--batch-size", "1000",
         "--verbosity", "0"],
        cwd=BASE_DIR, env={**os.environ, "DATABASE_URL": million_url}, check=True,
    )  # fmt: skip
    _vacuum(million_url)
    print(
        f"made {database_name(million_url)} in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _use_database(name: str) -> None:
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def captured_statements() -> list[tuple[str, str]]:
    """(label, SQL) of every statement the pages run on the current database, uncached:
    the browse/search count and page (the count as catalog.selectors computes it) and
    the home page's lists."""
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from catalog.filters import TitleFilter
    from catalog.models import Title
    from pages.builders import home_lists

    try:
        from catalog.selectors import BROWSE_PER_PAGE, browse_paginator
    except ImportError:  # the code before capped counts (to measure "before")
        from django.core.paginator import Paginator as browse_paginator

        BROWSE_PER_PAGE = 24

    statements = []
    for label, params in {**SEARCHES, **BROWSES}.items():
        query = QueryDict(mutable=True)
        query.update(params)
        with CaptureQueriesContext(connection) as captured:
            paginator = browse_paginator(
                TitleFilter(query, queryset=Title.objects.all()).qs, BROWSE_PER_PAGE
            )
            list(paginator.get_page(1).object_list)
        for part, q in zip(("count", "page"), captured.captured_queries, strict=False):
            statements.append((f"{label}, {part}", q["sql"]))
    with CaptureQueriesContext(connection) as captured:
        home_lists()
    for part, q in zip(
        ("recent ratings", "recent titles", "top titles", "recent reviews"),
        captured.captured_queries,
        strict=False,
    ):
        statements.append((f"home, {part}", q["sql"]))
    return statements


def explain(conn, statement: str) -> tuple[float, int]:
    """Planning + execution time (ms) and the buffers the execution touched (shared
    blocks hit or read: the work done, which the machine's load does not change)."""
    rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}").fetchone()[0]
    plan = rows[0]["Plan"]
    blocks = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    return rows[0]["Execution Time"] + rows[0]["Planning Time"], blocks


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    demo_url = os.environ["DATABASE_URL"]
    large_url = with_database(demo_url, f"{database_name(demo_url)}_search20k")
    million_url = with_database(demo_url, f"{database_name(demo_url)}_search1m")
    django.setup()
    make_large(demo_url, large_url, args.titles)
    make_million(large_url, million_url)
    urls = {"demo": demo_url, "20k": large_url, "1m": million_url}
    plans: dict[str, dict[str, str]] = {}
    for db, url in urls.items():
        _use_database(database_name(url))
        plans[db] = dict(captured_statements())
    labels = list(plans["demo"])
    times: dict[tuple[str, str], list[float]] = {}
    blocks: dict[tuple[str, str], int] = {}
    conns = {db: psycopg.connect(url, autocommit=True) for db, url in urls.items()}
    try:
        sizes = {
            db: conn.execute(
                "SELECT (SELECT count(*) FROM catalog_title), (SELECT count(*) FROM ratings_rating)"
            ).fetchone()
            for db, conn in conns.items()
        }
        for round_number in range(args.rounds):
            order = list(conns)[round_number % 3 :] + list(conns)[: round_number % 3]
            for label in labels:
                for db in order:
                    statement = plans[db].get(label)
                    if statement:
                        ms, touched = explain(conns[db], statement)
                        times.setdefault((label, db), []).append(ms)
                        blocks[(label, db)] = touched
    finally:
        for conn in conns.values():
            conn.close()
    described = "; ".join(
        f"{db} {titles:,} titles, {ratings:,} ratings" for db, (titles, ratings) in sizes.items()
    )
    print(
        f"EXPLAIN ANALYZE (planning + execution), median of {args.rounds} interleaved rounds;"
        f" {described}"
    )
    print(
        "| statement | demo ms | 20k titles ms | ratio | 1M ratings ms | ratio"
        " | blocks: demo | 20k | 1M |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label in labels:
        demo_ms = statistics.median(times[(label, "demo")])
        cells = [f"{demo_ms:.2f}"]
        for db in ("20k", "1m"):
            if (label, db) in times:
                ms = statistics.median(times[(label, db)])
                cells += [f"{ms:.2f}", f"{ms / demo_ms:.2f}x"]
            else:
                cells += ["", ""]
        cells += [str(blocks.get((label, db), "")) for db in ("demo", "20k", "1m")]
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()

"""Search and browse at demo size and at 20,000 titles: EXPLAIN ANALYZE of the queries
the browse page runs (the count and the page), interleaved, medians and the ratio.

    DATABASE_URL=postgres://…/demo python bench/search.py [--titles 20000] [--rounds 5]

The demo database (seed_demo) is DATABASE_URL's; the larger one, ``<demo>_search20k``,
is a copy of it (CREATE DATABASE … TEMPLATE) with synthetic titles added until it has
``--titles`` (names made of the demo's title words, two to four of them, so trigrams
are distributed like real names), made once and reused.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench._databases import database_name, with_database  # noqa: E402

QUERIES = {
    "search ?q=intervew": {"q": "intervew"},
    "search ?q=amelie": {"q": "amelie"},
    "browse (most ratings)": {},
    "browse ?sort=percentile": {"sort": "percentile"},
}


def browse_sql(params: dict) -> list[tuple[str, str]]:
    """The statements the browse page runs for ``params`` (uncached): count, page."""
    from django.core.paginator import Paginator
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from catalog.filters import TitleFilter
    from catalog.models import Title

    query = QueryDict(mutable=True)
    query.update(params)
    with CaptureQueriesContext(connection) as captured:
        page = Paginator(TitleFilter(query, queryset=Title.objects.all()).qs, 24).get_page(1)
        list(page.object_list)
    statements = [q["sql"] for q in captured.captured_queries if "catalog_title" in q["sql"]]
    return list(zip(("count", "page"), statements, strict=False))


def make_large(demo_url: str, large_url: str, titles: int) -> None:
    import psycopg
    from psycopg import sql

    from catalog.search import name_trigrams, search_text

    name = database_name(large_url)
    with psycopg.connect(with_database(demo_url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(database_name(demo_url))
            )
        )
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
        print(f"made {name}: {titles:,} titles")
    with psycopg.connect(large_url, autocommit=True) as conn:
        # As autovacuum would leave it: GIN pending lists merged, visibility maps set.
        conn.execute("VACUUM ANALYZE")


def explain_ms(conn, statement: str) -> float:
    rows = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}").fetchone()[0]
    return rows[0]["Execution Time"] + rows[0]["Planning Time"]


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    demo_url = os.environ["DATABASE_URL"]
    large_url = with_database(demo_url, f"{database_name(demo_url)}_search20k")
    django.setup()
    make_large(demo_url, large_url, args.titles)
    plans = {label: browse_sql(params) for label, params in QUERIES.items()}
    times: dict[tuple[str, str, str], list[float]] = {}
    with psycopg.connect(demo_url) as demo, psycopg.connect(large_url) as large:
        sizes = {
            db: conn.execute("SELECT count(*) FROM catalog_title").fetchone()[0]
            for db, conn in (("demo", demo), ("large", large))
        }
        for _ in range(args.rounds):
            for label, statements in plans.items():
                for part, statement in statements:
                    for db, conn in (("demo", demo), ("large", large)):
                        started = time.perf_counter()
                        ms = explain_ms(conn, statement)
                        _ = time.perf_counter() - started
                        times.setdefault((label, part, db), []).append(ms)
    print(
        f"EXPLAIN ANALYZE, median of {args.rounds} interleaved rounds; demo "
        f"{sizes['demo']:,} titles, large {sizes['large']:,} titles"
    )
    print(f"| query | statement | demo ms | {sizes['large']:,} titles ms | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label, statements in plans.items():
        for part, _statement in statements:
            demo_ms = statistics.median(times[(label, part, "demo")])
            large_ms = statistics.median(times[(label, part, "large")])
            print(
                f"| {label} | {part} | {demo_ms:.2f} | {large_ms:.2f} | {large_ms / demo_ms:.2f}x |"
            )


if __name__ == "__main__":
    main()

"""One dispatch pass of the taste worker over a change log left by an import, before
and after issue 17: the whole log aggregated (before) against its head and the rows of
the objects taken (now), at several log sizes, interleaved, medians.

    DATABASE_URL=postgres://…/db python bench/dispatch.py [--rows 10000 100000 1000000]

Runs in a database of its own, ``<db>_dispatch`` (migrated, emptied log), filled with
``rows`` changes of 20,000 titles and 10,000 members as an import logs them (one row
per title and per member per statement), all settled. Each pass runs inside a
transaction rolled back afterwards, so every pass sees the same log.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench._databases import database_name, ensure_database, with_database  # noqa: E402

# taste.services.TAKE_SETTLED_CHANGES_SQL as it was before issue 17.
BEFORE_SQL = """
WITH settled AS (
    SELECT kind, object_id, max(id) AS last_id FROM taste_tastechange
     GROUP BY kind, object_id
    HAVING max(changed_at) <= %(cutoff)s
     ORDER BY min(id) LIMIT %(limit)s
),
taken AS (
    DELETE FROM taste_tastechange AS c USING settled AS s
     WHERE c.kind = s.kind AND c.object_id = s.object_id AND c.id <= s.last_id
    RETURNING c.kind, c.object_id, c.changed_at
)
SELECT kind, object_id, min(changed_at) FROM taken GROUP BY kind, object_id
"""

FILL_SQL = """
INSERT INTO taste_tastechange (kind, object_id, changed_at, bulk)
SELECT CASE WHEN n %% 100 = 0 THEN 'user' ELSE 'title' END,
       CASE WHEN n %% 100 = 0 THEN (n / 100) %% 10000 ELSE (n::bigint * 7919) %% 20000 END,
       now() - interval '1 hour', true
  FROM generate_series(1, %s) AS n
"""


NEW_RATING_SQL = """
INSERT INTO taste_tastechange (kind, object_id, changed_at, bulk)
VALUES ('user', 999999, now() - interval '1 hour', false)
"""


def one_pass(conn, label: str, limit: int, scan_per_object: int, statements: dict) -> list:
    """One dispatch pass: the statement of before, or today's two (single ratings first,
    then any) as taste.services.take_settled_changes runs them."""
    if label == "before":
        return conn.execute(BEFORE_SQL, {"cutoff": "infinity", "limit": limit}).fetchall()
    taken: list = []
    for sql in (statements["interactive"], statements["any"]):
        left = limit - len(taken)
        if left <= 0:
            break
        params = {"cutoff": "infinity", "limit": left, "scan": left * scan_per_object}
        taken += conn.execute(sql, params).fetchall()
    return taken


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    server = os.environ["DATABASE_URL"]
    url = with_database(server, f"{database_name(server)}_dispatch")
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    django.setup()
    from django.core.management import call_command

    from taste import services

    call_command("migrate", verbosity=0)
    statements = {
        "interactive": services.TAKE_SETTLED_INTERACTIVE_SQL,
        "any": services.TAKE_SETTLED_CHANGES_SQL,
    }
    scan = services.SCAN_PER_OBJECT
    print(
        f"Dispatch passes (at most {args.limit} objects each) over an import's change log "
        f"with one single rating logged after it; median of {args.rounds} rounds"
    )
    print(
        "| log rows | one pass, before | one pass, now | new rating taken after, before"
        " | now | drain all, before | now |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with psycopg.connect(url, autocommit=True) as conn:
        for rows in args.rows:
            conn.execute("TRUNCATE taste_tastechange")
            conn.execute(FILL_SQL, [rows])
            conn.execute(NEW_RATING_SQL)
            conn.execute("VACUUM ANALYZE taste_tastechange")
            one: dict[str, list[float]] = {"before": [], "now": []}
            reached: dict[str, list[float]] = {"before": [], "now": []}
            drain: dict[str, list[float]] = {"before": [], "now": []}
            for _ in range(args.rounds):
                for label in ("before", "now"):
                    # Every pass until the log is empty (what the worker does after an
                    # import), in a transaction rolled back, so each round sees the same.
                    with conn.transaction(force_rollback=True):
                        started = time.perf_counter()
                        first = True
                        while taken := one_pass(conn, label, args.limit, scan, statements):
                            if first:
                                one[label].append((time.perf_counter() - started) * 1000)
                                first = False
                            if ("user", 999999) in {(k, o) for k, o, *_ in taken}:
                                reached[label].append(time.perf_counter() - started)
                        drain[label].append(time.perf_counter() - started)
            m = {k: {n: statistics.median(v[n]) for n in v} for k, v in
                 (("one", one), ("reached", reached), ("drain", drain))}  # fmt: skip
            print(
                f"| {rows:,} | {m['one']['before']:.0f} ms | {m['one']['now']:.0f} ms | "
                f"{m['reached']['before']:.2f} s | {m['reached']['now']:.3f} s | "
                f"{m['drain']['before']:.2f} s | {m['drain']['now']:.2f} s |"
            )


if __name__ == "__main__":
    main()

"""Benchmark of `manage.py import_imdb` on a generated title.basics file.

    .venv/bin/python bench/import_imdb.py [ROWS]      (default 100,000 rows)

Writes a gzip title.basics file of ROWS plausible rows (a mix of kinds, nulls and
genres), then in a fresh database (BENCH_DATABASE_URL if set; otherwise database
bench_import on the server of DATABASE_URL; otherwise an embedded PostgreSQL under
var/bench-pgdata) times:

- parse:  reading and normalising every row in Python, no database (the baseline);
- first:  the import into an empty catalogue (COPY, upserts, genre links);
- rerun:  the same file again (every row compared, nothing written);

and prints rows per second and the ratio to the baseline measured in the same run.
Nothing is asserted; this only prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench._databases import ensure_database, server_url, with_database  # noqa: E402


def _fresh_database() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or with_database(server_url(), "bench_import")
    ensure_database(url, fresh=True)
    return url


def _manage(url: str, *args: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result.stdout


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    url = _fresh_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from catalog.imdb_import import BASICS_COLUMNS, KINDS, FileStats, parse_basics, read_rows
    from tests.catalog.imdb_files import BASICS_HEADER, generated_basics_rows, write_tsv

    with tempfile.TemporaryDirectory() as folder:
        path = write_tsv(
            Path(folder) / "title.basics.tsv.gz", BASICS_HEADER, generated_basics_rows(rows)
        )
        _manage(url, "migrate", "--noinput", "-v0")

        started = time.perf_counter()
        for _line, fields, _raw in read_rows(path, BASICS_COLUMNS, FileStats(path.name)):
            if fields[1] in KINDS:
                parse_basics(fields)
        parse = time.perf_counter() - started

        first, first_out = _manage(url, "import_imdb", str(path), "-v0")
        rerun, rerun_out = _manage(url, "import_imdb", str(path), "-v0")

    print(f"import_imdb on {rows:,} generated title.basics rows ({os.cpu_count()} CPUs)")
    print(f"{'run':<8}{'seconds':>10}{'rows/s':>12}{'x parse':>10}")
    for label, seconds in (("parse", parse), ("first", first), ("rerun", rerun)):
        print(f"{label:<8}{seconds:>10.2f}{rows / seconds:>12,.0f}{seconds / parse:>10.1f}")
    print("(first and rerun include starting Django in a subprocess)")
    for line in (first_out + rerun_out).splitlines():
        if line.startswith("  titles:"):
            print(line.strip())


if __name__ == "__main__":
    main()

"""Where the benchmarks keep their data: databases of their own, never the site's.

A benchmark names its databases; they live on the server of BENCH_DATABASE_URL's
host (when the benchmark honours it), else of DATABASE_URL, else an embedded
PostgreSQL under var/bench-pgdata.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[1]


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def server_url() -> str:
    """DATABASE_URL, or the embedded benchmark server (started on first use)."""
    server = os.environ.get("DATABASE_URL")
    if server:
        return server
    from config.embedded_db import embedded_database_url

    return embedded_database_url(BASE_DIR / "var" / "bench-pgdata")


def ensure_database(url: str, fresh: bool = False) -> None:
    """Create the database of ``url`` if it is missing (dropped first when ``fresh``)."""
    import psycopg
    from psycopg import sql

    name = sql.Identifier(database_name(url))
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))

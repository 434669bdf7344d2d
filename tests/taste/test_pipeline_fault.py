"""The fault test: a real worker process (``manage.py run_worker`` against the test
database) is killed during a refresh, a second worker's connection is terminated while
it claims a task, and within bounded time every member's stored TCIs still equal a fresh
computation and ``taste_status`` exits 0.

Deterministic without hooks in the code: the test holds the advisory locks that a TCI
refresh takes, per pair, before writing pairs (``services.LOCK_USER_PAIRS_SQL``), for
every pair of the members, so the first user refresh waits at a known point, RUNNING,
until the worker is killed; and it locks the task table, so the second worker's claim
query waits until its connection is ended.
"""

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from ratings.models import Rating
from taste import engine, services
from taste.models import Compatibility, PendingRefresh, TasteChange
from tests.factories import UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db(transaction=True)

# Bounds on waiting for the worker; reaching one fails the test (they are not timings
# the test measures).
DEADLINE = 60.0
TASKS_TABLE = DBTaskResult._meta.db_table
REFRESH_USER = "taste.tasks.refresh_user_taste_task"

# The pair locks of every pair of these members (the refreshes' own keys), held by the
# test's side connection for the session.
HOLD_PAIR_LOCKS_SQL = f"""
SELECT count(pg_advisory_lock({services.PAIR_LOCK_SPACE}, k)) FROM (
    SELECT DISTINCT {services.PAIR_LOCK_KEY.format(u="a", o="b")} AS k
      FROM unnest(%(ids)s::bigint[]) AS x(a), unnest(%(ids)s::bigint[]) AS y(b)
     WHERE a < b ORDER BY k
) AS keys
"""
# The worker's TCI refresh waiting for an advisory lock the test holds.
WAITING_ON_PAIRS_LOCK_SQL = """
SELECT pid FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid()
   AND wait_event_type = 'Lock' AND wait_event = 'advisory'
"""
# A worker's claim (the ORM's select of whole task rows; pg_stat_activity cuts long
# queries short, so matched by its start) waiting for the task table the test locked.
WAITING_CLAIM_SQL = f"""
SELECT pid FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid()
   AND wait_event_type = 'Lock'
   AND query LIKE 'SELECT "{TASKS_TABLE}"."id", "{TASKS_TABLE}"."status",%'
"""


def connection_params() -> dict:
    """The test database's libpq parameters, socket directory included (embedded server)."""
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    return {key: params[key] for key in keys if params.get(key)}


def database_url() -> str:
    """A DATABASE_URL for subprocesses; a socket directory goes in the query string."""
    params = connection_params()
    password = f":{quote(params['password'])}" if "password" in params else ""
    host = params.get("host", "")
    if host.startswith("/"):
        return f"postgres://{params['user']}{password}@/{params['dbname']}?host={quote(host)}"
    port = f":{params['port']}" if "port" in params else ""
    return f"postgres://{params['user']}{password}@{host}{port}/{params['dbname']}"


def side_connection() -> psycopg.Connection:
    return psycopg.connect(**connection_params(), autocommit=True)


class Worker:
    """``manage.py run_worker`` in a subprocess, logging to a file."""

    def __init__(self, log: Path):
        self.log = log
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "TASKS_IMMEDIATE": "0",
            "TASKS_STALE_SECONDS": "1",
            "TASKS_RETRY_DELAY_SECONDS": "1",
            "DEBUG": "0",
        }
        command = [
            sys.executable, str(settings.BASE_DIR / "manage.py"), "run_worker",
            "--no-reload", "--no-startup-delay", "--interval", "0.1",
            "--settle", "0", "--poll", "0.2", "--sweep", "0.5",
        ]  # fmt: skip
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=out)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def activity() -> str:
    with side_connection() as side:
        rows = side.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 300)"
            " FROM pg_stat_activity WHERE datname = current_database()"
        ).fetchall()
    return "\n".join(map(str, rows))


def wait_for(condition, what: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(w.output()[-4000:] for w in workers)
            raise AssertionError(f"Not within {DEADLINE:.0f}s: {what}\n{logs}\n{activity()}")
        time.sleep(0.1)


def fresh_tcis() -> dict:
    """Every pair's TCI computed here from the ratings (every member has percentiles)."""
    positions = defaultdict(dict)
    for user_id, title_id, percentile in Rating.objects.values_list(
        "user_id", "title_id", "percentile"
    ):
        positions[user_id][title_id] = percentile
    pairs = {}
    for a, b in combinations(sorted(positions), 2):
        common = positions[a].keys() & positions[b].keys()
        if len(common) >= engine.min_common(len(positions[a]), len(positions[b])):
            diff = sum(abs(positions[a][t] - positions[b][t]) for t in common)
            pairs[(a, b)] = (round(diff / len(common), 9), len(common))
    return pairs


def stored_tcis() -> dict:
    return {
        (a, b): (round(tci, 9), common)
        for a, b, tci, common in Compatibility.objects.values_list(
            "user_a_id", "user_b_id", "tci", "common_count"
        )
    }


def settled() -> bool:
    """Nothing left to do, and the stored TCIs are the fresh ones."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TASKS_TABLE} WHERE status IN ('READY', 'RUNNING')")
        (busy,) = cursor.fetchone()
    return (
        not busy
        and not TasteChange.objects.exists()
        and not PendingRefresh.objects.exists()
        and stored_tcis() == fresh_tcis()
    )


def test_killed_worker_and_terminated_claim_still_converge(titles, tmp_path):
    started = time.monotonic()
    members = [UserFactory(username=f"m{n}") for n in range(6)]
    for n, member in enumerate(members):
        give(member, {titles[i]: (i * (n + 3) * 7) % 100 for i in range(1, 16 + n)})
    assert TasteChange.objects.exists()
    side, watch = side_connection(), side_connection()
    workers = []
    try:
        # 1. The first worker takes a user refresh and waits for a pair's lock: kill it.
        side.execute(HOLD_PAIR_LOCKS_SQL, {"ids": [m.pk for m in members]})
        first = Worker(tmp_path / "first.log")
        workers.append(first)
        wait_for(
            lambda: watch.execute(WAITING_ON_PAIRS_LOCK_SQL).fetchall(),
            "a refresh waits for a pair's lock",
            workers,
        )
        (killed_id,) = side.execute(
            f"SELECT id FROM {TASKS_TABLE} WHERE status = 'RUNNING' AND task_path = %s",
            [REFRESH_USER],
        ).fetchone()
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        # Changes made while no worker runs.
        give(members[0], {titles[30]: 3, titles[31]: 97})
        side.execute("SELECT pg_advisory_unlock_all()")

        # 2. A second worker (as run_site would start) takes the killed task back.
        second = Worker(tmp_path / "second.log")
        workers.append(second)
        wait_for(settled, "the second worker catches up", workers)
        status, worker_ids = side.execute(
            f"SELECT status, worker_ids FROM {TASKS_TABLE} WHERE id = %s", [killed_id]
        ).fetchone()
        assert status == "SUCCESSFUL" and len(worker_ids) == 2
        assert "Took back 1 tasks whose worker stopped" in second.output()

        # 3. Its connection is terminated while it claims: it reconnects and goes on.
        with side.transaction():
            side.execute(f"LOCK TABLE {TASKS_TABLE} IN ACCESS EXCLUSIVE MODE")
            # (Polled from another connection: in a transaction, pg_stat_activity is a
            # snapshot taken at its first read.)
            wait_for(
                lambda: watch.execute(WAITING_CLAIM_SQL).fetchall(),
                "the worker's claim waits for the task table",
                workers,
            )
            for (pid,) in watch.execute(WAITING_CLAIM_SQL).fetchall():
                side.execute("SELECT pg_terminate_backend(%s)", [pid])
        give(members[1], {titles[2]: 99, titles[35]: 1})
        give(members[4], {titles[3]: 0, titles[36]: 50})
        wait_for(settled, "the worker catches up after its connection was ended", workers)
        assert second.process.poll() is None
        assert "Could not claim a task (database connection lost?)" in second.output()

        status = subprocess.run(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "taste_status"],
            env={**os.environ, "DATABASE_URL": database_url()},
            capture_output=True,
            text=True,
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert "OK: nothing waiting longer than 900s" in status.stdout
    finally:
        for worker in workers:
            worker.stop()
        side.close()
        watch.close()
    print(f"fault test: converged in {time.monotonic() - started:.1f}s")

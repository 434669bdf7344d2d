"""Helpers for tests that race real database connections."""

import time

from django.db import connection


def wait_for_lock_waiters(count: int, timeout: float = 20.0) -> None:
    """Block until ``count`` other backends of this database wait on a lock, so a test
    knows its threads are queued behind the lock it holds before it lets them go."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is a snapshot unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} connections never waited on the lock")

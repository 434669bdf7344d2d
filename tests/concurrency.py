"""Helpers for tests that race real database connections."""

import threading
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction


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


def race_behind_member_lock(member, writes: list) -> list[str]:
    """Run each of ``writes`` (no-argument callables) on its own connection while this
    connection holds ``member``'s row lock, release it once every write waits on it, and
    return their outcomes: "saved", or the refusal's ValidationError code. A policy
    checked before the writes take the lock would let them all through."""
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run(write) -> None:
        try:
            write()
            outcomes.append("saved")
        except ValidationError as refusal:
            outcomes.append(refusal.code)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {get_user_model()._meta.db_table} WHERE id = %s FOR NO KEY UPDATE",
                [member.pk],
            )
        for thread in threads:
            thread.start()
        wait_for_lock_waiters(len(threads))
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a write hung"
    assert errors == []
    return sorted(outcomes)

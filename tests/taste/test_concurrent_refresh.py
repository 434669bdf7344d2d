"""Refreshes of many members at once, each on its own PostgreSQL connection (as several
worker processes run them): pair rows are locked per pair (``services.LOCK_USER_PAIRS_SQL``,
in key order), so refreshes sharing no pair run side by side, those sharing one never
deadlock, and whatever the interleaving, the tables end as ``rebuild_taste`` leaves them."""

import random
import threading

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from taste import rebuild, services
from taste.models import Compatibility, TasteProfile
from tests.concurrency import wait_for_lock_waiters
from tests.factories import UserFactory
from tests.taste.conftest import give
from tests.taste.test_rebuild import assert_same, snapshot

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4
# Bounds on waiting (a hung refresh fails the test); nothing here is timed.
JOIN_TIMEOUT = 120
# A refresh that should never wait gives up after this, failing the test instead of hanging.
NO_WAIT_LOCK_TIMEOUT = "30s"


def side_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    return psycopg.connect(**{k: params[k] for k in keys if params.get(k)}, autocommit=True)


def run_in_threads(jobs: list) -> list[BaseException]:
    """Run each no-argument callable on its own thread and connection, all released at
    once; returns the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a refresh hung"
    return errors


def test_overlapping_refreshes_end_as_the_rebuild_left_them(star_ratings):
    """Four workers refresh every member, each in its own order (every pair is written by
    both of its members' refreshes, often at once), after the pairs were damaged: no
    deadlock, no pair lost or left stale, every table as the rebuild wrote it."""
    rebuild.rebuild()
    expected = snapshot()
    assert len(expected["pairs"]) > 300
    # Damage the stored pairs: some gone, some with wrong numbers, one that should not be.
    pairs = list(Compatibility.objects.order_by("user_a_id", "user_b_id"))
    Compatibility.objects.filter(pk__in=[p.pk for p in pairs[::3]]).delete()
    Compatibility.objects.filter(pk__in=[p.pk for p in pairs[1::3]]).update(tci=0, agreement=0)
    ids = sorted(TasteProfile.objects.values_list("user_id", flat=True))
    stray = UserFactory(username="stray")  # rated nothing: no pair is right for them
    Compatibility.objects.create(
        user_a_id=ids[0], user_b_id=stray.pk, tci=1, common_count=99, computed_at=timezone.now()
    )
    assert snapshot()["pairs"] != expected["pairs"]

    def refresh_all(seed: int):
        order = ids + [stray.pk]
        random.Random(seed).shuffle(order)
        return lambda: [services.refresh_user_taste(user_id) for user_id in order]

    assert run_in_threads([refresh_all(seed) for seed in range(THREADS)]) == []
    assert not Compatibility.objects.filter(user_b_id=stray.pk).exists()
    found = snapshot()
    found["profiles"].pop(stray.pk, None)
    assert_same(found, expected)


def test_refreshes_sharing_no_pair_do_not_wait_on_each_other(titles):
    """While one member's refresh waits on a pair's lock, the refresh of a member who
    shares no pair with them runs to the end (no global lock); the waiting one finishes
    once the lock is free, with the same pairs as a refresh alone."""
    a, b, c, d = (UserFactory(username=name) for name in "abcd")
    give(a, {titles[i]: 7 * i for i in range(1, 11)})
    give(b, {titles[i]: 100 - 9 * i for i in range(1, 11)})
    give(c, {titles[i]: 3 * i for i in range(20, 31)})
    give(d, {titles[i]: (13 * i) % 100 for i in range(20, 31)})
    for member in (a, b, c, d):
        services.refresh_user_taste(member.pk)
    alone = snapshot()["pairs"]
    assert set(alone) == {(a.pk, b.pk), (c.pk, d.pk)}
    Compatibility.objects.all().delete()

    side = side_connection()
    try:
        side.execute(
            f"SELECT pg_advisory_lock({services.PAIR_LOCK_SPACE}, "
            f"{services.PAIR_LOCK_KEY.format(u='%(u)s::bigint', o='%(o)s::bigint')})",
            {"u": a.pk, "o": b.pk},
        )
        errors: list[BaseException] = []

        def refresh_a() -> None:
            try:
                services.refresh_user_taste(a.pk)
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)
            finally:
                connection.close()

        waiting = threading.Thread(target=refresh_a)
        waiting.start()
        wait_for_lock_waiters(1)
        with connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{NO_WAIT_LOCK_TIMEOUT}'")
        services.refresh_user_taste(c.pk)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        assert waiting.is_alive(), "a's refresh did not wait for its pair's lock"
        assert set(snapshot()["pairs"]) == {(c.pk, d.pk)}
    finally:
        side.execute("SELECT pg_advisory_unlock_all()")
        side.close()
    waiting.join(timeout=JOIN_TIMEOUT)
    assert not waiting.is_alive() and errors == []
    assert_same({"pairs": snapshot()["pairs"]}, {"pairs": alone})

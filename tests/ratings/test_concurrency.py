"""16 threads, each with its own PostgreSQL connection, rating overlapping titles at once."""

import random
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from catalog.models import Title
from ratings.models import Rating
from ratings.selectors import percentile_mismatches
from ratings.services import RatingInput, rate, rate_many, unrate
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
OPERATIONS = 40


def test_sixteen_concurrent_raters_never_deadlock_and_keep_invariants():
    # 12 users: four of them are shared by two threads each, so one user's writes race too.
    users = UserFactory.create_batch(12)
    titles = TitleFactory.create_batch(15)
    thread_users = users + users[:4]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(seed: int, user) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(OPERATIONS):
                roll = rng.random()
                title = rng.choice(titles)
                if roll < 0.6:
                    rate(user, title, rng.randint(0, 100), review=f"take {seed}")
                elif roll < 0.8:
                    unrate(user, title)
                else:
                    picks = rng.sample(titles, rng.randint(1, 8))
                    rate_many(user, [RatingInput(t.pk, rng.randint(0, 100)) for t in picks])
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(seed, user)) for seed, user in enumerate(thread_users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert errors == []
    assert Rating.objects.exists()
    assert percentile_mismatches() == ([], [])
    call_command("check_percentiles")  # raises CommandError on any mismatch
    total = sum(Title.objects.values_list("ratings_count", flat=True))
    assert total == Rating.objects.count()

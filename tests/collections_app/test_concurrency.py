"""Concurrent edits of one collection queue on its row lock; positions stay dense."""

import random
import threading

import pytest
from django.db import connection

from collections_app import services
from collections_app.models import Collection
from tests.collections_app.conftest import assert_dense
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(jobs) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def wrap(job):
        try:
            barrier.wait()
            job()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_adds_get_distinct_dense_positions():
    collection = services.collection_create(UserFactory(), "Busy list")
    titles = [TitleFactory() for _ in range(12)]

    def adder(title):
        return lambda: services.collection_add_title(
            Collection.objects.get(pk=collection.pk), title
        )

    assert run_in_threads([adder(title) for title in titles]) == []
    assert_dense(collection)
    assert collection.items_count == 12


def test_concurrent_moves_removes_and_adds_keep_positions_dense():
    collection = services.collection_create(UserFactory(), "Storm")
    titles = [TitleFactory() for _ in range(10)]
    for title in titles:
        services.collection_add_title(collection, title)
    newcomers = [TitleFactory() for _ in range(4)]
    rng = random.Random(7)
    items = list(collection.items.all())

    def mover(item, position):
        def job():
            fresh = Collection.objects.get(pk=collection.pk)
            try:
                services.collection_move_item(fresh, item, position)
            except Exception as error:  # the item may have been removed meanwhile
                if "no longer in this collection" not in str(error):
                    raise

        return job

    jobs = [mover(item, rng.randint(1, 10)) for item in items[:6]]
    jobs += [
        lambda title=title: services.collection_remove_title(
            Collection.objects.get(pk=collection.pk), title
        )
        for title in titles[6:9]
    ]
    jobs += [
        lambda title=title: services.collection_add_title(
            Collection.objects.get(pk=collection.pk), title
        )
        for title in newcomers
    ]
    assert run_in_threads(jobs) == []
    assert_dense(collection)
    assert collection.items_count == 10 - 3 + 4

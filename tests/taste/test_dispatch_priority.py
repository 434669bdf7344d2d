"""The change log's dispatch reads only its head, and refreshes owed to bulk writes
(imports) are queued behind those of single ratings (issue 17)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ratings.services import RatingInput, rate, rate_many
from taste import services, tasks, worker
from taste.models import ChangeKind, Compatibility, PendingRefresh, TasteChange
from tests.factories import TitleFactory, UserFactory
from tests.taste.test_pipeline_recovery import database_queue  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_bulk_writes_are_logged_as_bulk_and_single_ratings_are_not():
    member = UserFactory()
    titles = TitleFactory.create_batch(3)
    rate_many(member, [RatingInput(t.pk, 10 * n) for n, t in enumerate(titles)])
    assert set(TasteChange.objects.values_list("bulk", flat=True)) == {True}
    TasteChange.objects.all().delete()
    # The same transaction (the test's) goes on after the bulk write: no longer bulk.
    rate(member, titles[0], 90)
    assert set(TasteChange.objects.values_list("kind", "bulk")) == {
        (ChangeKind.USER, False),
        (ChangeKind.TITLE, False),
    }


def test_a_pass_takes_the_oldest_objects_from_the_head_of_the_log():
    """Settled objects are taken in the order of their first change, at most ``limit``
    per pass, found in the head of the log (its oldest ``limit * SCAN_PER_OBJECT``
    rows), each with all its rows; an object first seen beyond the head waits for a
    later pass even though it is settled."""
    old = timezone.now() - timedelta(minutes=5)
    TasteChange.objects.bulk_create(
        [TasteChange(kind=ChangeKind.TITLE, object_id=n % 300, changed_at=old) for n in range(900)]
    )
    late = TasteChange.objects.create(kind=ChangeKind.TITLE, object_id=5000, changed_at=old)
    with CaptureQueriesContext(connection) as queries:
        taken = services.take_settled_changes(limit=10)
    assert taken.titles == list(range(10))
    heads = [q["sql"] for q in queries.captured_queries if "DELETE" in q["sql"]]
    assert all(f"ORDER BY id LIMIT {10 * services.SCAN_PER_OBJECT}" in sql for sql in heads)
    remaining = set(TasteChange.objects.values_list("object_id", flat=True))
    assert remaining == set(range(10, 300)) | {5000}
    for _ in range(29):
        assert 5000 not in services.take_settled_changes(limit=10).titles
    assert set(TasteChange.objects.values_list("id", flat=True)) == {late.pk}
    assert services.take_settled_changes(limit=10).titles == [5000]


def test_a_new_rating_is_taken_before_an_imports_backlog():
    """The changes of single ratings are taken first, however long the backlog of bulk
    changes before them."""
    member = UserFactory()
    titles = TitleFactory.create_batch(30)
    rate_many(member, [RatingInput(t.pk, n) for n, t in enumerate(titles)])  # bulk
    rater = UserFactory()
    rate(rater, titles[-1], 80)
    taken = services.take_settled_changes(limit=5)
    assert rater.pk in taken.users and titles[-1].pk in taken.titles
    assert (ChangeKind.USER, rater.pk) not in taken.bulk
    # The title was also imported: one refresh covers both, not queued as bulk.
    assert (ChangeKind.TITLE, titles[-1].pk) not in taken.bulk
    assert not TasteChange.objects.filter(object_id=rater.pk, kind=ChangeKind.USER).exists()
    # Of the import's 31 rows (its member, 30 titles): the rated title's, then the 3
    # oldest objects' to fill the pass (the member and two titles).
    assert TasteChange.objects.filter(bulk=True).count() == 31 - 1 - 3
    assert not TasteChange.objects.filter(object_id=titles[-1].pk, kind=ChangeKind.TITLE).exists()


def test_an_unsettled_object_at_the_head_does_not_hold_back_the_others():
    now, old = timezone.now(), timezone.now() - timedelta(minutes=5)
    TasteChange.objects.create(kind=ChangeKind.USER, object_id=1, changed_at=old)
    TasteChange.objects.create(kind=ChangeKind.USER, object_id=2, changed_at=old)
    TasteChange.objects.create(kind=ChangeKind.USER, object_id=1, changed_at=now)
    taken = services.take_settled_changes(settle_seconds=60, limit=10)
    assert taken.users == [2]
    assert list(TasteChange.objects.values_list("object_id", flat=True)) == [1, 1]


def priorities(kind: str) -> dict[int, int]:
    rows = PendingRefresh.objects.filter(kind=kind).values_list("object_id", "task_id")
    by_task = dict(DBTaskResult.objects.values_list("id", "priority"))
    return {object_id: by_task[task_id] for object_id, task_id in rows}


def test_an_imports_refreshes_wait_behind_a_new_rating(database_queue):  # noqa: F811
    importer, rater = UserFactory(), UserFactory()
    titles = TitleFactory.create_batch(4)
    rate_many(importer, [RatingInput(t.pk, 20 * n) for n, t in enumerate(titles)])
    tasks.dispatch_changes()
    assert priorities(ChangeKind.TITLE) == {t.pk: tasks.BULK_PRIORITY for t in titles}
    assert priorities(ChangeKind.USER) == {importer.pk: tasks.BULK_PRIORITY}

    # A member rates one of the imported titles: their refreshes, and that title's
    # already queued one, go ahead of the import's backlog.
    rate(rater, titles[2], 70)
    tasks.dispatch_changes()
    assert priorities(ChangeKind.TITLE) == {
        **{t.pk: tasks.BULK_PRIORITY for t in titles},
        titles[2].pk: 0,
    }
    assert priorities(ChangeKind.USER) == {importer.pk: tasks.BULK_PRIORITY, rater.pk: 0}
    ready = DBTaskResult.objects.ready().values_list("priority", flat=True)
    assert list(ready)[:2] == [0, 0]  # the worker's claim order: highest priority first


@pytest.mark.usefixtures("database_queue")
def test_a_large_import_backlog_is_covered_by_one_rebuild(settings):
    """With at least TASTE_BULK_REBUILD_AT refreshes queued behind the bulk backlog, the
    worker's upkeep runs the set-based rebuild and drops them; a single rating's refresh
    stays queued (and first); a smaller backlog is left to the single refreshes."""
    titles = TitleFactory.create_batch(12)
    members = UserFactory.create_batch(4)
    for k, member in enumerate(members):
        rate_many(member, [RatingInput(t.pk, (7 * n + 13 * k) % 101) for n, t in enumerate(titles)])
    tasks.dispatch_changes()
    single = UserFactory()
    rate(single, titles[0], 80)
    tasks.dispatch_changes()
    ready = DBTaskResult.objects.filter(status="READY")
    backlog = ready.filter(priority=tasks.BULK_PRIORITY).count()
    assert backlog == 4 + 12 - 1  # every member and title but the single rating's title
    assert ready.filter(priority=0).count() == 2

    settings.TASTE_BULK_REBUILD_AT = backlog + 1
    assert worker.Upkeep(settle=0, sweep=60).catch_up() is None
    assert ready.filter(priority=tasks.BULK_PRIORITY).count() == backlog
    assert not Compatibility.objects.exists()

    settings.TASTE_BULK_REBUILD_AT = backlog
    worker.Upkeep(settle=0, sweep=60).catch_up()
    assert ready.filter(priority=tasks.BULK_PRIORITY).count() == 0
    assert ready.filter(priority=0).count() == 2
    assert Compatibility.objects.count() == 6  # the rebuild ran: every pair of the 4
    assert not PendingRefresh.objects.exists()

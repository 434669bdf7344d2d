"""The taste pipeline recovers from every single failure: failed tasks are tried again,
tasks of a dead worker are taken back, pending refreshes without a task are swept, a
change during a refresh queues one more, the worker survives a lost connection, and
``taste_status`` tells when something is stuck. (The same against a real worker process
that is killed: test_pipeline_fault.)"""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ratings.services import rate
from taste import selectors, services, tasks, worker
from taste.models import ChangeKind, PendingRefresh, TasteChange, TasteProfile
from tests.factories import UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db

REFRESH_USER = "taste.tasks.refresh_user_taste_task"


@pytest.fixture
def database_queue(settings, monkeypatch):
    """Tasks are rows of the test database, run by ``run_batch``. (The worker closes a
    connection whose autocommit is off between tasks; here that connection holds the
    test's transaction, so it is left open.)"""
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_MAX_ATTEMPTS = 3
    settings.TASKS_RETRY_DELAY_SECONDS = 10
    settings.TASKS_STALE_SECONDS = 300


def run_batch(worker_id: str = "w1") -> None:
    """Run every ready task with the project's worker, then return."""
    worker.ReliableWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def user_tasks(user) -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path=REFRESH_USER, args_kwargs__args=[user.pk]).order_by(
            "enqueued_at"
        )
    )


def marker(kind, object_id) -> PendingRefresh | None:
    return PendingRefresh.objects.filter(kind=kind, object_id=object_id).first()


def status(*args) -> tuple[str, str]:
    """taste_status's output and its error output, when it finds nothing stuck."""
    out, err = io.StringIO(), io.StringIO()
    call_command("taste_status", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stuck_status(*args) -> tuple[str, str, str]:
    """taste_status's output, error output and message, when it finds something stuck
    (its CommandError makes ``manage.py`` exit 1)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("taste_status", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(raised.value)


@pytest.fixture
def pair(titles):
    a, b = UserFactory(username="pa"), UserFactory(username="pb")
    give(a, {titles[i]: 7 * i for i in range(1, 13)})
    give(b, {titles[i]: 7 * i + 3 for i in range(1, 13)})
    return a, b


def test_a_task_failing_on_a_transient_error_is_retried_and_succeeds(
    database_queue, pair, monkeypatch
):
    a, b = pair
    real = services.refresh_user_taste
    failures = []

    def flaky(user_id):
        if user_id == a.pk and not failures:
            failures.append(user_id)
            raise OperationalError("server closed the connection unexpectedly")
        return real(user_id)

    monkeypatch.setattr(services, "refresh_user_taste", flaky)
    tasks.dispatch_changes()
    before_run = timezone.now()
    run_batch()

    (task,) = user_tasks(a)
    assert task.status == "READY"
    assert len(task.worker_ids) == 1
    assert task.exception_class_path == "django.db.utils.OperationalError"
    assert task.run_after >= before_run + timedelta(seconds=10)
    assert marker(ChangeKind.USER, a.pk).task_id == task.id
    out, _ = status()
    assert "Waiting to be tried again: 1" in out

    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())
    run_batch()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert len(task.worker_ids) == 2
    assert marker(ChangeKind.USER, a.pk) is None
    assert selectors.tci_between(a, b).common_count == 12


def test_a_task_failing_every_time_is_left_failed_shown_and_tried_again_on_a_visit(
    database_queue, settings, pair, monkeypatch, client
):
    settings.TASKS_RETRY_DELAY_SECONDS = 0
    a, _ = pair

    real = services.refresh_user_taste

    def broken(user_id):
        if user_id == a.pk:
            raise ValueError("a bug")
        return real(user_id)

    monkeypatch.setattr(services, "refresh_user_taste", broken)
    tasks.dispatch_changes()
    run_batch()
    (task,) = user_tasks(a)
    assert task.status == "FAILED"
    assert len(task.worker_ids) == settings.TASKS_MAX_ATTEMPTS
    # The sweep leaves it (it would fail forever); taste_status shows it.
    assert tasks.requeue_stranded().users == []
    out = io.StringIO()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("taste_status", "--max-age", "3600", stdout=out, stderr=err)
    assert f"task {task.id} ({REFRESH_USER}) FAILED for good (builtins.ValueError)" in (
        err.getvalue()
    )
    assert "Failed tasks (tries used up, not succeeded since): 1" in out.getvalue()

    # Fixed, and the member visits their recommendations: queued again, and it runs.
    # (Not monkeypatch.undo(): that would also restore the worker's close_old_connections,
    # which closes the connection holding the test's transaction.)
    monkeypatch.setattr(services, "refresh_user_taste", real)
    TasteProfile.objects.create(user=a, computed_at=timezone.now())
    client.force_login(a)
    assert client.get(reverse("taste:recommendations")).status_code == 200
    retried = user_tasks(a)[-1]
    assert retried.status == "READY" and retried.pk != task.pk
    run_batch()
    assert marker(ChangeKind.USER, a.pk) is None
    out, _ = status()  # the failure is resolved by the later success
    assert "Failed tasks (tries used up, not succeeded since): 0" in out


def test_a_stale_running_task_is_taken_back_only_once_its_worker_is_gone(
    database_queue, settings, pair
):
    a, _ = pair
    tasks.dispatch_changes()
    (task,) = user_tasks(a)
    long_ago = timezone.now() - timedelta(seconds=settings.TASKS_STALE_SECONDS + 5)
    DBTaskResult.objects.filter(pk=task.pk).update(
        status="RUNNING", started_at=long_ago, worker_ids=["dead"]
    )
    with connection.cursor() as cursor:
        # A live worker holds the task's lock: the task stays with it.
        cursor.execute(worker.LOCK_TASK_SQL, [str(task.id)])
        assert worker.reclaim_stale_tasks() == []
        cursor.execute(worker.UNLOCK_TASK_SQL, [str(task.id)])
    out, _ = status("--max-age", "3600")
    assert "Stale running tasks (worker gone, to be taken back): 1" in out

    assert worker.reclaim_stale_tasks() == [str(task.id)]
    task.refresh_from_db()
    assert task.status == "READY"
    assert task.exception_class_path == worker.WORKER_LOST
    assert task.run_after > timezone.now()
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())
    run_batch()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.worker_ids == ["dead", "w1"]
    assert marker(ChangeKind.USER, a.pk) is None


def test_a_recent_running_task_is_left_and_one_out_of_tries_fails(database_queue, settings, pair):
    a, b = pair
    tasks.dispatch_changes()
    (task_a,), (task_b,) = user_tasks(a), user_tasks(b)
    long_ago = timezone.now() - timedelta(seconds=settings.TASKS_STALE_SECONDS + 5)
    DBTaskResult.objects.filter(pk=task_a.pk).update(status="RUNNING", started_at=timezone.now())
    DBTaskResult.objects.filter(pk=task_b.pk).update(
        status="RUNNING", started_at=long_ago, worker_ids=["w"] * settings.TASKS_MAX_ATTEMPTS
    )
    assert worker.reclaim_stale_tasks() == [str(task_b.id)]
    task_a.refresh_from_db()
    task_b.refresh_from_db()
    assert (task_a.status, task_b.status) == ("RUNNING", "FAILED")


def test_pending_markers_without_a_live_task_are_swept(database_queue, titles):
    users = [UserFactory() for _ in range(3)]
    now = timezone.now()
    services.mark_pending([(ChangeKind.USER, user.pk, now) for user in users])
    # users[0]: its task was never written; users[1]: its task row is gone (pruned);
    # users[2]: its task is queued.
    ready = tasks.refresh_user_taste_task.enqueue(users[2].pk)
    services.set_marker_tasks(ChangeKind.USER, [users[1].pk, users[2].pk], [uuid.uuid4(), ready.id])
    out, err, message = stuck_status("--max-age", "0")
    assert "Pending refreshes without a task: 2" in out
    for user in users[:2]:
        assert f"STUCK: pending user {user.pk} has no task for" in err
    assert f"pending user {users[2].pk}" not in err

    swept = tasks.requeue_stranded()
    assert swept.users == sorted([users[0].pk, users[1].pk])
    for user in users[:2]:
        (task,) = user_tasks(user)
        assert marker(ChangeKind.USER, user.pk).task_id == task.id
    assert tasks.requeue_stranded().users == []
    run_batch()
    assert not PendingRefresh.objects.exists()
    out, _ = status()
    assert "Pending refreshes without a task: 0" in out


def test_dispatch_writes_markers_and_their_tasks_in_one_transaction(database_queue, pair):
    a, b = pair
    changes = TasteChange.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatched = tasks.dispatch_changes()
        assert dispatched.users == sorted([a.pk, b.pk])
        for user in (a, b):
            (task,) = user_tasks(user)
            assert marker(ChangeKind.USER, user.pk).task_id == task.id
        raise RuntimeError("the connection dies before the commit")
    # Nothing half-done: the log is intact, no marker, no task.
    assert TasteChange.objects.count() == changes
    assert not PendingRefresh.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_change_during_a_refresh_queues_exactly_one_more(database_queue, pair, titles):
    a, _ = pair
    tasks.dispatch_changes()
    (first,) = user_tasks(a)
    generation = services.refresh_generation(ChangeKind.USER, a.pk)
    # The refresh is running (its task is queued or running): a change queues nothing.
    rate(a, titles[20], 55)
    assert a.pk not in tasks.dispatch_changes().users
    assert len(user_tasks(a)) == 1
    # It finishes: the marker stays, with one more task.
    tasks.finish_refresh(ChangeKind.USER, a.pk, generation)
    first_again, second = user_tasks(a)
    assert first_again.pk == first.pk
    assert marker(ChangeKind.USER, a.pk).task_id == second.id
    # The next refresh covers everything.
    tasks.finish_refresh(ChangeKind.USER, a.pk, services.refresh_generation(ChangeKind.USER, a.pk))
    assert marker(ChangeKind.USER, a.pk) is None


def test_rebuild_clears_stuck_markers(database_queue, pair):
    tasks.dispatch_changes()
    DBTaskResult.objects.update(status="FAILED", finished_at=timezone.now())
    assert PendingRefresh.objects.exists()
    call_command("rebuild_taste", stdout=io.StringIO())
    assert not PendingRefresh.objects.exists()


def test_the_worker_survives_a_lost_connection_while_claiming(
    database_queue, pair, monkeypatch, caplog
):
    a, b = pair
    tasks.dispatch_changes()
    real = worker.ReliableWorker.claim_next
    lost = []

    def claim_next(self):
        if not lost:
            lost.append(True)
            raise OperationalError("terminating connection due to administrator command")
        return real(self)

    monkeypatch.setattr(worker.ReliableWorker, "claim_next", claim_next)
    monkeypatch.setattr(worker, "drop_connection", lambda: None)  # keep the test's connection
    monkeypatch.setattr(worker.time, "sleep", lambda seconds: None)
    run_batch()
    assert lost
    assert "Could not claim a task (database connection lost?)" in caplog.text
    assert {t.status for t in DBTaskResult.objects.all()} == {"SUCCESSFUL"}
    assert selectors.tci_between(a, b).common_count == 12


def test_upkeep_dispatches_every_tick_sweeps_and_prunes_on_schedule(database_queue, pair):
    clock = [0.0]
    pruned = []
    upkeep = worker.Upkeep(
        settle=0, sweep=30, clock=lambda: clock[0], prune=lambda: pruned.append(clock[0])
    )
    PendingRefresh.objects.create(
        kind=ChangeKind.TITLE, object_id=1, queued_at=timezone.now(), generation=1
    )
    upkeep.tick()
    assert not TasteChange.objects.exists()  # dispatched
    assert PendingRefresh.objects.get(kind=ChangeKind.TITLE, object_id=1).task_id  # swept
    assert pruned == [0.0]
    PendingRefresh.objects.filter(kind=ChangeKind.TITLE).update(task_id=None)
    for moment in (10.0, 29.0):
        clock[0] = moment
        upkeep.tick()
    assert PendingRefresh.objects.get(kind=ChangeKind.TITLE, object_id=1).task_id is None
    clock[0] = 30.0
    upkeep.tick()
    assert PendingRefresh.objects.get(kind=ChangeKind.TITLE, object_id=1).task_id
    clock[0] = 3599.0
    upkeep.tick()
    clock[0] = 3600.0
    upkeep.tick()
    assert pruned == [0.0, 3600.0]


def test_upkeep_rebuilds_after_each_period_of_uptime_never_at_start(database_queue):
    clock = [500.0]
    rebuilt = []
    upkeep = worker.Upkeep(
        settle=0,
        sweep=30,
        prune=lambda: None,
        clock=lambda: clock[0],
        rebuild_every=3600,
        rebuild_tables=lambda: rebuilt.append(clock[0]),
    )
    for moment in (500.0, 4099.0, 4100.0, 4200.0, 7700.0):
        clock[0] = moment
        upkeep.tick()
    assert rebuilt == [4100.0, 7700.0]
    never = worker.Upkeep(settle=0, sweep=30, prune=lambda: None, rebuild_tables=rebuilt.clear)
    never.tick()
    assert rebuilt == [4100.0, 7700.0]


def test_upkeep_logs_a_failure_and_goes_on(database_queue, monkeypatch, caplog):
    upkeep = worker.Upkeep(settle=0, sweep=30, prune=lambda: None)

    def lost(**kwargs):
        raise OperationalError("the database is restarting")

    monkeypatch.setattr(worker.tasks, "dispatch_changes", lost)
    monkeypatch.setattr(worker, "drop_connection", lambda: None)
    upkeep.tick()
    assert "Could not dispatch taste changes" in caplog.text
    assert "the database is restarting" in caplog.text


def test_pruning_deletes_finished_results_older_than_a_day(database_queue):
    now = timezone.now()
    rows = {}
    for name, state, finished in (
        ("old ok", "SUCCESSFUL", now - timedelta(days=2)),
        ("old failed", "FAILED", now - timedelta(days=2)),
        ("recent ok", "SUCCESSFUL", now - timedelta(hours=2)),
        ("waiting", "READY", None),
    ):
        result = tasks.refresh_title_similarity_task.enqueue(len(rows) + 1)
        DBTaskResult.objects.filter(pk=result.id).update(status=state, finished_at=finished)
        rows[name] = result.id
    worker.prune_task_results()
    kept = set(DBTaskResult.objects.values_list("id", flat=True))
    assert kept == {uuid.UUID(str(rows["recent ok"])), uuid.UUID(str(rows["waiting"]))}


def test_taste_status_reports_a_backlog_and_exits_non_zero_past_the_threshold(database_queue):
    out, _ = status()
    assert "Ready tasks: 0" in out and "OK: nothing waiting longer than 900s" in out

    old = timezone.now() - timedelta(minutes=20)
    TasteChange.objects.create(kind=ChangeKind.USER, object_id=1, changed_at=old)
    result = tasks.refresh_title_similarity_task.enqueue(7)
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=old)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("taste_status", stdout=out, stderr=err)
    assert "Ready tasks: 1, oldest waiting 1200s" in out.getvalue()
    assert "  taste.tasks.refresh_title_similarity_task: 1" in out.getvalue()
    assert "Unprocessed changes: 1 in the log, 0 refreshes pending" in out.getvalue()
    assert "STUCK: oldest unprocessed change is 1200s old" in err.getvalue()
    assert "STUCK: a ready task has waited 1200s" in err.getvalue()

    out, _ = status("--max-age", "1500")
    assert "OK: nothing waiting longer than 1500s" in out

"""The worker's reliability: django-tasks-db's worker loop made to survive lost
connections, failed tasks tried again with backoff, tasks of a dead worker taken back,
the periodic upkeep (dispatch, sweep, pruning) and the health report of
``manage.py taste_status``.

How a dead worker is told from a slow one: while a worker runs a task it holds a
session advisory lock keyed on the task's id, taken in the transaction that claims the
task. PostgreSQL drops the lock with the worker's connection, so a RUNNING task whose
lock nobody holds has lost its worker; after ``TASKS_STALE_SECONDS`` it is queued again
(or, after ``TASKS_MAX_ATTEMPTS`` runs, marked FAILED). A task whose worker is alive is
never taken from it, however long it runs.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max

from core import cache as section_cache
from taste import rebuild, tasks
from taste.models import PendingRefresh, TasteChange

logger = logging.getLogger("taste.worker")

# What a lost or restarting database raises; the worker logs it and goes on.
DATABASE_ERRORS = (OperationalError, InterfaceError)

TASKS = DBTaskResult._meta.db_table
PENDING = PendingRefresh._meta.db_table

# The advisory-lock key of a task: the first 64 bits of its UUID.
TASK_LOCK_KEY = "('x' || left(replace({id}::text, '-', ''), 16))::bit(64)::bigint"
LOCK_TASK_SQL = f"SELECT pg_advisory_lock({TASK_LOCK_KEY.format(id='%s')})"
UNLOCK_TASK_SQL = f"SELECT pg_advisory_unlock({TASK_LOCK_KEY.format(id='%s')})"
# Whether a worker holds the lock of task row ``t`` (pg_locks splits a bigint key into
# two 32-bit halves; advisory locks belong to one database). A read, so taste_status
# can ask without taking anything.
KEY_HALF = "('x' || substr(replace(t.id::text, '-', ''), {start}, 8))::bit(32)::bigint"
TASK_LOCK_HELD_SQL = f"""
EXISTS (SELECT 1 FROM pg_locks AS l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = {KEY_HALF.format(start=1)}
           AND l.objid::bigint = {KEY_HALF.format(start=9)})
"""
# RUNNING tasks that have lost their worker, locked (a second sweeper skips them).
STALE_RUNNING_SQL = f"""
SELECT t.id FROM {TASKS} AS t
 WHERE t.status = 'RUNNING' AND t.started_at < %s AND NOT {TASK_LOCK_HELD_SQL}
   FOR UPDATE OF t SKIP LOCKED
"""

WORKER_LOST = "taste.worker.WorkerLost"
MAX_RETRY_DELAY = 600.0
# Upkeep: finished task rows older than a day are deleted every hour.
PRUNE_EVERY = 3600.0
PRUNE_MIN_AGE_DAYS = 1
# Waits between attempts to reach a database that is not answering.
RECONNECT_DELAY = 1.0
MAX_RECONNECT_DELAY = 30.0


def drop_connection() -> None:
    """Close this thread's connection after a database error (the next query opens a
    new one)."""
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - the connection is already broken; nothing to save
        logger.debug("Closing a broken connection failed", exc_info=True)


def retry_delay(attempts: int) -> float:
    """Seconds before try ``attempts + 1``: TASKS_RETRY_DELAY_SECONDS, doubling."""
    return min(settings.TASKS_RETRY_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


@transaction.atomic
def retry_or_fail(task_id, *, reason: str | None = None) -> str | None:
    """After a task failed (or lost its worker, ``reason`` saying how): queue it again
    after a backoff while it has run fewer than TASKS_MAX_ATTEMPTS times, else leave it
    FAILED. Returns the task's new status (None when the row is gone)."""
    row = DBTaskResult.objects.select_for_update().filter(id=task_id).first()
    if row is None or row.status in ("READY", "SUCCESSFUL"):
        return row and row.status
    attempts = len(row.worker_ids)
    now = timezone.now()
    if reason is not None:
        row.exception_class_path, row.traceback = WORKER_LOST, reason
    if attempts < settings.TASKS_MAX_ATTEMPTS:
        delay = retry_delay(attempts)
        row.status, row.run_after, row.finished_at = "READY", now + timedelta(seconds=delay), None
        logger.warning(
            "Task %s (%s) failed on attempt %d of %d; trying again in %.0fs",
            row.id, row.task_path, attempts, settings.TASKS_MAX_ATTEMPTS, delay,
        )  # fmt: skip
    else:
        row.status, row.finished_at = "FAILED", now
        logger.error(
            "Task %s (%s) failed %d times; left FAILED (see taste_status)",
            row.id, row.task_path, attempts,
        )  # fmt: skip
    row.save(
        update_fields=["status", "run_after", "finished_at", "exception_class_path", "traceback"]
    )
    return row.status


@transaction.atomic
def reclaim_stale_tasks(now: datetime | None = None) -> list[str]:
    """Take back the RUNNING tasks whose worker is gone and that started more than
    TASKS_STALE_SECONDS ago: queued again with backoff, or FAILED once they have used
    their attempts. Returns their ids."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TASKS_STALE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(STALE_RUNNING_SQL, [cutoff])
        stale = [str(task_id) for (task_id,) in cursor.fetchall()]
    for task_id in stale:
        retry_or_fail(task_id, reason="The worker running this task stopped before it finished.")
    return stale


def prune_task_results() -> None:
    """Delete finished task rows older than a day (django-tasks-db's own command), keep
    one row per scope of the cached sections' generations (core.cache), then run the
    other apps' hourly clean-ups named in ``settings.WORKER_HOURLY_JOBS`` (named there,
    not imported here: they belong to apps above this one, e.g. old imports)."""
    call_command(
        "prune_db_task_results",
        "--queue-name=*",
        f"--min-age-days={PRUNE_MIN_AGE_DAYS}",
        verbosity=0,
    )
    section_cache.prune_generations()
    for job in settings.WORKER_HOURLY_JOBS:
        import_string(job)()


class ReliableWorker(Worker):
    """django-tasks-db's worker, with the claim and the task guarded against a lost
    connection, a lock held on each running task, and failed tasks tried again."""

    def ready_tasks(self):
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            ready = ready.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            ready = ready.exclude(queue_name__in=self.excluded_queue_names)
        return ready

    def claim_next(self) -> DBTaskResult | None:
        """Claim the next ready task and take its lock, in one transaction."""
        with transaction.atomic():
            task_result = self.ready_tasks().get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
                with connection.cursor() as cursor:
                    cursor.execute(LOCK_TASK_SQL, [str(task_result.id)])
        return task_result

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, self.queue_names)
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spreads workers started together
        wait = RECONNECT_DELAY
        while self.running:
            try:
                close_old_connections()
                task_result = self.claim_next()
            except DATABASE_ERRORS:
                logger.warning(
                    "Could not claim a task (database connection lost?); trying again in %.0fs",
                    wait,
                    exc_info=True,
                )
                drop_connection()
                time.sleep(wait)
                wait = min(wait * 2, MAX_RECONNECT_DELAY)
                continue
            wait = RECONNECT_DELAY
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch:
                logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran the maximum of %d tasks - exiting.", self._run_tasks)
                return
            if self.running and task_result is None:
                time.sleep(self.interval)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except DATABASE_ERRORS:
            # The task's outcome could not be written: the connection is gone (and with
            # it the task's lock). Try once on a new connection; if the database is still
            # away, the sweep takes the task back later.
            logger.warning("Lost the database connection running task %s", db_task_result.id)
            drop_connection()
            try:
                retry_or_fail(db_task_result.id, reason="The database connection was lost.")
            except DATABASE_ERRORS:
                drop_connection()
            return
        try:
            if db_task_result.status == "FAILED":
                retry_or_fail(db_task_result.id)
            with connection.cursor() as cursor:
                cursor.execute(UNLOCK_TASK_SQL, [str(db_task_result.id)])
        except DATABASE_ERRORS:
            logger.warning("Lost the database connection after task %s", db_task_result.id)
            drop_connection()


@dataclass
class Upkeep:
    """What the worker does besides tasks, on a timetable: dispatch the change log every
    ``poll`` seconds, sweep (take back tasks of dead workers, queue stranded refreshes)
    every ``sweep`` seconds, prune finished task rows every hour, and rebuild every taste
    table every ``rebuild_every`` seconds of uptime (0: never), which refits the taste
    factors that refreshes only fit one side at a time. ``tick`` does what is due; a
    failure is logged and tried again at the next tick."""

    settle: float
    sweep: float
    clock: Callable[[], float] = time.monotonic
    prune: Callable[[], None] = prune_task_results
    rebuild_every: float = 0.0
    rebuild_tables: Callable[[], object] = rebuild.rebuild
    next_sweep: float = 0.0
    next_prune: float = 0.0
    # Counted from the first tick, so that a worker restarting in a loop never rebuilds.
    next_rebuild: float | None = None

    def tick(self) -> None:
        now = self.clock()
        if self.next_rebuild is None:
            self.next_rebuild = now + self.rebuild_every
        if self.rebuild_every and now >= self.next_rebuild:
            self.next_rebuild = now + self.rebuild_every
            self._guarded("rebuild the taste tables", self.rebuild_tables)
        self._guarded("dispatch taste changes", self.dispatch)
        self._guarded("catch up with an import", self.catch_up)
        if now >= self.next_sweep:
            self.next_sweep = now + self.sweep
            self._guarded("sweep", self.sweep_once)
        if now >= self.next_prune:
            self.next_prune = now + PRUNE_EVERY
            self._guarded("prune task results", self.prune)

    def dispatch(self) -> None:
        dispatched = tasks.dispatch_changes(settle_seconds=self.settle)
        if dispatched.users or dispatched.titles:
            logger.info(
                "Queued taste refreshes: %d users, %d titles",
                len(dispatched.users),
                len(dispatched.titles),
            )

    def catch_up(self) -> None:
        counts = tasks.catch_up_bulk_backlog(tasks.bulk_rebuild_threshold(), self.rebuild_tables)
        if counts is not None:
            logger.info(
                "Rebuilt the taste tables for an import's backlog: %d queued refreshes covered",
                counts["refreshes_covered"],
            )

    def sweep_once(self) -> None:
        reclaimed = reclaim_stale_tasks()
        if reclaimed:
            logger.warning("Took back %d tasks whose worker stopped", len(reclaimed))
        requeued = tasks.requeue_stranded()
        if requeued.users or requeued.titles:
            logger.warning(
                "Queued stranded taste refreshes: %d users, %d titles",
                len(requeued.users),
                len(requeued.titles),
            )

    @staticmethod
    def _guarded(what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:
            # A lost connection or a restarting database must not stop the worker; what
            # was not done is still there at the next tick.
            logger.exception("Could not %s", what)
            drop_connection()
        finally:
            close_old_connections()


# The health report ------------------------------------------------------------------

# Failed tasks not followed by a success of the same task with the same arguments.
UNRESOLVED_FAILED_SQL = f"""
SELECT t.id, t.task_path, (t.args_kwargs -> 'args')::text, t.finished_at,
       t.exception_class_path
  FROM {TASKS} AS t
 WHERE t.status = 'FAILED'
   AND NOT EXISTS (SELECT 1 FROM {TASKS} AS later
                    WHERE later.task_path = t.task_path AND later.args_kwargs = t.args_kwargs
                      AND later.status = 'SUCCESSFUL' AND later.finished_at > t.finished_at)
 ORDER BY t.finished_at
"""
RUNNING_SQL = f"""
SELECT t.id, t.task_path, t.started_at, {TASK_LOCK_HELD_SQL} FROM {TASKS} AS t
 WHERE t.status = 'RUNNING' ORDER BY t.started_at
"""
# Pending refreshes no queued or running task will run.
STRANDED_MARKERS_SQL = f"""
SELECT m.kind, m.object_id, COALESCE(m.changed_at, m.queued_at), t.status
  FROM {PENDING} AS m LEFT JOIN {TASKS} AS t ON t.id = m.task_id
 WHERE t.id IS NULL OR t.status NOT IN ('READY', 'RUNNING')
 ORDER BY 3
"""


@dataclass
class Health:
    """The queue and the taste pipeline as ``taste_status`` reports them; ``problems``
    lists what is older than ``max_age`` (or failed for good)."""

    now: datetime
    max_age: timedelta
    ready: Counter = field(default_factory=Counter)
    oldest_ready: datetime | None = None
    retrying: int = 0
    running: list = field(default_factory=list)  # (id, path, started_at, worker alive)
    failed: list = field(default_factory=list)  # (id, path, args text, finished, exception)
    log_rows: int = 0
    oldest_log_change: datetime | None = None
    pending: int = 0
    oldest_pending_change: datetime | None = None
    stranded: list = field(default_factory=list)  # (kind, id, since, task status)

    def age(self, moment: datetime | None) -> timedelta:
        return self.now - moment if moment else timedelta(0)

    @property
    def oldest_change(self) -> datetime | None:
        moments = [m for m in (self.oldest_log_change, self.oldest_pending_change) if m]
        return min(moments) if moments else None

    @property
    def stale_running(self) -> list:
        """RUNNING tasks whose worker is gone, past TASKS_STALE_SECONDS."""
        cutoff = self.now - timedelta(seconds=settings.TASKS_STALE_SECONDS)
        return [r for r in self.running if not r[3] and r[2] < cutoff]

    @property
    def problems(self) -> list[str]:
        found = []
        limit = self.max_age
        if self.oldest_change and self.age(self.oldest_change) > limit:
            found.append(
                f"oldest unprocessed change is {seconds(self.age(self.oldest_change))} old"
            )
        if self.oldest_ready and self.age(self.oldest_ready) > limit:
            found.append(f"a ready task has waited {seconds(self.age(self.oldest_ready))}")
        for task_id, path, started_at, _ in self.running:
            if self.age(started_at) > limit:
                found.append(f"task {task_id} ({path}) RUNNING for {seconds(self.age(started_at))}")
        for kind, object_id, since, _ in self.stranded:
            if self.age(since) > limit:
                found.append(
                    f"pending {kind} {object_id} has no task for {seconds(self.age(since))}"
                )
        for task_id, path, _, _, exception in self.failed:
            found.append(f"task {task_id} ({path}) FAILED for good ({exception})")
        return found


def seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():.0f}s"


def pipeline_health(max_age: timedelta, now: datetime | None = None) -> Health:
    """Read the queue and the taste pipeline (a handful of queries, no writes)."""
    health = Health(now=now or timezone.now(), max_age=max_age)
    date_max = get_date_max()
    for path, run_after, enqueued_at in DBTaskResult.objects.filter(status="READY").values_list(
        "task_path", "run_after", "enqueued_at"
    ):
        if run_after != date_max and run_after > health.now:
            health.retrying += 1
            continue
        health.ready[path] += 1
        since = enqueued_at if run_after == date_max else max(enqueued_at, run_after)
        health.oldest_ready = min(filter(None, (health.oldest_ready, since)))
    with connection.cursor() as cursor:
        cursor.execute(RUNNING_SQL)
        health.running = [(str(i), p, s, held) for i, p, s, held in cursor.fetchall()]
        cursor.execute(UNRESOLVED_FAILED_SQL)
        health.failed = [(str(i), p, a, f, e) for i, p, a, f, e in cursor.fetchall()]
        cursor.execute(STRANDED_MARKERS_SQL)
        health.stranded = cursor.fetchall()
    log = TasteChange.objects.order_by("changed_at").values_list("changed_at", flat=True)
    health.log_rows = log.count()
    health.oldest_log_change = log.first()
    pending = PendingRefresh.objects.all()
    health.pending = pending.count()
    health.oldest_pending_change = (
        pending.order_by("changed_at").values_list("changed_at", flat=True).first()
    )
    return health

"""Background tasks (django-tasks; the database backend in production, run at once in
tests) and everything that queues them.

A refresh is owed while its pending marker exists (``PendingRefresh``): the marker is
written with the task that will run it, in one transaction, and removed only by a
refresh that read the ratings after every change the marker stands for. A refresh reads
the marker's generation before it reads the ratings; changes taken while it runs move
the generation, so at the end it keeps the marker and queues one more refresh. A task
that fails is retried by the worker (``taste.worker``), and the worker's sweep queues a
new task for any marker whose task is gone (``requeue_stranded``), so no failure can
leave an object without a refresh.

The tasks call ``taste.services``; services never queue anything themselves, so the
arrow points one way (tasks -> services).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from taste import rebuild, services
from taste.models import ChangeKind, TasteProfile

# Stored PSIs move when other people rate; a visit after this long queues a refresh.
RECOMMENDATIONS_MAX_AGE = timedelta(hours=6)
# Refreshes owed only to bulk writes (imports, datasets) run after every other task, so
# a new rating is refreshed before an import's backlog (the default priority is 0).
BULK_PRIORITY = -10


@task()
def refresh_user_taste_task(user_id: int) -> dict:
    """Recompute one user's TCIs and the PSIs of the titles they have not rated; nothing
    for an account deleted since the task was queued."""
    generation = services.refresh_generation(ChangeKind.USER, user_id)
    if not get_user_model().objects.filter(pk=user_id).exists():
        finish_refresh(ChangeKind.USER, user_id, generation)
        return {"user_id": user_id, "deleted": True}
    compatible, predicted = services.refresh_user_taste(user_id)
    finish_refresh(ChangeKind.USER, user_id, generation)
    return {"user_id": user_id, "compatible": compatible, "predicted": predicted}


@task()
def refresh_title_similarity_task(title_id: int) -> dict:
    """Recompute one title's similar titles."""
    generation = services.refresh_generation(ChangeKind.TITLE, title_id)
    similar = services.refresh_title_similarity(title_id)
    finish_refresh(ChangeKind.TITLE, title_id, generation)
    return {"title_id": title_id, "similar": similar}


@task()
def dispatch_changes_task() -> dict:
    """Queue refreshes for the rating changes logged so far."""
    dispatched = dispatch_changes()
    return {"users": len(dispatched.users), "titles": len(dispatched.titles)}


REFRESH_TASKS = {
    ChangeKind.USER: refresh_user_taste_task,
    ChangeKind.TITLE: refresh_title_similarity_task,
}


def finish_refresh(kind: str, object_id: int, generation: int | None) -> None:
    """Called by a refresh once written: remove its marker, or, when the object changed
    meanwhile, queue the one more refresh the marker now needs."""
    with transaction.atomic():
        if not services.finish_refresh(kind, object_id, generation):
            _queue(kind, [object_id])


def queues_in_database() -> bool:
    """True when tasks are rows of the same database (django-tasks-db): a task is then
    queued in the caller's transaction, with its marker, or not at all."""
    return isinstance(refresh_user_taste_task.get_backend(), DatabaseBackend)


def _queue(kind: str, object_ids: list[int], bulk: frozenset = frozenset()) -> None:
    """Queue a refresh task per object and record it on their markers; those in
    ``bulk`` ((kind, id) owed only to bulk writes) at BULK_PRIORITY. On the database
    queue the task rows are written in this transaction; another backend (the tests'
    immediate one, which runs the task at once) is called once the transaction commits,
    and the markers record a placeholder meanwhile."""
    refresh = REFRESH_TASKS[kind]
    behind = refresh.using(priority=BULK_PRIORITY)
    if queues_in_database():
        task_ids = [
            (behind if (kind, object_id) in bulk else refresh).enqueue(object_id).id
            for object_id in object_ids
        ]
    else:
        task_ids = [uuid.uuid4() for _ in object_ids]
        transaction.on_commit(lambda: [refresh.enqueue(object_id) for object_id in object_ids])
    services.set_marker_tasks(kind, object_ids, task_ids)


def _queue_stranded(
    marked: services.Marked | None, *, include_failed: bool, bulk: frozenset = frozenset()
) -> services.Marked:
    """Queue a task for every pending marker (of ``marked``, or all) that has none
    queued or running; returns those queued. Call inside a transaction."""
    stranded = services.stranded_refreshes(
        marked, rows_required=queues_in_database(), include_failed=include_failed
    )
    for kind in REFRESH_TASKS:
        object_ids = [o for k, o in stranded if k == kind]
        if object_ids:
            _queue(kind, object_ids, bulk)
    return stranded


def dispatch_changes(settle_seconds: float = 0.0, limit: int = 1000) -> services.Dispatched:
    """Turn logged rating changes into pending refreshes (``services.take_settled_changes``)
    and queue a task, in the same transaction, for each object with none queued or
    running already. Returns what was queued."""
    with transaction.atomic():
        taken = services.take_settled_changes(settle_seconds, limit)
        marked = [(ChangeKind.USER, o) for o in taken.users]
        marked += [(ChangeKind.TITLE, o) for o in taken.titles]
        # An object an import queued behind the backlog that now has a change of its own
        # (a member's new rating) moves to the normal priority.
        services.promote_queued_refreshes([m for m in marked if m not in taken.bulk])
        # A new change is worth another try even where the last task failed for good.
        queued = _queue_stranded(marked, include_failed=True, bulk=taken.bulk)
        dispatched = services.as_dispatched(queued)
        return services.Dispatched(
            dispatched.users, dispatched.titles, taken.bulk.intersection(queued)
        )


def requeue_stranded() -> services.Dispatched:
    """The worker's sweep: queue a task for every pending refresh that has none (its
    task was never written, was pruned, or finished without covering it). Markers whose
    task failed for good are left for ``taste_status`` to show (a new change, a visit to
    /recommendations/ or ``rebuild_taste`` tries again). Returns what was queued."""
    with transaction.atomic():
        return services.as_dispatched(_queue_stranded(None, include_failed=False))


def request_user_refresh(user_id: int) -> bool:
    """Mark a refresh of one user's taste pending and queue it unless a task is already
    queued or running for them; True if queued."""
    with transaction.atomic():
        services.mark_pending([(ChangeKind.USER, user_id, timezone.now())])
        return bool(_queue_stranded([(ChangeKind.USER, user_id)], include_failed=True))


def refresh_if_stale(user_id: int, profile: TasteProfile | None) -> bool:
    """Queue a refresh of the user's taste when it was never computed (``profile`` is
    None) or is older than RECOMMENDATIONS_MAX_AGE, or when a refresh pending for them
    has no task (one query when there is nothing to do); True if queued."""
    if profile is not None and profile.computed_at >= timezone.now() - RECOMMENDATIONS_MAX_AGE:
        with transaction.atomic():
            return bool(_queue_stranded([(ChangeKind.USER, user_id)], include_failed=True))
    return request_user_refresh(user_id)


# An import's backlog ------------------------------------------------------------------

# Refreshes queued behind the bulk backlog and not started; counted to decide, deleted
# once a rebuild has covered them (those queued before it began: their markers went
# with the rebuild; a marker written meanwhile whose task is deleted anyway is queued
# again by the sweep, ``requeue_stranded``).
_BULK_READY = """
  FROM {tasks} WHERE status = 'READY' AND priority = %(priority)s
   AND task_path = ANY(%(paths)s) {more}
"""
_TASKS = services.TASKS
BULK_BACKLOG_SQL = "SELECT count(*)" + _BULK_READY.format(tasks=_TASKS, more="")
DELETE_BULK_BACKLOG_SQL = "DELETE" + _BULK_READY.format(
    tasks=_TASKS, more="AND enqueued_at < %(before)s"
)


def _backlog_params() -> dict:
    return {
        "priority": BULK_PRIORITY,
        "paths": [task.module_path for task in REFRESH_TASKS.values()],
    }


def catch_up_bulk_backlog(threshold: int, rebuild_tables=rebuild.rebuild) -> dict | None:
    """When at least ``threshold`` refreshes owed to bulk writes wait (an import of many
    ratings queues one per member and per title: 30,000 for a million ratings), one
    set-based rebuild covers them all (minutes, where the single refreshes take hours),
    then their tasks are deleted. Refreshes of single ratings (priority 0) stay queued and
    keep running meanwhile on the worker's main loop. Returns the rebuild's counts, or
    None when the backlog is smaller (0: never)."""
    if threshold <= 0 or not queues_in_database():
        return None
    with connection.cursor() as cursor:
        cursor.execute(BULK_BACKLOG_SQL, _backlog_params())
        (waiting,) = cursor.fetchone()
    if waiting < threshold:
        return None
    started = timezone.now()
    counts = dict(rebuild_tables() or {})
    with connection.cursor() as cursor:
        cursor.execute(DELETE_BULK_BACKLOG_SQL, {**_backlog_params(), "before": started})
        counts["refreshes_covered"] = cursor.rowcount
    return counts


def bulk_rebuild_threshold() -> int:
    return settings.TASTE_BULK_REBUILD_AT

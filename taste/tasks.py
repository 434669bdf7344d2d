"""Background tasks (django-tasks; the database backend in production, run at once in
tests) and everything that queues them. Each refresh clears its pending marker before
reading the ratings, so changes made while it runs queue exactly one more refresh.

The tasks call ``taste.services``; services never queue anything themselves, so the
arrow points one way (tasks -> services).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from taste import services
from taste.models import ChangeKind, PendingRefresh, TasteProfile

# Stored PSIs move when other people rate; a visit after this long queues a refresh.
RECOMMENDATIONS_MAX_AGE = timedelta(hours=6)


@task()
def refresh_user_taste_task(user_id: int) -> dict:
    """Recompute one user's TCIs and the PSIs of the titles they have not rated."""
    start_refresh(ChangeKind.USER, user_id)
    compatible, predicted = services.refresh_user_taste(user_id)
    return {"user_id": user_id, "compatible": compatible, "predicted": predicted}


@task()
def refresh_title_similarity_task(title_id: int) -> dict:
    """Recompute one title's similar titles."""
    start_refresh(ChangeKind.TITLE, title_id)
    return {"title_id": title_id, "similar": services.refresh_title_similarity(title_id)}


@task()
def dispatch_changes_task() -> dict:
    """Queue refreshes for the rating changes logged so far."""
    dispatched = dispatch_changes()
    return {"users": len(dispatched.users), "titles": len(dispatched.titles)}


def start_refresh(kind: str, object_id: int) -> None:
    """Called by a refresh task before it reads: changes from now on queue a new one."""
    PendingRefresh.objects.filter(kind=kind, object_id=object_id).delete()


def _enqueue(dispatched: services.Dispatched) -> None:
    for user_id in dispatched.users:
        refresh_user_taste_task.enqueue(user_id)
    for title_id in dispatched.titles:
        refresh_title_similarity_task.enqueue(title_id)


def dispatch_changes(settle_seconds: float = 0.0, limit: int = 1000) -> services.Dispatched:
    """Turn logged rating changes into queued refreshes, one per user and per title
    (``services.take_settled_changes``), queued once the transaction commits so a task
    never runs before its pending marker is visible. Returns what was queued."""
    with transaction.atomic():
        dispatched = services.take_settled_changes(settle_seconds, limit)
        if dispatched.users or dispatched.titles:
            transaction.on_commit(lambda: _enqueue(dispatched))
    return dispatched


def request_user_refresh(user_id: int) -> bool:
    """Queue a refresh of one user's taste unless one is pending; True if queued."""
    with transaction.atomic():
        _, created = PendingRefresh.objects.get_or_create(
            kind=ChangeKind.USER, object_id=user_id, defaults={"queued_at": timezone.now()}
        )
        if created:
            transaction.on_commit(lambda: refresh_user_taste_task.enqueue(user_id))
    return created


def refresh_if_stale(user_id: int, profile: TasteProfile | None) -> bool:
    """Queue a refresh of the user's taste when it was never computed (``profile`` is
    None) or is older than RECOMMENDATIONS_MAX_AGE, unless one is pending; True if
    queued."""
    if profile is not None and profile.computed_at >= timezone.now() - RECOMMENDATIONS_MAX_AGE:
        return False
    return request_user_refresh(user_id)

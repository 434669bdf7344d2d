"""Background tasks (django-tasks; the database backend in production, run at once in
tests). Each refresh clears its pending marker before reading the ratings, so changes
made while it runs queue exactly one more refresh."""

from django_tasks import task

from taste import services
from taste.models import ChangeKind


@task()
def refresh_user_taste_task(user_id: int) -> dict:
    """Recompute one user's TCIs and the PSIs of the titles they have not rated."""
    services.start_refresh(ChangeKind.USER, user_id)
    compatible, predicted = services.refresh_user_taste(user_id)
    return {"user_id": user_id, "compatible": compatible, "predicted": predicted}


@task()
def refresh_title_similarity_task(title_id: int) -> dict:
    """Recompute one title's similar titles."""
    services.start_refresh(ChangeKind.TITLE, title_id)
    return {"title_id": title_id, "similar": services.refresh_title_similarity(title_id)}


@task()
def dispatch_changes_task() -> dict:
    """Queue refreshes for the rating changes logged so far."""
    dispatched = services.dispatch_changes()
    return {"users": len(dispatched.users), "titles": len(dispatched.titles)}

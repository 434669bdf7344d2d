"""Background jobs of accounts (django-tasks; the worker runs them, TASKS_IMMEDIATE=1
and the tests run them inside the request): reading an uploaded import and writing a
confirmed one. The web request only stores the file or flips the batch's status, and
queues the task in the same transaction, so a batch and its task exist together.

Tasks call ``accounts.services``; services never queue anything (tasks -> services).
"""

from django.db import transaction
from django_tasks import task

from accounts import services
from accounts.models import ImportBatch, User

# A member watches an import's progress bar; taste refreshes (priority 0) can wait.
IMPORT_PRIORITY = 10


@task(priority=IMPORT_PRIORITY)
def parse_import_task(batch_id: int) -> dict:
    """Parse and match an uploaded file (services.import_batch_parse)."""
    return services.import_batch_parse(batch_id)


@task(priority=IMPORT_PRIORITY)
def write_import_task(batch_id: int) -> dict:
    """Write a confirmed import in chunks (services.import_batch_write)."""
    return services.import_batch_write(batch_id)


def import_start(
    user: User, *, data: bytes, filename: str = "", plain_scale: str = "100"
) -> ImportBatch:
    """Store an uploaded file and queue its parsing. Raises what
    services.import_batch_store raises (a running import, an oversized file)."""
    with transaction.atomic():
        batch = services.import_batch_store(
            user, data=data, filename=filename, plain_scale=plain_scale
        )
        parse_import_task.enqueue(batch.pk)
    return batch


def import_confirm(batch: ImportBatch, *, replace_existing: bool = False) -> None:
    """Mark a pending import as confirmed and queue its writing. Raises what
    services.import_batch_start_apply raises."""
    with transaction.atomic():
        services.import_batch_start_apply(batch, replace_existing=replace_existing)
        write_import_task.enqueue(batch.pk)

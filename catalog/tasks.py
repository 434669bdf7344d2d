"""Background jobs of the catalog (django-tasks; the worker runs them, TASKS_IMMEDIATE=1
and the tests run them at once): drawing the demo's posters, so that ``seed_demo`` (and
``make run``'s first start) does not wait for 700 images. Pages show the drawn
placeholder of a title until its poster exists.

Tasks call ``catalog.services``; services never queue anything (tasks -> services).
"""

from django_tasks import task

from catalog import services

# A poster is decoration: imports (10) and taste refreshes (0) go first.
POSTER_PRIORITY = -10
# Titles per task: short tasks, so a refresh queued meanwhile waits seconds, not minutes.
POSTERS_PER_TASK = 40


@task(priority=POSTER_PRIORITY)
def draw_posters_task(title_ids: list[int]) -> int:
    """Draw the missing posters of these titles (services.draw_missing_posters)."""
    return services.draw_missing_posters(title_ids)


def queue_missing_posters(title_ids: list[int]) -> int:
    """Queue the drawing of these titles' missing posters, in short tasks; returns the
    number of tasks queued."""
    ids = sorted(title_ids)
    chunks = [ids[i : i + POSTERS_PER_TASK] for i in range(0, len(ids), POSTERS_PER_TASK)]
    for chunk in chunks:
        draw_posters_task.enqueue(chunk)
    return len(chunks)

"""Demo posters are drawn by the worker (catalog.tasks), not by seed_demo: queued in
short tasks after imports and taste refreshes, idempotent, and media is served from
MEDIA_ROOT as it is at request time."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from catalog import tasks
from catalog.models import Title
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings):
    # The worker's backend: tasks wait in the database instead of running at once.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_missing_posters_are_queued_in_short_low_priority_tasks(queued, monkeypatch):
    monkeypatch.setattr(tasks, "POSTERS_PER_TASK", 2)
    titles = [TitleFactory() for _ in range(5)]
    assert tasks.queue_missing_posters([t.pk for t in titles]) == 3
    rows = list(DBTaskResult.objects.order_by("enqueued_at", "id"))
    assert [row.args_kwargs["args"][0] for row in rows] == [
        [titles[0].pk, titles[1].pk],
        [titles[2].pk, titles[3].pk],
        [titles[4].pk],
    ]
    assert {row.priority for row in rows} == {tasks.POSTER_PRIORITY}
    assert tasks.POSTER_PRIORITY < 0  # after taste refreshes (0) and imports (10)
    # Nothing is drawn until the worker runs them.
    assert not Title.objects.exclude(poster="").exists()


def test_the_task_draws_each_missing_poster_once():
    uploaded, missing = TitleFactory(), TitleFactory(name="Interview")
    Title.objects.filter(pk=uploaded.pk).update(poster="posters/kept.jpg")
    assert tasks.draw_posters_task.call([uploaded.pk, missing.pk]) == 1
    missing.refresh_from_db()
    assert missing.poster and missing.poster_list and missing.poster_page
    assert Title.objects.get(pk=uploaded.pk).poster.name == "posters/kept.jpg"
    assert tasks.draw_posters_task.call([uploaded.pk, missing.pk]) == 0


def test_seed_demo_queues_posters_instead_of_drawing_them(queued):
    call_command("seed_demo", "--users", "12")
    titles = Title.objects.count()
    assert titles > 600
    assert not Title.objects.exclude(poster="").exists()
    queued_ids = [
        title_id
        for row in DBTaskResult.objects.filter(task_path="catalog.tasks.draw_posters_task")
        for title_id in row.args_kwargs["args"][0]
    ]
    assert sorted(queued_ids) == sorted(Title.objects.values_list("pk", flat=True))


def test_media_is_served_from_the_media_root_of_the_moment(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "elsewhere"
    (tmp_path / "elsewhere" / "posters").mkdir(parents=True)
    (tmp_path / "elsewhere" / "posters" / "x.txt").write_text("drawn here")
    response = client.get("/media/posters/x.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"drawn here"

"""Imports as background jobs: the upload request stores the file and queues a task,
the worker parses and writes with progress, one running import per member, old batches
removed. These tests use the real database queue (django_tasks_db) and run the tasks
by hand, as the worker would."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts import services, tasks
from accounts.models import ImportBatch
from ratings.models import Rating
from taste import worker
from tests.factories import TitleFactory
from tests.html import select_one

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(settings):
    """Tasks go to the database queue, as in production (tests run them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _plain(rows: int) -> str:
    return "title,year,score\n" + "".join(f"Film {n},2000,{n % 101}\n" for n in range(rows))


def _queued(task) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path))


def _run_queued():
    """Run every queued task once, in order, as the worker does."""
    for result in DBTaskResult.objects.order_by("enqueued_at"):
        task = {
            tasks.parse_import_task.module_path: tasks.parse_import_task,
            tasks.write_import_task.module_path: tasks.write_import_task,
        }[result.task_path]
        task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()


def test_the_upload_request_only_stores_the_file_whatever_its_size(client, member, queue, upload):
    counts = []
    for rows in (10, 100_000):
        with CaptureQueriesContext(connection) as queries:
            response = upload(f"plain-{rows}.csv", _plain(rows))
        counts.append(len(queries))
        batch = ImportBatch.objects.get(user=member, filename=f"plain-{rows}.csv")
        assert response.status_code == 302
        assert response["Location"] == batch.get_absolute_url()
        # Nothing parsed: no rows, no counts, the file kept for the worker.
        assert batch.status == ImportBatch.Status.PARSING
        assert batch.rows == [] and batch.counts == {}
        assert bytes(batch.upload_data).count(b"\n") == rows + 1
        # Let the next upload in (one running import per member).
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.CANCELLED)
    # Session, user, two savepoints (tasks.import_start and the service), member lock,
    # stale-import update, running check, batch insert, release, queued task, release,
    # status read: the same twelve for 10 rows and for 100,000.
    assert counts == [12, 12]
    assert len(_queued(tasks.parse_import_task)) == 2


def test_the_worker_parses_the_stored_file_and_the_preview_shows_it(client, member, queue, upload):
    TitleFactory(name="Film 3", year=2000)
    upload("plain.csv", _plain(10))
    batch = ImportBatch.objects.get(user=member)
    _run_queued()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING
    assert batch.counts == {"matched": 1, "ambiguous": 0, "unmatched": 9, "invalid": 0, "total": 10}
    assert batch.upload_data is None
    assert (batch.progress_done, batch.progress_total) == (10, 10)
    response = client.get(batch.get_absolute_url())
    assert select_one(response, "h1").text == "Check before importing"


def test_progress_page_polls_while_parsing_and_reloads_when_done(
    client, member, queue, upload, django_assert_num_queries
):
    upload("plain.csv", _plain(30))
    batch = ImportBatch.objects.get(user=member)
    ImportBatch.objects.filter(pk=batch.pk).update(progress_done=12, progress_total=30)
    response = client.get(batch.get_absolute_url())
    assert response.status_code == 200
    section = select_one(response, "section", id="import-progress")
    assert section.attrs["hx-trigger"] == "every 2s"
    assert section.attrs["hx-get"] == batch.get_absolute_url()
    assert select_one(response, "progress").attrs["value"] == "40"
    assert "Matched 12 of 30 lines" in section.text
    # Without JavaScript the page reloads itself.
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in response.text
    # The poll reads the batch's status and counters only: session, user, batch.
    with django_assert_num_queries(3):
        poll = client.get(
            batch.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "import-progress"}
        )
    assert "HX-Refresh" not in poll
    assert select_one(poll, "section").attrs["id"] == "import-progress"
    _run_queued()
    poll = client.get(
        batch.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "import-progress"}
    )
    assert poll["HX-Refresh"] == "true"
    assert select_one(client.get(batch.get_absolute_url()), "h1").text == "Check before importing"


def test_a_second_upload_while_one_runs_is_refused(client, member, queue, upload):
    upload("first.csv", _plain(5))
    response = upload("second.csv", _plain(5))
    assert response.status_code == 409
    assert "Another of your imports is still running" in response.text
    assert list(ImportBatch.objects.values_list("filename", flat=True)) == ["first.csv"]


def test_a_stale_running_import_no_longer_blocks_and_is_marked_failed(
    client, member, queue, upload
):
    upload("first.csv", _plain(5))
    ImportBatch.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert upload("second.csv", _plain(5)).status_code == 302
    first = ImportBatch.objects.get(filename="first.csv")
    assert first.status == ImportBatch.Status.FAILED
    assert first.upload_data is None
    assert "stopped before it finished" in client.get(first.get_absolute_url()).text


def test_confirming_queues_the_writing_which_the_worker_does_in_chunks(
    client, member, queue, upload, monkeypatch
):
    titles = [TitleFactory(name=f"Film {n}", year=2000) for n in range(7)]
    upload("plain.csv", _plain(7))
    _run_queued()
    batch = ImportBatch.objects.get(user=member)
    response = client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLYING
    assert not Rating.objects.exists()
    page = client.get(batch.get_absolute_url())
    assert select_one(page, "h1").text == "Importing"
    assert "Saved 0 of 7" in page.text
    monkeypatch.setattr(services, "WRITE_CHUNK", 3)
    progress = []
    real_save = services._save_step

    def save_step(batch, result, done):
        progress.append(done)
        return real_save(batch, result, done)

    monkeypatch.setattr(services, "_save_step", save_step)
    _run_queued()
    assert progress == [3, 6, 7]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.result["written"] == 7
    assert sorted(Rating.objects.values_list("title_id", "score")) == [
        (title.pk, n) for n, title in enumerate(titles)
    ]


class _Killed(BaseException):
    """The worker process dying (not an Exception: nothing catches it)."""


def test_writing_goes_on_after_the_last_chunk_when_the_worker_died(
    client, member, queue, upload, monkeypatch
):
    for n in range(7):
        TitleFactory(name=f"Film {n}", year=2000)
    upload("plain.csv", _plain(7))
    _run_queued()
    batch = ImportBatch.objects.get(user=member)
    tasks.import_confirm(batch)
    monkeypatch.setattr(services, "WRITE_CHUNK", 3)
    real_save = services._save_step
    calls = []

    def dies_on_second_chunk(batch, result, done):
        calls.append(done)
        if len(calls) == 2:
            raise _Killed
        return real_save(batch, result, done)

    monkeypatch.setattr(services, "_save_step", dies_on_second_chunk)
    with pytest.raises(_Killed):
        services.import_batch_write(batch.pk)
    assert Rating.objects.filter(user=member).count() == 3  # the first chunk committed
    monkeypatch.setattr(services, "_save_step", real_save)
    services.import_batch_write(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.result["written"] == 7
    assert Rating.objects.filter(user=member).count() == 7


def test_cancelling_while_parsing_stops_the_worker(client, member, queue, upload):
    upload("plain.csv", _plain(5))
    batch = ImportBatch.objects.get(user=member)
    response = client.post(reverse("accounts:import-cancel", kwargs={"pk": batch.pk}))
    assert response.status_code == 302
    _run_queued()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED
    assert batch.rows == [] and batch.upload_data is None


def test_old_batches_and_their_files_are_removed_after_a_day(member, queue):
    old = ImportBatch.objects.create(user=member, status="applied", upload_data=b"x")
    fresh = ImportBatch.objects.create(user=member, status="pending")
    ImportBatch.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    batch = tasks.import_start(member, data=_plain(3).encode(), filename="new.csv")
    assert ImportBatch.objects.count() == 3  # the upload only stores
    _run_queued()
    assert set(ImportBatch.objects.values_list("pk", flat=True)) == {fresh.pk, batch.pk}


def test_the_workers_hourly_clean_up_removes_old_batches_without_any_upload(member, queue):
    old = ImportBatch.objects.create(user=member, status="applied", upload_data=b"x")
    fresh = ImportBatch.objects.create(user=member, status="pending")
    ImportBatch.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    worker.prune_task_results()  # what Upkeep runs every hour
    assert list(ImportBatch.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_a_file_the_worker_cannot_read_says_why_on_its_page(client, member, queue, upload):
    upload("notes.csv", "what,is,this\n1,2,3\n")
    batch = ImportBatch.objects.get(user=member)
    _run_queued()
    response = client.get(batch.get_absolute_url())
    assert select_one(response, "h1").text == "This import stopped"
    assert "do not match a supported format" in select_one(response, "p", class_="row-problem").text
    assert "hx-trigger" not in select_one(response, "section", id="import-progress").attrs


def test_a_large_write_takes_at_most_ten_chunks(member, queue, monkeypatch):
    titles = [TitleFactory(name=f"Film {n}", year=2000) for n in range(25)]
    batch = tasks.import_start(member, data=_plain(25).encode(), filename="plain.csv")
    _run_queued()
    batch.refresh_from_db()
    tasks.import_confirm(batch)
    monkeypatch.setattr(services, "WRITE_CHUNK", 2)
    progress = []
    real_save = services._save_step
    monkeypatch.setattr(
        services, "_save_step", lambda *args: progress.append(args[2]) or real_save(*args)
    )
    _run_queued()
    # 25 ratings, chunks of at least 2, at most 10 chunks: chunks of 3.
    assert progress == [3, 6, 9, 12, 15, 18, 21, 24, 25]
    assert Rating.objects.filter(title__in=titles).count() == 25


def test_the_confirm_request_neither_reads_the_rows_nor_writes_ratings(
    client, member, queue, upload
):
    TitleFactory(name="Film 1", year=2000)
    upload("plain.csv", _plain(3))
    _run_queued()
    batch = ImportBatch.objects.get(user=member)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}))
    assert response.status_code == 302
    selects = [q["sql"] for q in queries.captured_queries if "accounts_importbatch" in q["sql"]]
    assert selects and not any('"accounts_importbatch"."rows"' in sql for sql in selects)
    assert not Rating.objects.exists()
    assert len(_queued(tasks.write_import_task)) == 1

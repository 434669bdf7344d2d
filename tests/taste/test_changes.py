"""Rating changes reach the taste tables: triggers log them, the worker's dispatch
turns a burst into one refresh per user, and refresh tasks run (at once in tests)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import default_task_backend

from ratings.services import RatingInput, rate, rate_many, unrate
from taste import selectors, services, tasks
from taste.models import ChangeKind, Compatibility, PendingRefresh, TasteChange, TasteProfile
from tests.factories import UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def logged(kind):
    return sorted(set(TasteChange.objects.filter(kind=kind).values_list("object_id", flat=True)))


def test_every_write_path_is_logged(titles):
    user = UserFactory()
    TasteChange.objects.all().delete()
    rate(user, titles[1], 40)
    assert logged(ChangeKind.USER) == [user.pk]
    assert logged(ChangeKind.TITLE) == [titles[1].pk]

    TasteChange.objects.all().delete()
    rate_many(user, [RatingInput(titles[i].pk, 10 * i) for i in range(2, 7)])
    assert logged(ChangeKind.USER) == [user.pk]
    assert logged(ChangeKind.TITLE) == sorted(titles[i].pk for i in range(2, 7))

    TasteChange.objects.all().delete()
    unrate(user, titles[3])
    assert logged(ChangeKind.USER) == [user.pk]
    assert logged(ChangeKind.TITLE) == [titles[3].pk]


def test_percentile_shifts_alone_do_not_mark_other_titles(titles):
    user = UserFactory()
    give(user, {titles[i]: 10 * i for i in range(1, 8)})
    TasteChange.objects.all().delete()
    rate(user, titles[8], 55)  # shifts the percentiles of T6, T7
    assert logged(ChangeKind.TITLE) == [titles[8].pk]


def test_a_burst_of_ratings_queues_one_refresh(
    titles, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY
    user = UserFactory()
    for i in range(1, 8):
        rate(user, titles[i], 10 * i)
    TasteChange.objects.filter(kind=ChangeKind.TITLE).delete()
    default_task_backend.clear()
    # Still changing within the settle time: nothing is taken yet.
    assert tasks.dispatch_changes(settle_seconds=60).users == []
    with django_capture_on_commit_callbacks(execute=True):
        dispatched = tasks.dispatch_changes(settle_seconds=0)
    assert dispatched.users == [user.pk]
    assert [r.args for r in default_task_backend.results] == [[user.pk]]
    assert TasteChange.objects.count() == 0

    # More changes while that refresh is still pending queue nothing more.
    rate(user, titles[9], 95)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.dispatch_changes()
    user_refreshes = [
        r for r in default_task_backend.results if r.task.name == "refresh_user_taste_task"
    ]
    assert len(user_refreshes) == 1
    assert PendingRefresh.objects.filter(kind=ChangeKind.USER, object_id=user.pk).exists()


def test_refresh_task_runs_and_a_change_during_it_queues_another(
    titles, django_capture_on_commit_callbacks
):
    a, b = UserFactory(), UserFactory()
    give(a, {titles[i]: 10 * i for i in range(1, 8)})
    give(b, {titles[i]: 10 * i + 1 for i in range(1, 8)})
    with django_capture_on_commit_callbacks(execute=True):
        dispatched = tasks.dispatch_changes()
    assert dispatched.users == sorted([a.pk, b.pk])
    # The immediate backend ran the refreshes: pairs, profiles, no pending marker left.
    assert selectors.tci_between(a, b).common_count == 7
    assert TasteProfile.objects.filter(user__in=[a, b]).count() == 2
    assert not PendingRefresh.objects.exists()

    rate(b, titles[1], 100)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_changes().users == [b.pk]
    assert selectors.tci_between(a, b).tci > 0


def test_request_user_refresh_does_not_queue_twice(settings, django_capture_on_commit_callbacks):
    settings.TASKS = DUMMY
    default_task_backend.clear()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.request_user_refresh(user.pk)
        assert not tasks.request_user_refresh(user.pk)
        # The refresh ran (it read the generation, then finished): nothing is pending.
        generation = services.refresh_generation(ChangeKind.USER, user.pk)
        tasks.finish_refresh(ChangeKind.USER, user.pk, generation)
        assert not PendingRefresh.objects.exists()
        assert tasks.request_user_refresh(user.pk)
    assert len(default_task_backend.results) == 2


def test_refresh_if_stale_queues_only_for_a_missing_or_old_profile(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY
    default_task_backend.clear()
    fresh, old, never = UserFactory(), UserFactory(), UserFactory()
    now = timezone.now()
    profiles = {
        user: TasteProfile.objects.create(
            user=user, ratings_count=0, compatible_count=0, computed_at=computed_at
        )
        for user, computed_at in (
            (fresh, now - tasks.RECOMMENDATIONS_MAX_AGE + timedelta(minutes=5)),
            (old, now - tasks.RECOMMENDATIONS_MAX_AGE - timedelta(minutes=5)),
        )
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert not tasks.refresh_if_stale(fresh.pk, profiles[fresh])
        assert tasks.refresh_if_stale(old.pk, profiles[old])
        assert tasks.refresh_if_stale(never.pk, None)
    assert sorted(r.args[0] for r in default_task_backend.results) == [old.pk, never.pk]


def test_rebuild_clears_the_log_and_recomputes_everything(trio):
    a, b, c, d, e = trio
    assert TasteChange.objects.exists()
    counts = services.rebuild_all()
    assert counts["pairs"] == Compatibility.objects.count() == 6
    assert not TasteChange.objects.filter(changed_at__lte=timezone.now()).exists()

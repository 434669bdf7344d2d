"""rebuild_taste, evaluate_psi and the worker command."""

import io

import pytest
from django.core.management import call_command

from ratings.services import rate
from taste import selectors
from taste.models import Compatibility, TasteChange, TasteProfile
from tests.factories import UserFactory
from tests.taste.conftest import give


@pytest.mark.django_db
def test_rebuild_taste_reports_what_it_computed(trio):
    out = io.StringIO()
    call_command("rebuild_taste", stdout=out)
    assert "Rebuilt taste for 5 users: 6 compatible pairs" in out.getvalue()
    assert Compatibility.objects.count() == 6


@pytest.mark.django_db
def test_evaluate_psi_prints_psi_and_baselines_and_a_last_summary_line(titles):
    for n in range(12):
        person = UserFactory(username=f"e{n}")
        give(person, {titles[i]: (7 * i + 5 * n * (n % 2)) % 101 for i in range(1, 25)})
    out = io.StringIO()
    call_command("evaluate_psi", "--folds", "3", "--seed", "4", stdout=out)
    text = out.getvalue()
    for name in ("PSI", "global mean", "title mean", "user mean", "user mean + title offset"):
        assert f"\n{name} " in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("psi rmse=") and " mae=" in last and " coverage=" in last


@pytest.mark.django_db
def test_evaluate_psi_refuses_bad_folds():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 2"):
        call_command("evaluate_psi", "--folds", "1")


@pytest.mark.django_db(transaction=True)
def test_worker_queues_and_runs_refreshes_on_the_database_queue(settings, titles):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    a, b = UserFactory(username="wa"), UserFactory(username="wb")
    give(a, {titles[i]: 10 * i for i in range(1, 8)})
    give(b, {titles[i]: 10 * i + 2 for i in range(1, 8)})
    rate(b, titles[9], 40)
    call_command(
        "run_worker", "--batch", "--settle", "0", "--no-startup-delay", "--no-reload",
        verbosity=0,
    )  # fmt: skip
    assert not TasteChange.objects.exists()
    assert TasteProfile.objects.filter(user__in=[a, b]).count() == 2
    assert selectors.tci_between(a, b).common_count == 7

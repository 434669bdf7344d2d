"""rebuild_taste, evaluate_psi and the worker command."""

import io
import re

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
    for name in (
        "PSI", "global mean", "title mean", "user mean", "user mean + title offset",
        "user KNN, mean-centred (k=40)", "PSI (rank key)", "most rated", "highest avg percentile",
    ):  # fmt: skip
        assert f"\n{name} " in text
    last = text.strip().splitlines()[-1]
    found = re.fullmatch(
        r"psi rmse=([\d.]+) mae=([\d.]+) coverage=([\d.]+) ndcg@10=([\d.]+) "
        r"popular_ndcg@10=([\d.]+)",
        last,
    )
    assert found, last
    rmse, mae, coverage, ndcg, popular = (float(g) for g in found.groups())
    assert 0 < mae <= rmse < 100 and coverage == 1.0  # everyone has 16+ training ratings
    assert 0 <= ndcg <= 1 and 0 <= popular <= 1
    psi_row = next(line for line in text.splitlines() if line.startswith("PSI "))
    assert psi_row.split()[1:3] == [f"{rmse:.3f}", f"{mae:.3f}"]


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

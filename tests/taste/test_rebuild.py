"""The set-based rebuild (taste.rebuild, ``manage.py rebuild_taste``) stores what the
per-user path stores, for the same ratings."""

import io

import numpy as np
import pytest
from django.core.management import call_command

from taste import engine, rebuild, services
from taste.models import (
    Compatibility,
    FallbackPosition,
    Prediction,
    TasteProfile,
    TitleSimilarity,
    TitleTaste,
)

TOLERANCE = 1e-7
# neighbours_count first (the cut is checked on it), then every stored term.
PREDICTION_FIELDS = ("neighbours_count", *services.PREDICTION_COLUMNS)


@pytest.fixture
def small_cuts(monkeypatch):
    """Best 3 neighbours and similar titles instead of 100, so the small set exercises
    the cut (more raters or similar titles qualify than are used)."""
    monkeypatch.setattr(engine, "NEIGHBOURS", 3)
    monkeypatch.setattr(engine, "SIMILAR_TITLES", 3)


def snapshot() -> dict:
    """Every stored taste number, keyed by its natural key."""
    return {
        "pairs": {
            (c.user_a_id, c.user_b_id): (c.tci, c.common_count, c.tci_shrunk, c.agreement)
            for c in Compatibility.objects.all()
        },
        "similar": {
            (s.title_id, s.similar_id): (s.score, s.mean_difference, s.common_count)
            for s in TitleSimilarity.objects.all()
        },
        "titles": {
            t.title_id: (t.offset, t.raters_count, *(t.factors or ()))
            for t in TitleTaste.objects.all()
        },
        "profiles": {
            p.user_id: (p.user_offset, p.ratings_count, p.compatible_count, *(p.factors or ()))
            for p in TasteProfile.objects.all()
        },
        "fallback": {
            (f.user_id, f.title_id): (f.position,) for f in FallbackPosition.objects.all()
        },
        "predictions": {
            (p.user_id, p.title_id): tuple(getattr(p, f) for f in PREDICTION_FIELDS)
            for p in Prediction.objects.all()
        },
    }


def assert_same(mine: dict, theirs: dict) -> None:
    for table in theirs:
        assert mine[table].keys() == theirs[table].keys(), table
        for key, values in theirs[table].items():
            assert np.allclose(mine[table][key], values, rtol=TOLERANCE, atol=TOLERANCE), (
                table,
                key,
                mine[table][key],
                values,
            )


def test_same_rows_as_the_per_user_path(star_ratings, small_cuts):
    services.rebuild_all()
    per_user = snapshot()
    rebuild.rebuild()
    mine = snapshot()
    assert_same(mine, per_user)
    # the data exercise every part: fallback positions, pairs with and without
    # agreement, similar titles, PSIs cut to the best 3 neighbours / similar titles
    assert len(mine["fallback"]) > 100
    assert any(values[3] == 0 for values in mine["pairs"].values())
    assert len(mine["similar"]) > 100
    counts = [values[0] for values in mine["predictions"].values()]
    assert max(counts) == 3 and min(counts) < 3


def test_stored_psis_match_a_refresh_of_one_user(star_ratings, small_cuts):
    """After the rebuild, the per-user refresh (SQL over the stored pairs, similar titles
    and offsets) recomputes the same PSIs for any user."""
    rebuild.rebuild()
    stored = snapshot()["predictions"]
    users = sorted({user for user, _ in stored})
    for user_id in users[:: max(1, len(users) // 6)]:
        services.refresh_user_predictions(user_id)
    assert_same({"predictions": snapshot()["predictions"]}, {"predictions": stored})


def test_idempotent(star_ratings):
    rebuild.rebuild()
    first = snapshot()
    counts = rebuild.rebuild()
    assert_same(snapshot(), first)
    assert counts["pairs"] == len(first["pairs"])
    assert counts["predictions"] == len(first["predictions"])


def test_keeps_the_best_psis_per_user(star_ratings, monkeypatch):
    rebuild.rebuild()
    everything = snapshot()["predictions"]
    monkeypatch.setattr(rebuild, "PREDICTIONS_KEEP", 5)
    rebuild.rebuild()
    kept = snapshot()["predictions"]
    for user_id in {user for user, _ in everything}:
        ranked = sorted(
            (values[-1], title) for (u, title), values in everything.items() if u == user_id
        )
        best = {title for _, title in ranked[-5:]}
        assert {title for (u, title) in kept if u == user_id} == best


def test_progress_lines(star_ratings):
    out = io.StringIO()
    call_command("rebuild_taste", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("read 1,005 ratings of 42 users, 60 titles")
    for phase in ("user pairs", "similar titles", "predictions"):
        steps = [line for line in lines if f"] {phase} " in line]
        assert steps[-1].split("] ", 1)[1].startswith(f"{phase:<16} [{'#' * 20}] 100%"), steps
    assert "Rebuilt taste for 42 users" in lines[-1]


def test_empty_database(db):
    out = io.StringIO()
    call_command("rebuild_taste", stdout=out)
    assert "read 0 ratings of 0 users, 0 titles" in out.getvalue()
    assert not Compatibility.objects.exists()
    assert not Prediction.objects.exists()

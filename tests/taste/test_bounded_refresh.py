"""A member's refresh is bounded: pairs are summed over each title's sample of raters
(``engine.sample_slot``, at most about ``TASTE_PAIR_RATERS_PER_TITLE`` per title), the
same sample in the per-user SQL and in the set-based rebuild; each member keeps the
rebuild's best pairs; stored PSIs are updated in place, the best 200 kept."""

from collections import defaultdict

import pytest
from django.db import connection

from taste import engine, rebuild, services
from taste.models import Compatibility, Prediction
from tests.taste.test_rebuild import assert_same, snapshot

pytestmark = pytest.mark.django_db

CAP = 8


def sampled_titles() -> dict[int, set[int]]:
    """{user: titles whose sample they are in}, from the positions (engine's formula)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, title_id FROM taste_position")
        rows = cursor.fetchall()
    raters: dict[int, int] = defaultdict(int)
    for _, title in rows:
        raters[title] += 1
    sampled = defaultdict(set)
    for user, title in rows:
        if raters[title] <= CAP or engine.sample_slot(user, title, raters[title]) < CAP:
            sampled[user].add(title)
    return sampled


def test_pairs_are_summed_over_each_titles_sample(star_ratings, settings):
    settings.TASTE_PAIR_RATERS_PER_TITLE = CAP
    rebuild.rebuild()
    expected = snapshot()
    sampled = sampled_titles()
    assert expected["pairs"]
    for (a, b), (_, common, _, _) in expected["pairs"].items():
        assert common == len(sampled[a] & sampled[b]), (a, b)
    # the cap binds: without it, pairs share more titles
    settings.TASTE_PAIR_RATERS_PER_TITLE = 10_000
    rebuild.rebuild()
    uncapped = snapshot()["pairs"]
    assert sum(v[1] for v in uncapped.values()) > 2 * sum(v[1] for v in expected["pairs"].values())

    # The per-user refresh of every member, from damaged pairs, stores the same.
    settings.TASTE_PAIR_RATERS_PER_TITLE = CAP
    rebuild.rebuild()
    Compatibility.objects.all().delete()
    for user_id in sorted(expected["profiles"]):
        services.refresh_user_taste(user_id)
    assert_same(snapshot(), expected)


def test_each_member_keeps_the_rebuilds_best_pairs(star_ratings, monkeypatch):
    """With room for 3 neighbours and 3 soulmates, the refreshes store exactly the pairs
    the rebuild keeps (a pair among either member's best), ties to the lower id."""
    monkeypatch.setattr(services, "NEIGHBOURS_KEEP", 3)
    monkeypatch.setattr(services, "SOULMATES_KEEP", 3)
    monkeypatch.setattr(rebuild, "NEIGHBOURS_KEEP", 3)
    monkeypatch.setattr(rebuild, "SOULMATES_KEEP", 3)
    rebuild.rebuild()
    expected = snapshot()
    everyone = len(expected["profiles"])
    assert 0 < len(expected["pairs"]) < everyone * (everyone - 1) / 4
    Compatibility.objects.all().delete()
    Prediction.objects.all().delete()
    for user_id in sorted(expected["profiles"], reverse=True):
        services.refresh_user_taste(user_id)
    assert_same({"pairs": snapshot()["pairs"]}, {"pairs": expected["pairs"]})
    # A member's count of stored pairs is the one of their last refresh (refreshes of
    # others, starting from no pairs at all, dropped some since): one more pass agrees.
    for user_id in sorted(expected["profiles"], reverse=True):
        services.refresh_user_taste(user_id)
    assert_same(snapshot(), expected)


def test_stored_psis_are_updated_in_place(star_ratings, monkeypatch):
    """A refresh rewrites only the PSIs whose numbers moved, deletes the vanished ones and
    keeps the PREDICTIONS_KEEP best by rank_key."""
    rebuild.rebuild()
    user_id = Prediction.objects.values_list("user_id", flat=True).order_by("user_id").first()

    def mine():
        return list(Prediction.objects.filter(user_id=user_id))

    services.refresh_user_predictions(user_id)  # (the rebuild's numbers differ in rounding)
    before = {p.title_id: (p.pk, p.computed_at) for p in mine()}
    services.refresh_user_predictions(user_id)
    assert {p.title_id: (p.pk, p.computed_at) for p in mine()} == before  # nothing moved

    monkeypatch.setattr(services, "PREDICTIONS_KEEP", 5)
    ranked = sorted(mine(), key=lambda p: (-p.rank_key, p.title_id))
    Prediction.objects.filter(user_id=user_id, title_id=ranked[0].title_id).update(score=-1)
    services.refresh_user_predictions(user_id)
    kept = {p.title_id: p for p in mine()}
    assert set(kept) == {p.title_id for p in ranked[:5]}
    assert kept[ranked[0].title_id].score == ranked[0].score  # the damaged one rewritten
    assert kept[ranked[1].title_id].computed_at == ranked[1].computed_at  # others untouched
    assert kept[ranked[1].title_id].pk == ranked[1].pk

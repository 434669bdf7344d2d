"""TCI: stored per pair, computed in SQL, checked against hand-worked cases."""

import numpy as np
import pytest

from ratings.models import Rating
from ratings.services import rate, unrate
from taste import model, selectors, services
from taste.models import Compatibility
from tests.factories import TitleFactory, UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db


def pairs() -> dict:
    return {
        (row.user_a.username, row.user_b.username): (row.tci, row.common_count)
        for row in Compatibility.objects.select_related("user_a", "user_b")
    }


def test_tci_is_mean_absolute_percentile_difference_by_hand(trio):
    a, b, c, d, e = trio
    for user in trio:
        services.refresh_user_compatibility(user.pk)
    found = pairs()
    # |10-90| + |30-70| + 0 + |70-30| + |90-10| = 240 over 5 titles
    assert found[("a", "b")] == (pytest.approx(48.0), 5)
    # |10-16| + |30-16| + |50-41| + |70-58| + |90-75| = 56 over 5 (C's tie at 16)
    assert found[("a", "c")] == (pytest.approx(11.2), 5)
    # |90-16| + |70-16| + |50-41| + |30-58| + |10-75| = 230 over 5
    assert found[("b", "c")] == (pytest.approx(46.0), 5)
    assert len(found) == 6  # and D with each of them, below


def test_users_without_percentiles_are_compared_through_positions(trio):
    a, b, c, d, e = trio
    assert Rating.objects.filter(user=d, percentile__isnull=True).count() == 5
    services.rebuild_all()
    found = pairs()
    # D's positions 30, 80, 30, 80, 30 against A's 10, 30, 50, 70, 90: 20+50+20+10+60
    assert found[("a", "d")] == (pytest.approx(32.0), 5)
    # against B's 90, 70, 50, 30, 10: 60+10+20+50+20
    assert found[("b", "d")] == (pytest.approx(32.0), 5)
    # against C's 16, 16, 41, 58, 75: 14+64+11+22+45
    assert found[("c", "d")] == (pytest.approx(31.2), 5)


def test_one_repeated_score_or_no_title_in_common_gives_no_tci(trio, titles):
    a, b, c, d, e = trio
    same = UserFactory(username="same")
    give(same, {titles[i]: 70 for i in range(1, 7)})
    services.rebuild_all()
    names = {name for pair in pairs() for name in pair}
    assert "same" not in names and "e" not in names
    assert selectors.tci_between(a, same) is None
    assert selectors.tci_between(a, e) is None


def test_pair_needs_more_titles_in_common_as_both_rate_more(titles):
    heavy = UserFactory(username="heavy")
    other = UserFactory(username="other")
    extra = [TitleFactory() for _ in range(37)]
    give(heavy, {titles[i]: i * 2 for i in range(1, 41)})  # 40 ratings
    give(other, {titles[38]: 5, titles[39]: 50, titles[40]: 70, extra[0]: 80, extra[1]: 90})
    services.refresh_user_compatibility(other.pk)
    # other has 5 ratings: min_common(40, 5) = 3, and they share T38..T40.
    assert selectors.tci_between(heavy, other).common_count == 3

    give(other, {title: 10 + i for i, title in enumerate(extra[2:])})  # 40 ratings now
    services.refresh_user_compatibility(other.pk)
    assert selectors.tci_between(heavy, other) is None  # min_common(40, 40) = 4 > 3

    rate(other, titles[37], 33)  # a fourth title in common
    services.refresh_user_compatibility(heavy.pk)
    assert selectors.tci_between(heavy, other).common_count == 4


def test_pair_disappears_when_it_no_longer_qualifies(trio, titles):
    a, b, c, d, e = trio
    services.refresh_user_compatibility(a.pk)
    assert selectors.tci_between(a, c) is not None
    for title in titles[3:6]:
        unrate(c, title)  # C keeps T1, T2, T6: shares 2 titles with A
    services.refresh_user_compatibility(c.pk)
    assert selectors.tci_between(a, c) is None


def test_refresh_of_one_user_matches_the_full_rebuild(trio, titles):
    a, b, c, d, e = trio
    rate(e, titles[1], 99)
    rate(e, titles[2], 1)
    rate(e, titles[3], 45)
    services.rebuild_all()
    rebuilt = pairs()
    Compatibility.objects.all().delete()
    for user in trio:
        services.refresh_user_compatibility(user.pk)
    assert pairs() == rebuilt
    assert ("a", "e") in rebuilt


def test_sql_tci_equals_the_numpy_tci_used_by_evaluate_psi(titles):
    rng = np.random.default_rng(7)
    users = [UserFactory() for _ in range(8)]
    for user in users:
        chosen = rng.choice(np.arange(1, 41), size=int(rng.integers(8, 30)), replace=False)
        give(user, {titles[int(i)]: int(rng.integers(0, 101)) for i in chosen})
    services.rebuild_all()
    rows = np.array(list(Rating.objects.values_list("user_id", "title_id", "score")))
    user_ids, u = np.unique(rows[:, 0], return_inverse=True)
    _, t = np.unique(rows[:, 1], return_inverse=True)
    pct = model.positions(u, rows[:, 2].astype(float), 5)
    stored = dict(Rating.objects.values_list("id", "percentile"))
    assert sorted(stored.values(), key=lambda p: -1 if p is None else p) == sorted(
        [None if np.isnan(p) else int(p) for p in pct], key=lambda p: -1 if p is None else p
    )
    positions = np.where(np.isnan(pct), model.positions(u, rows[:, 2].astype(float)), pct)
    diff, common = model.pair_sums(u, t, positions, len(user_ids))
    counts = np.bincount(u)
    for row in Compatibility.objects.all():
        i, j = np.searchsorted(user_ids, [row.user_a_id, row.user_b_id])
        assert common[i, j] == row.common_count
        assert diff[i, j] / common[i, j] == pytest.approx(row.tci)
    expected = sum(
        1
        for i in range(len(user_ids))
        for j in range(i + 1, len(user_ids))
        if common[i, j] >= max(3, min(20, min(counts[i], counts[j]) // 10)) and common[i, j]
    )
    assert Compatibility.objects.count() == expected


def test_tci_explanation_lists_shared_titles_with_both_percentiles(trio):
    a, b, c, d, e = trio
    services.refresh_user_compatibility(a.pk)
    explanation = selectors.tci_explanation(a, c)
    assert explanation.common == 5
    assert explanation.difference_sum == 56
    assert explanation.tci == pytest.approx(11.2)
    assert [(s.my_percentile, s.their_percentile, s.difference) for s in explanation.shared] == [
        (10, 16, 6),
        (50, 41, 9),
        (70, 58, 12),
        (30, 16, 14),
        (90, 75, 15),
    ]
    with_thumbs = selectors.tci_explanation(a, d)
    assert with_thumbs.common == 5 and with_thumbs.shared_without_positions == 0
    assert with_thumbs.my_percentiles and not with_thumbs.their_percentiles
    assert with_thumbs.tci == pytest.approx(32.0)


def test_soulmates_are_ordered_by_tci(trio):
    a, b, c, d, e = trio
    services.rebuild_all()
    mates = selectors.user_soulmates(c)
    assert [(m.user.username, round(m.tci, 1)) for m in mates] == [
        ("a", 11.2),
        ("d", 31.2),
        ("b", 46.0),
    ]

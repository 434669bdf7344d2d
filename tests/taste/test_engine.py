"""The arithmetic of TCI and PSI on small cases worked out by hand."""

import numpy as np
import pytest

from taste import engine, model
from taste.engine import Scale


def test_min_common_is_three_then_grows_by_one_per_ten_ratings_of_the_lighter_rater():
    assert engine.min_common(5, 5) == 3
    assert engine.min_common(39, 500) == 3
    assert engine.min_common(40, 500) == 4
    assert engine.min_common(500, 75) == 7
    assert engine.min_common(190, 210) == 19
    assert engine.min_common(5000, 9000) == 20


def test_percentiles_follow_the_design_rule_with_ties():
    # 60 twice: below 0, equal 2 -> floor(100 * 1 / 6) = 16 for both.
    assert engine.percentiles([60, 60, 70, 80, 90, 100]) == [16, 16, 41, 58, 75, 91]
    assert engine.percentiles([10, 20, 30, 40, 50]) == [10, 30, 50, 70, 90]


def test_fewer_than_five_distinct_scores_have_no_percentiles():
    assert engine.percentiles([0, 100, 0, 100, 50, 50]) == [None] * 6


def test_positions_match_the_per_user_rule_for_every_user_with_two_scores():
    users = np.array([0, 0, 0, 0, 1, 1, 1])
    scores = np.array([60.0, 60, 70, 80, 5, 5, 5])
    # User 0: 60 twice -> floor(100 * 1 / 4) = 25, 70 -> 62, 80 -> 87; user 1: one score.
    assert model.positions(users, scores)[:4].tolist() == [25, 25, 62, 87]
    assert np.isnan(model.positions(users, scores)[4:]).all()


# The continuous mapping back to your scale ------------------------------------------


def test_scale_of_two_distinct_scores_by_hand():
    # 40 x3 and 80 x7: 40 sits at floor(100 * 1.5 / 10) = 15, 80 at floor(100 * 6.5 / 10) = 65.
    scale = Scale.of([40, 40, 40, 80, 80, 80, 80, 80, 80, 80])
    assert scale.percentiles == (15, 65) and scale.scores == (40, 80)
    assert scale.line(10) == 40  # flat below the first point
    assert scale.line(15) == 40
    assert scale.line(40) == pytest.approx(60)  # 40 + (40 - 15) / (65 - 15) * (80 - 40)
    assert scale.line(65) == 80
    assert scale.line(90) == 80  # flat above the last point
    # Smoothed: 1/4 L(40 - 25) + 1/2 L(40) + 1/4 L(40 + 25) = 10 + 30 + 20 = 60.
    assert scale.smooth(40) == pytest.approx(60)
    # Near the top the smoothing keeps the PSI below a sure 80: 1/4 L(45) + 3/4 x 80 = 76.
    assert scale.smooth(70) == pytest.approx(0.25 * 64 + 0.75 * 80)
    assert scale.segment(40) == (0, 1) and scale.segment(90) == (1, 1)


def test_scale_of_star_like_scores_and_of_a_single_score():
    # 1..5 stars on 0-100 given 1, 2, 3, 3, 4 times (n = 13).
    scores = [0] + [25] * 2 + [50] * 3 + [75] * 3 + [100] * 4
    scale = Scale.of(scores)
    # below + equal/2: 0.5, 2, 4.5, 7.5, 11 of 13 -> floor(100 x .../13).
    assert scale.percentiles == (3, 15, 34, 57, 84)
    assert scale.line(45.5) == pytest.approx(50 + (45.5 - 34) / (57 - 34) * 25)
    assert Scale.of([70] * 12).smooth(10) == 70  # one score: always that score


# Offsets, shrinkage ------------------------------------------------------------------


def test_offsets_by_hand_for_one_round():
    users = np.array([0, 0, 1, 1])
    titles = np.array([0, 1, 0, 1])
    pos = np.array([75.0, 25, 75, 25])
    b_u, b_t = model.offsets(users, titles, pos, 2, 2, rounds=1)
    # b_t = sum (p - 49.5) / (n_t + 2): title 0 (25.5 x 2) / 4, title 1 (-24.5 x 2) / 4.
    assert b_t.tolist() == pytest.approx([12.75, -12.25])
    # b_u = sum (p - 49.5 - b_t) / (n_u + 2) = (12.75 - 12.25) / 4.
    assert b_u.tolist() == pytest.approx([0.125, 0.125])


def test_title_offset_is_shrunk_towards_zero_when_few_rated_it():
    # One rater at 99 moves the title 2/3 of the way: 49.5 / (1 + 2); ten raters 10/12.
    one = model.offsets(np.array([0]), np.array([0]), np.array([99.0]), 1, 1, rounds=1)[1]
    ten = model.offsets(np.arange(10), np.zeros(10, int), np.full(10, 99.0), 10, 1, rounds=1)[1]
    assert one[0] == pytest.approx(16.5)
    assert ten[0] == pytest.approx(41.25)


def test_shrunk_tci_ranks_thirty_shared_titles_at_8_before_three_at_5():
    three = engine.shrunk_tci(5, 3)  # (3 x 5 + 3 x 33.3) / 6 = 19.17
    thirty = engine.shrunk_tci(8, 30)  # (30 x 8 + 3 x 33.3) / 33 = 10.30
    assert three == pytest.approx((15 + 100) / 6)
    assert thirty == pytest.approx((240 + 100) / 33)
    assert thirty < three
    assert engine.shrunk_tci(20, 0) == pytest.approx(100 / 3)  # nothing shared: unrelated


def test_agreement_is_the_residual_correlation_shrunk_by_titles_in_common():
    # r_u = (10, -10, 5), r_v = (8, -6, 0): rho = 140 / sqrt(225 * 100) = 0.9333.
    assert engine.agreement(140, 225, 100, 3) == pytest.approx(140 / 150 * 3 / 103)
    assert engine.agreement(-140, 225, 100, 3) == 0  # opposite tastes: not a neighbour
    R = np.array([[10.0, -10, 5], [8, -6, 0]])
    w, c = model.agreement(R, np.ones_like(R))
    assert w[0, 1] == pytest.approx(140 / 150 * 3 / 103) and w[0, 0] == 0 and c[0, 1] == 3


# One prediction ----------------------------------------------------------------------


def _neighbour(user_id, agreement, position, their_offset=0.0, title_offset=4.0, common=20):
    return engine.neighbour(user_id, agreement, common, position, their_offset, title_offset)


def test_prediction_terms_by_hand_add_up_to_q():
    scale = Scale.of(list(range(10, 101, 10)))  # points (5, 10), (15, 20) ... (95, 100)
    neighbours = [_neighbour(1, 0.2, 80, their_offset=-2), _neighbour(2, 0.1, 40)]
    similar = [engine.similar_rated(9, 0.05, 70, its_offset=1.0, user_offset=3.0)]
    p = engine.predict(3.0, 4.0, neighbours, similar, scale)
    # Residuals: 80 - 49.5 + 2 - 4 = 28.5; 40 - 49.5 - 4 = -13.5; mine 70 - 49.5 - 3 - 1 = 16.5.
    assert [n.residual for n in p.neighbours] == pytest.approx([28.5, -13.5])
    a_user = (0.2 * 28.5 - 0.1 * 13.5) / (0.3 + 1)
    a_title = 0.05 * 16.5 / (0.05 + 3)
    assert p.neighbour_adjustment == pytest.approx(a_user)  # 3.35
    assert p.similar_adjustment == pytest.approx(a_title)
    q = 49.5 + 3 + 4 + a_user + a_title
    assert p.percentile == pytest.approx(q)
    assert p.percentile == pytest.approx(
        49.5 + p.user_offset + p.title_offset + p.neighbour_adjustment + p.similar_adjustment
    )
    assert p.factor_adjustment == 0  # no taste factors fitted yet: the term is 0
    # Spread around the neighbours' weighted mean m = (0.2 x 28.5 - 0.1 x 13.5) / 0.3 = 14.5:
    # sqrt((0.2 (28.5 - m)^2 + 0.1 (-13.5 - m)^2 + 0.3 x 25^2) / (0.3 + 0.3)).
    assert p.neighbour_mean == pytest.approx(14.5)
    spread = ((0.2 * 14**2 + 0.1 * 28**2 + 187.5) / 0.6) ** 0.5
    assert p.spread == pytest.approx(spread)
    support = 0.3 / (0.3 + 0.5)
    assert p.support == pytest.approx(support)
    assert p.rank_key == pytest.approx(q - 30 * spread * (1 - support))
    # On this scale L(q) = q + 5 between 5 and 95.
    assert p.score == pytest.approx(0.25 * (q - 20) + 0.5 * (q + 5) + 0.25 * min(100, q + 30))
    assert (p.low, p.high) == pytest.approx((q - spread + 5, min(100, q + spread + 5)))


def test_taste_factors_add_their_product_and_leave_the_rest_to_the_adjustments():
    scale = Scale.of(list(range(10, 101, 10)))
    title = (2.0, 1.0, 0.0, 0.0)
    mine = (0.5, 0.0, 0.0, 1.0)
    rater = engine.neighbour(1, 0.2, 20, 80, -2.0, 4.0, (1.0, 2.0, 0.0, 0.0), title)
    alike = engine.similar_rated(9, 0.05, 70, 1.0, 3.0, (1.0, 0.0, 0.0, 1.0), mine)
    p = engine.predict(3.0, 4.0, [rater], [alike], scale, user_factors=mine, title_factors=title)
    # F = 0.5 x 2 = 1; the rater's factors . the title's = 2 + 2 = 4, so their residual is
    # 80 - 49.5 + 2 - 4 - 4 = 24.5; mine on the similar title: 70 - 49.5 - 3 - 1 - 1.5 = 15.
    assert p.factor_adjustment == pytest.approx(1.0)
    assert p.neighbours[0].factor == pytest.approx(4.0)
    assert p.neighbours[0].residual == pytest.approx(24.5)
    assert p.similar[0].residual == pytest.approx(15.0)
    a_user, a_title = 0.2 * 24.5 / (0.2 + 1), 0.05 * 15 / (0.05 + 3)
    assert p.percentile == pytest.approx(49.5 + 3 + 4 + 1 + a_user + a_title)
    # Missing or mismatched factors count as none.
    assert engine.factor_product(None, title) == 0 == engine.factor_product((1.0,), title)


def test_neighbours_are_the_largest_agreements_and_support_counts_them_all():
    candidates = [_neighbour(i, 0.001 * (i % 7) + 0.0001, 60) for i in range(1, 150)]
    p = engine.predict(0, 0, candidates, [], Scale.of([0, 100]))
    assert len(p.neighbours) == engine.NEIGHBOURS
    agreements = [n.agreement for n in p.neighbours]
    assert agreements == sorted(agreements, reverse=True)
    assert p.support_weight == pytest.approx(sum(c.agreement for c in candidates))


def test_a_title_on_one_weak_neighbour_ranks_below_one_on_twenty():
    scale = Scale.of(list(range(0, 101, 5)))
    one = engine.predict(0, 0, [_neighbour(1, 0.1, 95)], [], scale)
    twenty = engine.predict(0, 0, [_neighbour(i, 0.15, 80) for i in range(20)], [], scale)
    assert one.neighbour_adjustment > 0 and twenty.neighbour_adjustment > 0
    assert one.rank_key < twenty.rank_key
    assert one.high - one.low > twenty.high - twenty.low


def test_prediction_is_kept_within_0_and_99():
    p = engine.predict(40, 30, [_neighbour(i, 0.5, 99) for i in range(10)], [], Scale.of([0, 100]))
    assert p.percentile == 99 and p.clamped and p.unclipped > 99


def test_rounded_psi_rounds_halves_up():
    assert engine.rounded(72.5) == 73
    assert engine.rounded(72.49) == 72

"""The arithmetic of TCI and PSI on small cases worked out by hand."""

import pytest

from taste import engine
from taste.engine import Candidate


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


def test_score_at_percentile_inverts_the_percentile_rule_and_interpolates():
    scores = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    # The k-th lowest (from 0) sits at percentile 100 * (k + 0.5) / 10.
    assert engine.score_at_percentile(scores, 5) == 10
    assert engine.score_at_percentile(scores, 95) == 100
    # 50th percentile: position 50 * 10 / 100 - 0.5 = 4.5, halfway between 50 and 60.
    assert engine.score_at_percentile(scores, 50) == pytest.approx(55)
    # Outside the first and last points the extreme scores are kept.
    assert engine.score_at_percentile(scores, 0) == 10
    assert engine.score_at_percentile(scores, 99) == 100


def test_score_at_percentile_of_repeated_scores_stays_on_them():
    assert engine.score_at_percentile([70, 70, 70, 70], 12.5) == 70
    assert engine.score_at_percentile([40, 80], 50) == pytest.approx(60)


def test_weight_falls_with_tci_and_grows_with_titles_in_common():
    # (30 - 10)^2 * 15 / (15 + 5) = 400 * 0.75
    assert engine.weight(10, 15) == pytest.approx(300)
    assert engine.weight(10, 95) == pytest.approx(400 * 95 / 100)
    assert engine.weight(30, 50) == 0
    assert engine.weight(45, 50) == 0


def test_title_offset_is_shrunk_towards_zero_for_few_raters():
    # Two raters at 90 and 70: (160 - 49.5 * 2) / (2 + 5) = 61 / 7
    assert engine.title_offset(160, 2) == pytest.approx(61 / 7)
    assert engine.title_offset(0, 0) == 0


def test_prediction_by_hand_with_two_neighbours():
    candidates = [Candidate(7, 10.0, 15, 90), Candidate(3, 20.0, 5, 40)]
    prediction = engine.predict_percentile(candidates, percentile_sum=300, percentile_count=5)
    offset = (300 - 49.5 * 5) / (5 + 5)  # 5.25
    base = 49.5 + offset  # 54.75
    w1 = (30 - 10) ** 2 * 15 / 20  # 300
    w2 = (30 - 20) ** 2 * 5 / 10  # 50
    adjustment = (w1 * (90 - base) + w2 * (40 - base)) / (w1 + w2 + 50)
    assert prediction.title_offset == pytest.approx(5.25)
    assert prediction.base == pytest.approx(54.75)
    assert prediction.weight_sum == pytest.approx(350)
    assert prediction.adjustment == pytest.approx(adjustment)
    assert prediction.percentile == pytest.approx(54.75 + (300 * 35.25 - 50 * 14.75) / 400)
    assert [n.user_id for n in prediction.neighbours] == [7, 3]


def test_no_candidate_with_positive_weight_gives_no_prediction():
    assert engine.predict_percentile([], 100, 2) is None
    assert engine.predict_percentile([Candidate(1, 31.0, 40, 80)], 100, 2) is None


def test_neighbours_are_the_lowest_tcis_with_ties_broken_by_common_then_id():
    candidates = [
        Candidate(user_id=i, tci=5.0 + (i % 3), common=10 + (i % 2), percentile=50)
        for i in range(1, 40)
    ]
    chosen = engine.choose_neighbours(candidates)
    assert len(chosen) == engine.NEIGHBOURS
    keys = [(c.tci, -c.common, c.user_id) for c in chosen]
    assert keys == sorted(keys)
    assert chosen[0].tci == 5.0 and chosen[0].common == 11  # i = 3: tci 5, common 11


def test_prediction_lies_between_the_usual_place_and_the_neighbours():
    high = engine.predict_percentile(
        [Candidate(i, 0.0, 200, 99) for i in range(20)], percentile_sum=99 * 50, percentile_count=50
    )
    low = engine.predict_percentile(
        [Candidate(i, 0.0, 200, 0) for i in range(20)], percentile_sum=0, percentile_count=50
    )
    assert high.base < high.percentile < 99 and not high.clamped
    assert 0 < low.percentile < low.base and not low.clamped


def test_rounded_psi_rounds_halves_up():
    assert engine.rounded(72.5) == 73
    assert engine.rounded(72.49) == 72

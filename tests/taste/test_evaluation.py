"""The ranking metrics of evaluate_psi on a tiny hand-made set, and soulmates' order."""

import math

import numpy as np
import pytest
from django.utils import timezone

from ratings.models import Rating
from taste import evaluation, model, selectors, services
from taste.models import Compatibility, Prediction
from tests.factories import UserFactory
from tests.taste.conftest import give


def test_ndcg_and_precision_at_10_by_hand():
    # Two users, five titles; each rated title 0 in training (so it is never ranked).
    fold = evaluation.Fold(
        2, 5, np.array([0, 1]), np.array([0, 0]), np.array([50.0, 50.0]), np.array([50.0, 50.0])
    )
    keys = np.array([[9, 5, 1, 4, 3], [9, 1, 2, 3, 5.0]])
    # User 0: relevant titles 2 and 4; order t1, t3, t4, t2 -> hits at ranks 3 and 4.
    # User 1: relevant title 4; order t4, t3, t2, t1 -> hit at rank 1.
    ndcg_sum, precision_sum, users = evaluation.ranking_metrics(
        fold, keys, np.array([0, 0, 1]), np.array([2, 4, 4])
    )
    user0 = (1 / math.log2(4) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))  # 0.5707
    assert users == 2
    assert ndcg_sum == pytest.approx(user0 + 1.0)
    assert precision_sum == pytest.approx(2 / 10 + 1 / 10)
    # One ranking for everyone (a titles vector) is broadcast to every user.
    same = evaluation.ranking_metrics(
        fold, np.array([9, 1, 2, 3, 5.0]), np.array([0]), np.array([2])
    )
    assert same == pytest.approx((1 / math.log2(4) / 1, 0.1, 1))


def test_errors_count_coverage_and_skip_missing_predictions():
    errors = evaluation.Errors("x")
    errors.add(np.array([10.0, np.nan, 40.0]), np.array([20.0, 0.0, 40.0]))
    assert errors.rmse == pytest.approx(math.sqrt(100 / 2))
    assert errors.mae == pytest.approx(5)
    assert errors.coverage == pytest.approx(2 / 3)


@pytest.mark.django_db
def test_soulmates_rank_thirty_shared_titles_at_8_before_three_at_5():
    me, few, many = UserFactory(), UserFactory(), UserFactory()
    now = timezone.now()
    for other, tci, common in ((few, 5.0, 3), (many, 8.0, 30)):
        a, b = sorted((me, other), key=lambda user: user.pk)
        Compatibility.objects.create(
            user_a=a,
            user_b=b,
            tci=tci,
            common_count=common,
            tci_shrunk=(common * tci + 100) / (common + 3),
            computed_at=now,
        )
    mates = selectors.user_soulmates(me)
    assert [m.user for m in mates] == [many, few]
    assert [round(m.tci_shrunk, 2) for m in mates] == [10.30, 19.17]


@pytest.mark.django_db
def test_evaluation_predicts_exactly_what_the_site_stores(titles):
    """evaluate_psi's numpy path (taste.model over all ratings) and the site's path (SQL
    terms + engine.predict, after rebuild_all) give the same q, range and rank key."""
    rng = np.random.default_rng(7)
    people = [UserFactory(username=f"m{n}") for n in range(12)]
    taste = rng.normal(size=(12, 2)) @ rng.normal(size=(2, 30))
    for n, person in enumerate(people):
        rated = rng.choice(np.arange(1, 31), size=int(rng.integers(12, 24)), replace=False)
        scores = {titles[i]: int(np.clip(50 + 15 * taste[n, i - 1], 0, 100)) for i in rated}
        scores[titles[int(rated[0])]] = 0  # everyone uses both ends of the scale
        scores[titles[int(rated[1])]] = 100
        give(person, scores)
    services.rebuild_all()

    rows = np.array(list(Rating.objects.values_list("user_id", "title_id", "score")))
    user_ids, u = np.unique(rows[:, 0], return_inverse=True)
    title_ids, t = np.unique(rows[:, 1], return_inverse=True)
    scores = rows[:, 2].astype(float)
    fold = evaluation.build(
        evaluation.Fold(len(user_ids), len(title_ids), u, t, scores, model.positions(u, scores))
    )
    stored = list(Prediction.objects.all())
    assert len(stored) > 100
    pu = np.searchsorted(user_ids, [p.user_id for p in stored])
    pt = np.searchsorted(title_ids, [p.title_id for p in stored])
    q, spread, support, key = evaluation.percentiles_for(fold, pu, pt)
    psi, low, high = evaluation.predict_scores(fold, pu, pt)
    assert [p.percentile for p in stored] == pytest.approx(q.tolist())
    assert [p.spread for p in stored] == pytest.approx(spread.tolist())
    assert [p.support for p in stored] == pytest.approx(support.tolist())
    assert [p.rank_key for p in stored] == pytest.approx(key.tolist())
    assert [p.score for p in stored] == pytest.approx(psi.tolist())
    assert [p.low for p in stored] == pytest.approx(low.tolist())
    assert [p.high for p in stored] == pytest.approx(high.tolist())
    assert any(p.similar_adjustment != 0 for p in stored)
    assert any(p.neighbour_adjustment != 0 for p in stored)

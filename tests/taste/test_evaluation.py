"""The ranking metrics of evaluate_psi on a tiny hand-made set, and soulmates' order."""

import math

import numpy as np
import pytest
from django.utils import timezone

from taste import evaluation, selectors
from taste.models import Compatibility
from tests.factories import UserFactory


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

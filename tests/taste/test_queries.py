"""The shared PSI reads (``taste.queries``): own scores and neighbour candidates."""

import pytest

from taste import queries, services
from tests.factories import UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db


def test_own_scores_count_distinct_and_sort(titles, django_assert_num_queries):
    user = UserFactory()
    give(user, {titles[1]: 70, titles[2]: 10, titles[3]: 70, titles[4]: 40})
    with django_assert_num_queries(1):
        own = queries.own_scores(user.pk)
    assert own == queries.OwnScores(4, 3, [10, 40, 70, 70])
    assert not own.can_predict  # fewer than 10 ratings
    assert queries.own_scores(UserFactory().pk) == queries.OwnScores(0, 0, [])


def test_candidates_are_compatible_raters_of_the_title_best_first(trio, titles):
    a, b, c, d, e = trio
    services.rebuild_all()
    found = queries.candidates_by_title(a.pk, [titles[6].pk, titles[7].pk])
    # Only C rated T6, and C is close to A (under the cutoff); nobody compatible rated T7.
    assert [candidate.user_id for candidate in found[titles[6].pk]] == [c.pk]
    assert titles[7].pk not in found
    # T1 is rated by everyone; B (opposite taste) is over the cutoff and left out.
    everyone = queries.candidates_by_title(a.pk, [titles[1].pk])[titles[1].pk]
    assert everyone and b.pk not in [candidate.user_id for candidate in everyone]
    assert [cand.tci for cand in everyone] == sorted(cand.tci for cand in everyone)

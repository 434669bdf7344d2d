"""The shared PSI reads (``taste.queries``): own scores and neighbour candidates."""

import pytest
from django.utils import timezone

from taste import queries, services
from taste.models import TasteProfile, TitleTaste
from tests.factories import UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db


def test_own_scores_count_distinct_sort_and_read_the_offset(titles, django_assert_num_queries):
    user = UserFactory()
    give(user, {titles[1]: 70, titles[2]: 10, titles[3]: 70, titles[4]: 40})
    with django_assert_num_queries(1):
        own = queries.own_scores(user.pk)
    assert own == queries.OwnScores(4, 3, [10, 40, 70, 70], None)
    assert not own.can_predict  # fewer than 10 ratings
    TasteProfile.objects.create(user=user, user_offset=-3.5, computed_at=timezone.now())
    assert queries.own_scores(user.pk).user_offset == -3.5
    assert queries.own_scores(UserFactory().pk) == queries.OwnScores(0, 0, [], None)


def test_terms_are_the_raters_who_agree_best_first_and_the_title_offset(trio, titles):
    a, b, c, d, e = trio
    services.rebuild_all()
    found = queries.psi_terms(a.pk, [titles[6].pk, titles[7].pk, titles[1].pk, titles[12].pk])
    # Only C rated T6; C agrees with A.
    assert [row[0] for row in found[titles[6].pk].neighbours] == [c.pk]
    assert found[titles[6].pk].title_offset == TitleTaste.objects.get(title=titles[6]).offset
    # Only E rated T7, and E shares no title with A: an offset, no neighbour.
    assert found[titles[7].pk].neighbours == [] and found[titles[7].pk].raters_count == 1
    # Nobody rated T12: no terms at all.
    assert titles[12].pk not in found
    # T1 is rated by everyone; B (opposite taste) has no agreement and is left out.
    everyone = found[titles[1].pk].neighbours
    assert everyone and b.pk not in [row[0] for row in everyone]
    agreements = [row[1] for row in everyone]
    assert agreements == sorted(agreements, reverse=True) and min(agreements) > 0
    assert found[titles[1].pk].support_weight == pytest.approx(sum(agreements))

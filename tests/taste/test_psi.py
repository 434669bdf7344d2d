"""PSI: a hand-worked prediction end to end, the "?" reasons, shown PSIs and accuracy."""

import pytest

from ratings.services import rate
from taste import selectors, services
from taste.models import Prediction, ShownPrediction
from tests.factories import UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(titles):
    """U rated T1..T10 (10..100); V rated the same alike plus X = 100; W the opposite
    plus X = 10. X is T20, unrated by U.

    U's percentiles: 5, 15, ..., 95.
    V (11 ratings, 100 twice): T1..T10 -> 4, 13, 22, 31, 40, 50, 59, 68, 77, 90; X -> 90.
    W (11 ratings, 10 twice): T1..T10 -> 95, 86, 77, 68, 59, 50, 40, 31, 22, 9; X -> 9.
    TCI(U, V) = (1+2+3+4+5+5+6+7+8+5) / 10 = 4.6; TCI(U, W) = 483 / 10 = 48.3.
    """
    u, v, w = UserFactory(username="u"), UserFactory(username="v"), UserFactory(username="w")
    t, x = titles, titles[20]
    give(u, {t[i]: 10 * i for i in range(1, 11)})
    give(v, {**{t[i]: 10 * i for i in range(1, 11)}, x: 100})
    give(w, {**{t[i]: 110 - 10 * i for i in range(1, 11)}, x: 10})
    services.rebuild_all()
    x.refresh_from_db()
    return u, v, w, x


def test_psi_by_hand(scene):
    u, v, w, x = scene
    assert selectors.tci_between(u, v).tci == pytest.approx(4.6)
    assert selectors.tci_between(u, w).tci == pytest.approx(48.3)
    psi = selectors.probable_score(u, x)
    assert psi.ok
    # Title offset: (90 + 9 - 49.5 * 2) / (2 + 5) = 0, so the usual place is 49.5.
    assert psi.prediction.title_offset == pytest.approx(0)
    # Only V counts (W's TCI is over the cutoff): weight (30 - 4.6)^2 * 10 / (10 + 5).
    weight = (30 - 4.6) ** 2 * 10 / 15
    assert [n.user_id for n in psi.prediction.neighbours] == [v.pk]
    assert psi.prediction.neighbours[0].weight == pytest.approx(weight)
    percentile = 49.5 + weight * (90 - 49.5) / (weight + 50)
    assert psi.prediction.percentile == pytest.approx(percentile)  # 85.78
    # U's scores 10..100: position 85.78 * 10 / 100 - 0.5 = 8.08, between 90 and 100.
    position = percentile * 10 / 100 - 0.5
    assert psi.score == pytest.approx(90 + 10 * (position - 8))
    assert psi.rounded == 91


def test_stored_prediction_for_recommendations_matches_the_live_one(scene):
    u, v, w, x = scene
    stored = Prediction.objects.get(user=u, title=x)
    live = selectors.probable_score(u, x)
    assert stored.score == pytest.approx(live.score)
    assert stored.neighbours_count == 1
    assert list(selectors.recommendations(u).values_list("title", flat=True)) == [x.pk]


def test_psi_follows_the_users_own_habit(scene, titles):
    u, v, w, x = scene
    harsh = UserFactory(username="harsh")
    give(harsh, {titles[i]: 2 * i for i in range(1, 11)})  # same order as U, scores 2..20
    services.refresh_user_compatibility(harsh.pk)
    psi = selectors.probable_score(harsh, x)
    assert psi.ok
    assert psi.prediction.percentile == pytest.approx(
        selectors.probable_score(u, x).prediction.percentile
    )
    assert 18 <= psi.score <= 20  # the same place among harsh's own, lower, scores


def test_psi_reasons_when_there_is_none(scene, titles, django_user_model):
    u, v, w, x = scene
    from django.contrib.auth.models import AnonymousUser

    assert selectors.probable_score(AnonymousUser(), x).status == selectors.SIGNED_OUT

    newcomer = UserFactory(username="newcomer")
    give(newcomer, {titles[i]: 10 * i for i in range(1, 5)})
    few = selectors.probable_score(newcomer, x)
    assert few.status == selectors.FEW_RATINGS
    assert "Rate 6 more titles" in few.reason

    thumbs = UserFactory(username="thumbs")
    give(thumbs, {titles[i]: 70 for i in range(1, 13)})
    same = selectors.probable_score(thumbs, x)
    assert same.status == selectors.NO_PERCENTILES
    assert "All your ratings have the same score" in same.reason

    lonely = UserFactory(username="lonely")
    give(lonely, {titles[i]: 2 * i for i in range(25, 36)})
    assert selectors.probable_score(lonely, x).status == selectors.NOT_COMPUTED
    services.refresh_user_taste(lonely.pk)
    nobody = selectors.probable_score(lonely, x)
    assert nobody.status == selectors.NO_NEIGHBOURS
    assert "None of the people who rated this title" in nobody.reason
    assert selectors.probable_score(u, titles[39]).status == selectors.NO_NEIGHBOURS


def test_psi_explanation_shows_neighbours_and_the_interpolation(scene):
    u, v, w, x = scene
    explanation = selectors.psi_explanation(u, x)
    assert [n.user.username for n in explanation.neighbours] == ["v"]
    assert explanation.low_index == 8 and explanation.high_index == 9
    assert (explanation.low_score, explanation.high_score) == (90, 100)
    assert explanation.title_mean == pytest.approx(49.5)


def test_many_titles_at_once_agree_with_one_at_a_time(scene, titles):
    u, v, w, x = scene
    psis = selectors.probable_scores(u, [x, titles[39], titles[1]])
    assert psis[x.pk].score == pytest.approx(selectors.probable_score(u, x).score)
    assert psis[titles[39].pk].status == selectors.NO_NEIGHBOURS


def test_shown_psi_is_kept_after_rating_and_feeds_accuracy(scene):
    u, v, w, x = scene
    psi = selectors.probable_score(u, x)
    services.record_shown_prediction(u, x, psi.score, psi.prediction.percentile)
    services.record_shown_prediction(u, x, psi.score, psi.prediction.percentile)
    assert ShownPrediction.objects.get(user=u, title=x).rounded == 91
    assert selectors.prediction_accuracy(u).count == 0  # not rated yet

    rate(u, x, 85)
    accuracy = selectors.prediction_accuracy(u)
    assert accuracy.count == 1
    assert accuracy.mean_difference == pytest.approx(6)  # |91 - 85|
    assert accuracy.within_5 == 0 and accuracy.within_10 == 1

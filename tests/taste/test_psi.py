"""PSI: a hand-worked prediction end to end, the "?" reasons, shown PSIs and accuracy."""

import numpy as np
import pytest
from django.db import connection

from ratings.services import rate
from taste import engine, model, selectors, services
from taste.models import Prediction, ShownPrediction, TasteProfile, TitleTaste
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


def _offset(user):
    return TasteProfile.objects.get(user=user).user_offset


def test_rebuild_stores_the_models_offsets_and_agreements(scene, titles):
    u, v, w, x = scene
    # The same three users' positions through taste.model (users u, v, w = 0, 1, 2;
    # titles T1..T10 = 0..9, X = 10).
    ids = [u, v, w]
    pos = {
        0: [5, 15, 25, 35, 45, 55, 65, 75, 85, 95],
        1: [4, 13, 22, 31, 40, 50, 59, 68, 77, 90, 90],
    }
    pos[2] = [95, 86, 77, 68, 59, 50, 40, 31, 22, 9, 9]
    users = np.array([k for k in range(3) for _ in pos[k]])
    tidx = np.array([t for k in range(3) for t in range(len(pos[k]))])
    places = np.array([p for k in range(3) for p in pos[k]], dtype=float)
    b_u, b_t = model.offsets(users, tidx, places, 3, 11)
    assert [_offset(x_) for x_ in ids] == pytest.approx(b_u.tolist())
    assert TitleTaste.objects.get(title=x).offset == pytest.approx(b_t[10])
    assert TitleTaste.objects.get(title=x).raters_count == 2
    R, mask = model.residual_matrix(
        users, tidx, model.residuals(users, tidx, places, b_u, b_t), 3, 11
    )
    agreement, _ = model.agreement(R, mask)
    assert selectors.tci_between(u, v).tci == pytest.approx(4.6)
    assert selectors.tci_between(u, w).tci == pytest.approx(48.3)
    assert selectors.tci_between(u, v).tci_shrunk == pytest.approx((46 + 100) / 13)
    assert selectors.tci_between(u, v).agreement == pytest.approx(agreement[0, 1])
    assert agreement[0, 1] > 0
    assert selectors.tci_between(u, w).agreement == 0  # opposite tastes: not a neighbour


def test_psi_terms_by_hand_add_up_to_q_and_read_the_users_scale(scene):
    u, v, w, x = scene
    psi = selectors.probable_score(u, x)
    assert psi.ok
    p = psi.prediction
    b_u, b_v, b_t = _offset(u), _offset(v), TitleTaste.objects.get(title=x).offset
    assert (p.user_offset, p.title_offset) == pytest.approx((b_u, b_t))
    # The taste factors the rebuild fitted: F = x_u . y_X, and V's part of X's residual.
    x_u, x_v = (np.array(TasteProfile.objects.get(user=m).factors) for m in (u, v))
    y_x = np.array(TitleTaste.objects.get(title=x).factors)
    assert len(x_u) == len(y_x) == 4
    assert p.factor_adjustment == pytest.approx(x_u @ y_x) and p.factor_adjustment != 0
    # Only V agrees with U; W's tastes are opposite.
    weight = selectors.tci_between(u, v).agreement
    assert [n.user_id for n in p.neighbours] == [v.pk]
    residual = 90 - 49.5 - b_v - b_t - x_v @ y_x
    assert p.neighbours[0].residual == pytest.approx(residual)
    assert p.neighbour_adjustment == pytest.approx(weight * residual / (weight + 1))
    # X shares only 2 raters with any title: no similar title is kept (3 needed).
    assert p.similar == [] and p.similar_adjustment == 0
    q = 49.5 + b_u + b_t + x_u @ y_x + p.neighbour_adjustment
    assert p.percentile == pytest.approx(q)
    # U's scores 10..100 once each sit at 5, 15, ..., 95: L(q) = q + 5 there, 100 above.
    line = lambda at: min(100, max(10, at + 5))  # noqa: E731
    assert psi.score == pytest.approx(0.25 * line(q - 25) + 0.5 * line(q) + 0.25 * line(q + 25))
    assert (p.low, p.high) == pytest.approx((line(q - p.spread), line(q + p.spread)))
    assert psi.rounded == engine.rounded(psi.score)


def test_stored_prediction_for_recommendations_matches_the_live_one(scene):
    u, v, w, x = scene
    stored = Prediction.objects.get(user=u, title=x)
    live = selectors.probable_score(u, x).prediction
    for term in (
        "percentile", "score", "title_offset", "user_offset", "factor_adjustment",
        "neighbour_adjustment", "similar_adjustment", "spread", "support", "low", "high",
        "rank_key",
    ):  # fmt: skip
        assert getattr(stored, term) == pytest.approx(getattr(live, term)), term
    assert stored.neighbours_count == 1
    assert list(selectors.recommendations(u).values_list("title", flat=True)) == [x.pk]


def test_psi_follows_the_users_own_habit(scene, titles):
    u, v, w, x = scene
    harsh = UserFactory(username="harsh")
    give(harsh, {titles[i]: 2 * i for i in range(1, 11)})  # same order as U, scores 2..20
    services.refresh_user_taste(harsh.pk)
    psi = selectors.probable_score(harsh, x)
    assert psi.ok
    assert psi.prediction.neighbours[0].user_id == v.pk
    # The same kind of place among harsh's own, lower, scores: L(q) = (q + 5) / 5.
    q = psi.prediction.percentile
    assert q > 50  # V, who agrees, put X at the top
    line = lambda at: min(20, max(2, (at + 5) / 5))  # noqa: E731
    assert psi.score == pytest.approx(0.25 * line(q - 25) + 0.5 * line(q) + 0.25 * line(q + 25))
    assert psi.score <= 20


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
    # Nobody agrees with them yet: the offsets alone give a PSI, with no neighbour.
    offsets_only = selectors.probable_score(lonely, x)
    assert offsets_only.ok and offsets_only.prediction.neighbours == []
    assert offsets_only.prediction.percentile == pytest.approx(
        49.5 + _offset(lonely) + TitleTaste.objects.get(title=x).offset
    )
    nobody = selectors.probable_score(u, titles[39])
    assert nobody.status == selectors.NO_NEIGHBOURS
    assert nobody.reason == "Nobody has rated this title yet."


def test_psi_explanation_lists_every_term(scene):
    u, v, w, x = scene
    explanation = selectors.psi_explanation(u, x)
    p = explanation.probable.prediction
    assert [n.user.username for n in explanation.neighbours] == ["v"]
    assert explanation.scale_points[0] == (5, 10) and explanation.scale_points[-1] == (95, 100)
    q = p.percentile
    reads = explanation.reads
    assert [r.at for r in reads] == pytest.approx([q - 25, q, q + 25])
    assert [r.weight for r in reads] == [0.25, 0.5, 0.25]
    assert sum(r.weight * r.value for r in reads) == pytest.approx(p.score)
    # Each reading lies on the straight line between two of U's neighbouring points.
    for r in reads:
        assert (r.p2 - r.p1, r.s2 - r.s1) == (10, 10) and r.p1 <= r.at <= r.p2
        assert r.value == pytest.approx(r.s1 + (r.at - r.p1) / (r.p2 - r.p1) * (r.s2 - r.s1))
    assert [r.value for r in explanation.range_reads] == pytest.approx([p.low, p.high])


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
    shown = ShownPrediction.objects.get(user=u, title=x).rounded
    assert shown == psi.rounded
    assert selectors.prediction_accuracy(u).count == 0  # not rated yet

    rate(u, x, shown - 7)
    accuracy = selectors.prediction_accuracy(u)
    assert accuracy.count == 1
    assert accuracy.mean_difference == pytest.approx(7)
    assert accuracy.within_5 == 0 and accuracy.within_10 == 1


def _positions(where: str, value: int) -> list[tuple[int, int, float]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, title_id, position FROM taste_position WHERE {where} = %s", [value]
        )
        return cursor.fetchall()


def _ridge(rows: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """(sum y y' + 200 I)^-1 sum y r, by hand."""
    gram = 200 * np.eye(4) + sum(np.outer(y, y) for y, _ in rows)
    return np.linalg.solve(gram, sum(y * r for y, r in rows))


def test_a_refresh_fits_one_side_of_the_taste_factors_against_the_other(scene, titles):
    u, v, w, x = scene
    offset = {m.pk: _offset(m) for m in (u, v, w)}
    stored = TasteProfile.objects.get(user=u).factors
    services.refresh_user_taste(u.pk)  # nothing changed: the rebuild's last step fit users
    assert TasteProfile.objects.get(user=u).factors == pytest.approx(stored)

    rate(u, titles[12], 100)
    services.refresh_title_similarity(titles[12].pk)
    services.refresh_user_taste(u.pk)
    taste = {t.title_id: t for t in TitleTaste.objects.all()}
    offset[u.pk] = _offset(u)
    expected = _ridge(
        [
            (np.array(taste[t].factors), p - 49.5 - offset[u.pk] - taste[t].offset)
            for _, t, p in _positions("user_id", u.pk)
            if taste[t].factors
        ]
    )
    assert TasteProfile.objects.get(user=u).factors == pytest.approx(expected.tolist())
    assert not np.allclose(expected, stored)

    # A title's refresh fits its factors against its raters' (V and W rated X).
    factors = {m.pk: np.array(TasteProfile.objects.get(user=m).factors) for m in (v, w)}
    services.refresh_title_similarity(x.pk)
    b_x = TitleTaste.objects.get(title=x).offset
    expected = _ridge(
        [(factors[m], p - 49.5 - offset[m] - b_x) for m, _, p in _positions("title_id", x.pk)]
    )
    assert TitleTaste.objects.get(title=x).factors == pytest.approx(expected.tolist())

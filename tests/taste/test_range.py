"""The likely range of a PSI (hand-computed), recommendations ranked by it, and the
ranking's effect on members of opposite tastes and on a newcomer."""

import math
import random

import pytest

from catalog.models import Title
from ratings.models import Rating
from ratings.services import RatingInput, rate_many
from taste import engine, selectors, services
from taste.models import Prediction
from tests.factories import TitleFactory, UserFactory
from tests.taste.conftest import give

PRIOR = 10000 / 12  # the spread of uniform percentiles, squared (28.87^2)


def test_range_by_hand_two_neighbours_disagreeing():
    # q = 60; says 70 (w 3) and 50 (w 1), both matching by 0.5.
    likely = engine.psi_range(60.0, [70, 50], [3.0, 1.0], [0.5, 0.5], list(range(10, 101, 10)))
    # spread^2 = (3 * 10^2 + 1 * 10^2) / 4 = 100; equal weights (3 + 1)^2 / (9 + 1) = 1.6,
    # times match 0.5 -> n = 0.8.
    assert likely.observed_spread == pytest.approx(10.0)
    assert likely.equal_weights == pytest.approx(1.6)
    assert likely.effective == pytest.approx(0.8)
    # Shrunk: sqrt((0.8 * 100 + 3 * 833.33) / 3.8) = 26.057; half width x sqrt(1 + 1/0.8).
    assert likely.spread == pytest.approx(math.sqrt((80 + 3 * PRIOR) / 3.8))
    assert likely.spread == pytest.approx(26.057, abs=1e-3)
    assert likely.half_width == pytest.approx(likely.spread * 1.5)
    assert likely.low_percentile == pytest.approx(60 - 39.085, abs=1e-3)
    assert likely.high_percentile == 99.0  # 99.09, kept within 0-99
    # Scores 10..100: percentile 20.915 sits at position 1.5915, between 20 and 30.
    assert likely.low == pytest.approx(25.915, abs=1e-3)
    assert likely.high == 100
    assert (likely.low_rounded, likely.high_rounded) == (26, 100)


def test_twenty_agreeing_neighbours_give_a_narrower_range_than_one():
    scores = list(range(1, 101))
    twenty = engine.psi_range(50.0, [40] * 10 + [60] * 10, [1.0] * 20, [1.0] * 20, scores)
    # sqrt((20 * 100 + 3 * 833.33) / 23) = 13.988, x sqrt(1 + 1/20) = 14.333.
    assert twenty.spread == pytest.approx(13.988, abs=1e-3)
    assert twenty.half_width == pytest.approx(14.333, abs=1e-3)
    one = engine.psi_range(50.0, [50], [1.0], [1.0], scores)
    # Nothing observed: the stranger's spread, sqrt(3 * 833.33 / 4) = 25, x sqrt(2).
    assert one.spread == pytest.approx(25.0)
    assert one.half_width == pytest.approx(25 * math.sqrt(2))
    assert one.low_percentile < twenty.low_percentile


def test_fewer_titles_in_common_widen_the_range():
    scores = list(range(1, 101))
    strong = engine.psi_range(50.0, [45, 55] * 5, [1.0] * 10, [0.9] * 10, scores)
    weak = engine.psi_range(50.0, [45, 55] * 5, [1.0] * 10, [0.375] * 10, scores)
    assert weak.effective == pytest.approx(3.75)
    assert weak.half_width > strong.half_width


@pytest.fixture
def one_against_twenty(titles):
    """U rated T1..T10 (10..100). Twenty raters alike rated A (T20) 95, their 86th
    percentile; one more alike rated B (T21) 100, their 95th. B's PSI is higher (one
    neighbour at 95) than A's (twenty at 86), but rests on one rater."""
    u = UserFactory(username="u")
    give(u, {titles[i]: 10 * i for i in range(1, 11)})
    a, b = titles[20], titles[21]
    for n in range(21):
        person = UserFactory(username=f"alike{n}")
        extra = {a: 95} if n < 20 else {b: 100}
        give(person, {**{titles[i]: 10 * i for i in range(1, 11)}, **extra})
    services.rebuild_all()
    return u, a, b


@pytest.mark.django_db
def test_one_neighbour_does_not_outrank_twenty(one_against_twenty):
    u, a, b = one_against_twenty
    stored = {p.title_id: p for p in Prediction.objects.filter(user=u)}
    assert (stored[a.pk].neighbours_count, stored[b.pk].neighbours_count) == (20, 1)
    assert stored[b.pk].percentile > stored[a.pk].percentile  # the plain PSI order: B first
    assert [p.title_id for p in selectors.recommendations(u)] == [a.pk, b.pk]
    # The stored range is the one the title page computes live.
    live = selectors.probable_score(u, Title.objects.get(pk=b.pk))
    assert stored[b.pk].low == pytest.approx(live.range.low)
    assert stored[b.pk].high == pytest.approx(live.range.high)
    assert stored[b.pk].rank == pytest.approx(
        live.range.low_percentile - engine.FALLBACK_PENALTY * live.prediction.title_offset
    )
    assert stored[b.pk].high - stored[b.pk].low > stored[a.pk].high - stored[a.pk].low


# Two opposite clusters -------------------------------------------------------------------

TOP = 24
# Shaped like the demo: a title's quality matters more than the taste clusters.
CLUSTER = 0.5
QUALITY = 0.8


def _liking(rng, quality, liked_group, title_group):
    return quality + (CLUSTER if liked_group == title_group else -CLUSTER) + rng.gauss(0, 0.4)


@pytest.fixture
def clusters(db):
    """80 titles in two groups (a quality each); 16 members like group 0 and dislike group
    1, 16 the opposite; each rates 30 titles at random (fixed seed)."""
    rng = random.Random(12)
    titles = [TitleFactory(name=f"G{i % 2} film {i}") for i in range(80)]
    group = {t.pk: i % 2 for i, t in enumerate(titles)}
    quality = {t.pk: rng.gauss(0, QUALITY) for t in titles}
    members = {0: [], 1: []}
    for liked in (0, 1):
        for n in range(16):
            person = UserFactory(username=f"likes{liked}_{n}")
            chosen = rng.sample(titles, 30)
            entries = [
                RatingInput(
                    t.pk,
                    max(
                        0,
                        min(100, round(60 + 15 * _liking(rng, quality[t.pk], liked, group[t.pk]))),
                    ),
                )
                for t in chosen
            ]
            rate_many(person, entries)
            members[liked].append(person)
    services.rebuild_all()
    return titles, group, members


def _top(user) -> list[int]:
    return list(selectors.recommendations(user).values_list("title_id", flat=True)[:TOP])


def test_opposite_members_share_at_most_half_of_their_top_24(clusters):
    titles, group, members = clusters
    zero, one = members[0][0], members[1][0]
    top_zero, top_one = _top(zero), _top(one)
    assert len(top_zero) == len(top_one) == TOP
    assert len(set(top_zero) & set(top_one)) <= TOP // 2


def test_a_newcomer_with_12_ratings_gets_a_list_that_reflects_them(clusters):
    titles, group, members = clusters
    newcomer = UserFactory(username="newcomer")
    liked = [t for t in titles if group[t.pk] == 0][:6]
    disliked = [t for t in titles if group[t.pk] == 1][:6]
    rate_many(
        newcomer,
        [RatingInput(t.pk, 85 + i) for i, t in enumerate(liked)]
        + [RatingInput(t.pk, 20 + i) for i, t in enumerate(disliked)],
    )
    services.refresh_user_taste(newcomer.pk)
    mine = _top(newcomer)
    rated = set(Rating.objects.filter(user=newcomer).values_list("title_id", flat=True))
    site = list(
        Title.objects.exclude(pk__in=rated)
        .filter(avg_percentile__isnull=False)
        .order_by("-avg_percentile", "pk")
        .values_list("pk", flat=True)[:TOP]
    )
    assert len(mine) == TOP
    # More of the group they liked than the site-wide top has, and at most three quarters
    # of the site-wide top (ranked by PSI alone, 21 of the 24 are).
    assert sum(group[pk] == 0 for pk in mine) > sum(group[pk] == 0 for pk in site)
    assert len(set(mine) & set(site)) <= TOP * 3 // 4

"""Recommendations ranked with confidence (the rank key), and the ranking's effect on
members of opposite tastes and on a newcomer. The range by hand: tests/taste/test_engine."""

import random

import pytest

from catalog.models import Title
from ratings.models import Rating
from ratings.services import RatingInput, rate_many
from taste import selectors, services
from taste.models import Prediction
from tests.factories import TitleFactory, UserFactory
from tests.taste.conftest import give


@pytest.fixture
def one_against_twenty(titles):
    """U rated T1..T10 (10..100). Twenty raters alike rated A (T20) 95, their 86th
    percentile; one more alike rated B (T21) 100, their 95th. B's neighbour places it
    higher than A's twenty place A, but B rests on one rater."""
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
    assert [p.title_id for p in selectors.recommendations(u)] == [a.pk, b.pk]
    # B rests on less support and a wider spread, so its rank key falls further below q.
    assert stored[b.pk].support < stored[a.pk].support
    assert stored[b.pk].spread > stored[a.pk].spread
    for title in (a, b):
        p = stored[title.pk]
        assert p.rank_key == pytest.approx(p.percentile - 30 * p.spread * (1 - p.support))
    # The stored range is the one the title page computes live.
    live = selectors.probable_score(u, Title.objects.get(pk=b.pk)).prediction
    assert (stored[b.pk].low, stored[b.pk].high) == pytest.approx((live.low, live.high))
    assert stored[b.pk].rank_key == pytest.approx(live.rank_key)
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

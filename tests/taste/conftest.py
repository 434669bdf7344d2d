import numpy as np
import pytest

from bench.star_dataset import generate
from ratings.services import RatingInput, rate_many
from tests.factories import TitleFactory, UserFactory


@pytest.fixture
def titles(db):
    """T1..T40 (index 0 unused), a small catalogue for hand-worked cases."""
    return [None] + [TitleFactory(name=f"T{i}") for i in range(1, 41)]


def give(user, ratings: dict) -> None:
    """Rate through the percentile service: {title: score}."""
    rate_many(user, [RatingInput(title.pk, score) for title, score in ratings.items()])


@pytest.fixture
def trio(titles):
    """Hand-worked case (see test_compatibility): A and C alike, B opposite.

    A: T1..T5 = 10, 20, 30, 40, 50        -> percentiles 10, 30, 50, 70, 90
    B: T1..T5 = 50, 40, 30, 20, 10        -> percentiles 90, 70, 50, 30, 10
    C: T1..T6 = 60, 60, 70, 80, 90, 100   -> percentiles 16, 16, 41, 58, 75, 91 (a tie)
    D: thumbs up/down only (0 or 100): no percentiles, so compared through positions,
       the same formula applied anyway -> T1, T3, T5 at 30, T2, T4 at 80.
    E: shares no title with anyone.
    """
    a, b, c, d, e = (UserFactory(username=name) for name in "abcde")
    t = titles
    give(a, {t[1]: 10, t[2]: 20, t[3]: 30, t[4]: 40, t[5]: 50})
    give(b, {t[1]: 50, t[2]: 40, t[3]: 30, t[4]: 20, t[5]: 10})
    give(c, {t[1]: 60, t[2]: 60, t[3]: 70, t[4]: 80, t[5]: 90, t[6]: 100})
    give(d, {t[1]: 0, t[2]: 100, t[3]: 0, t[4]: 100, t[5]: 0})
    give(e, {t[7]: 10, t[8]: 20, t[9]: 30, t[10]: 40, t[11]: 50})
    return a, b, c, d, e


@pytest.fixture
def star_ratings(db):
    """36 star raters (1-5 stars -> 0..100, most with fewer than 5 distinct scores, so
    fallback positions) of 60 titles from the bench generator, plus 4 raters on the
    0-100 scale with many distinct scores, one rater with a single score (no positions)
    and one with 6 ratings (too few for a PSI)."""
    users, titles, stars = generate(users=36, titles=60, ratings=36 * 24, seed=7)
    catalogue = [TitleFactory(name=f"S{k}") for k in range(60)]
    people = [UserFactory(username=f"star{k}") for k in range(36)]
    by_user: dict[int, list] = {}
    for u, t, s in zip(users.tolist(), titles.tolist(), stars.tolist(), strict=True):
        by_user.setdefault(u - 1, []).append(RatingInput(catalogue[t - 1].pk, (s - 1) * 25))
    for u, inputs in by_user.items():
        rate_many(people[u], inputs)
    rng = np.random.default_rng(3)
    for k in range(4):
        picked = rng.choice(60, 30, replace=False)
        rate_many(
            UserFactory(username=f"fine{k}"),
            [RatingInput(catalogue[t].pk, int(rng.integers(0, 101))) for t in picked],
        )
    rate_many(UserFactory(username="flat"), [RatingInput(t.pk, 70) for t in catalogue[:15]])
    rate_many(
        UserFactory(username="newcomer"),
        [RatingInput(t.pk, 20 * i) for i, t in enumerate(catalogue[:6])],
    )
    return catalogue

import pytest

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

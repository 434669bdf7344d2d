from datetime import UTC, datetime

import pytest

from accounts.models import User
from ratings.services import RatingInput, rate_many


def make_raters(title, count: int, *, reviews: bool = True, prefix: str = "rater") -> list[User]:
    """`count` users who each rated `title` (through ratings.services) and four other titles'
    worth of distinct scores are not needed: percentiles come from their own ratings."""
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{title.pk}-{n}", password="!") for n in range(count)]
    )
    for n, user in enumerate(users):
        rate_many(
            user,
            [
                RatingInput(
                    title.pk,
                    (n * 37) % 101,
                    f"Review {n}\nsecond line" if reviews else "",
                    datetime(2008 + n % 12, 1 + n % 12, 1 + n % 28, tzinfo=UTC),
                )
            ],
        )
    return users


@pytest.fixture
def raters():
    return make_raters

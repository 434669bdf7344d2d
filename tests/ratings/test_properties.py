"""Property test: random rate / change / delete / bulk sequences match the reference rule."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings.selectors import percentile_mismatches
from ratings.services import RatingInput, rate, rate_many, unrate
from tests.factories import TitleFactory, UserFactory
from tests.ratings.reference import assert_matches_reference

pytestmark = pytest.mark.django_db

USERS = 3
TITLES = 8

# Few distinct values make ties and the 5-distinct-scores threshold common.
scores = st.one_of(st.sampled_from([0, 20, 50, 50, 73, 100]), st.integers(0, 100))
user_index = st.integers(0, USERS - 1)
title_index = st.integers(0, TITLES - 1)

operations = st.one_of(
    st.tuples(st.just("rate"), user_index, title_index, scores),
    st.tuples(st.just("unrate"), user_index, title_index, st.none()),
    st.tuples(
        st.just("rate_many"),
        user_index,
        st.lists(st.tuples(title_index, scores), max_size=TITLES + 2),
        st.none(),
    ),
)


class _Rollback(Exception):
    pass


@pytest.fixture
def cast():
    """Users and titles shared by every example (each example rolls its writes back)."""
    return UserFactory.create_batch(USERS), TitleFactory.create_batch(TITLES)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=25))
def test_random_operations_keep_percentiles_and_aggregates_exact(cast, steps):
    users, titles = cast
    # Each example runs in its own savepoint, rolled back at the end, so examples
    # never see each other's ratings.
    try:
        with transaction.atomic():
            model: dict[int, dict[int, int]] = {u.pk: {} for u in users}
            for kind, u, arg, score in steps:
                user = users[u]
                if kind == "rate":
                    rate(user, titles[arg], score)
                    model[user.pk][titles[arg].pk] = score
                elif kind == "unrate":
                    unrate(user, titles[arg])
                    model[user.pk].pop(titles[arg].pk, None)
                else:
                    rate_many(user, [RatingInput(titles[t].pk, s) for t, s in arg])
                    for t, s in arg:
                        model[user.pk][titles[t].pk] = s
                assert_matches_reference(model, [t.pk for t in titles])
            assert percentile_mismatches() == ([], [])
            raise _Rollback
    except _Rollback:
        pass

"""A member's stored PSIs read their mates' ratings, not everyone's.

The statement behind them (taste.queries.PSI_TERMS_FOR_UNRATED_SQL) scans each mate's
positions and each rated title's similar titles by index. Planned freely, the estimate
of the mates misled PostgreSQL into sorting every position and scanning every similar-
title row (1.06 s instead of 0.39 s at 1,000,000 ratings).
"""

import json

import pytest
from django.db import connection

from ratings.services import RatingInput, rate_many
from taste import queries, rebuild
from tests.factories import TitleFactory, UserFactory
from tests.ratings.test_recompute_plan import ratings_read

pytestmark = pytest.mark.django_db


def test_a_members_psi_terms_read_their_mates_ratings_not_everyones():
    near, far = TitleFactory.create_batch(30), TitleFactory.create_batch(60)
    group = UserFactory.create_batch(8)  # the member and their mates: 240 ratings
    for n, user in enumerate(group):
        rate_many(user, [RatingInput(t.pk, (7 * i + 3 * n) % 101) for i, t in enumerate(near)])
    for n, user in enumerate(UserFactory.create_batch(40)):  # strangers: 2,400 ratings
        rate_many(user, [RatingInput(t.pk, (11 * i + 5 * n) % 101) for i, t in enumerate(far)])
    rebuild.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + queries.PSI_TERMS_FOR_UNRATED_SQL,
            {"user_id": group[0].pk},
        )
        plan = cursor.fetchone()[0]
        cursor.execute(queries.PSI_TERMS_FOR_UNRATED_SQL, {"user_id": group[0].pk})
        terms = queries.terms_from_rows(cursor.fetchall())
    plan = plan if isinstance(plan, list) else json.loads(plan)
    # The group's ratings, a few times over (the mates' by index, the member's own for
    # the titles wanted and the similar titles), never the strangers'.
    assert ratings_read(plan[0]["Plan"]) < 600
    # The terms are there: the strangers' titles, with no mate among their raters.
    assert {t.pk for t in far} <= set(terms)
    assert all(not terms[t.pk].neighbours for t in far)

    # A title page's PSI carries the factors of the neighbours and similar titles it
    # names, not of every mate and every title the member rated.
    with connection.cursor() as cursor:
        cursor.execute(
            queries.PSI_TERMS_FOR_TITLES_SQL, {"user_id": group[0].pk, "title_ids": [far[0].pk]}
        )
        rows = cursor.fetchall()
    named = {kind: {row[2] for row in rows if row[0] == kind} for kind in range(5)}
    assert named[queries.MATE_ROW] == named[queries.NEIGHBOUR_ROW] == set()
    assert named[queries.RATED_TITLE_ROW] == named[queries.SIMILAR_ROW]

"""A member the planner's statistics do not know yet is recomputed in linear work.

After ANALYZE on a site whose members all fit in the statistics' common values, a new
member is estimated at one rating. The recompute statement's inlined per-member lookup
was then run once per rating (n squared: 1.1 million index rows read, 0.6 s, for 92
ratings while seeding the demo); it is MATERIALIZED now (ratings.services).
"""

import json

import pytest
from django.db import connection, transaction

from ratings import services
from ratings.services import RatingInput, rate_many
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db

RATINGS = 150


def test_a_member_unknown_to_the_statistics_is_recomputed_in_linear_work():
    titles = TitleFactory.create_batch(RATINGS)
    for n in range(20):  # known members: all of them common values after ANALYZE
        rate_many(
            UserFactory(), [RatingInput(t.pk, (7 * i + n) % 101) for i, t in enumerate(titles[:30])]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ratings_rating")
    newcomer = UserFactory()
    rate_many(newcomer, [RatingInput(t.pk, (13 * i) % 101) for i, t in enumerate(titles)])

    captured = []

    def capture(execute, sql, params, many, context):
        if sql == services.RECOMPUTE_USERS_SQL:
            captured.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        rate_many(newcomer, [RatingInput(titles[0].pk, 55)])  # moves many percentiles
    assert captured

    with transaction.atomic(), connection.cursor() as cursor:
        sid = transaction.savepoint()
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + services.RECOMPUTE_USERS_SQL,
            {**captured[0], "user_ids": [newcomer.pk]},
        )
        plan = cursor.fetchone()[0]
        transaction.savepoint_rollback(sid)
    plan = plan if isinstance(plan, list) else json.loads(plan)
    # Linear: each of the member's ratings read a few times (the counts, the lookup, the
    # rewrite). Inlined, the lookup read all of them again for each one (150 x 150 x 2).
    assert ratings_read(plan[0]["Plan"]) < 5 * RATINGS


def ratings_read(node: dict) -> int:
    """Rows the plan's scans of the ratings table returned, over all their loops."""
    own = 0
    if node.get("Relation Name") == "ratings_rating" and "Scan" in node["Node Type"]:
        own = node["Actual Rows"] * node["Actual Loops"]
    return own + sum(ratings_read(child) for child in node.get("Plans", []))

"""Demo follows and likes for seed_demo (issue 15): each member follows a few members of
their own taste cluster and one or two others, and likes some of their reviews, so the
home feed, notifications, follower lists and "most liked" look alive.

Deterministic (its own seeded random) and idempotent: nothing is done when any follow
exists. Writes go through social.services, so the notifications are real ones.
"""

import random

from django.db import connection

from ratings.models import Rating
from social import services
from social.models import Follow, Notification, ReviewLike

SEED = 15
FOLLOWS_IN_CLUSTER = 6
FOLLOWS_OUTSIDE = 2
LIKES_PER_MEMBER = 8


def seed_social(people) -> tuple[int, int]:
    """``people``: seed_demo's (user, cluster, habit) triples. Returns (follows, likes)."""
    if Follow.objects.exists():
        return 0, 0
    rng = random.Random(SEED)
    by_cluster: dict[str, list] = {}
    for user, cluster, _habit in people:
        by_cluster.setdefault(cluster, []).append(user)
    users = [user for user, _c, _h in people]
    follows = likes = 0
    followed_by: dict[int, list] = {}
    for user, cluster, _habit in people:
        mates = [u for u in by_cluster[cluster] if u.pk != user.pk]
        others = [u for u in users if u.pk != user.pk and u not in mates]
        chosen = rng.sample(mates, min(FOLLOWS_IN_CLUSTER, len(mates)))
        chosen += rng.sample(others, min(FOLLOWS_OUTSIDE, len(others)))
        for target in chosen:
            services.follow(user=user, target=target)
            follows += 1
        followed_by[user.pk] = [target.pk for target in chosen]
    reviews: dict[int, list[Rating]] = {}
    for rating in Rating.objects.visible().with_review().select_related("user").order_by("id"):
        reviews.setdefault(rating.user_id, []).append(rating)
    for user in users:
        pool = [r for pk in followed_by[user.pk] for r in reviews.get(pk, [])]
        for rating in rng.sample(pool, min(LIKES_PER_MEMBER, len(pool))):
            services.like_review(user=user, rating=rating)
            likes += 1
    _spread_over_past_weeks()
    return follows, likes


# SQL because each row gets its own date from its id in one statement per table.
SPREAD_SQL = (
    "UPDATE {table} SET created_at ="
    " now() - interval '1 minute' - ((id * 7919) % 86400) * interval '1 minute'"
)


def _spread_over_past_weeks() -> None:
    """Date the seeded rows over the last 60 days (deterministically, by id), so that
    nothing seeded counts toward a member's hourly like limit and the lists read as if
    they had grown over time."""
    with connection.cursor() as cursor:
        for model in (Follow, ReviewLike, Notification):
            cursor.execute(SPREAD_SQL.format(table=model._meta.db_table))

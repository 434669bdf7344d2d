"""How personal the recommendations page is, on the demo data (run with
`DATABASE_URL=... python bench/recommendations.py` against a database loaded with
`seed_demo` and `rebuild_taste`).

Prints, for the confidence ranking (``taste.selectors.recommendations``: the rank key
q - 30 s (1 - support) of each PSI) beside the plain PSI order:

- the top-24 overlap of demo members with opposite tastes (every arthouse fan against
  every blockbuster fan who has recommendations: mean and worst), and of the pair with
  the most ratings;
- a newcomer who rates 12 popular titles (6 dramas high, 6 action films low): how many
  of their top 24 are also in the site-wide top 24 (highest average percentile), and
  how many are dramas and action films.

The newcomer is written inside a transaction that is rolled back. Nothing is asserted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TASKS_IMMEDIATE", "1")
os.environ.setdefault("HTTPS", "0")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import Title  # noqa: E402
from pages.management.commands.seed_demo import demo_clusters  # noqa: E402
from ratings.models import Rating  # noqa: E402
from ratings.services import RatingInput, rate_many  # noqa: E402
from taste import selectors, services  # noqa: E402
from taste.models import Prediction  # noqa: E402

TOP = 24
PLAIN_ORDER = ("-percentile", "-neighbours_count", "title__name")


class Rollback(Exception):
    pass


def top(user, plain: bool = False) -> list[int]:
    qs = selectors.recommendations(user)
    if plain:
        qs = qs.order_by(*PLAIN_ORDER)
    return list(qs.values_list("title_id", flat=True)[:TOP])


def fans(cluster: str) -> list[User]:
    names = [name for name, taste in demo_clusters().items() if taste == cluster]
    return list(
        User.objects.filter(username__in=names)
        .annotate(n=Count("ratings"))
        .filter(pk__in=Prediction.objects.values("user_id"))
        .order_by("-n", "pk")
    )


def overlap(a: list[int], b: list[int]) -> int:
    return len(set(a) & set(b))


def opposite_members() -> None:
    arthouse, blockbuster = fans("arthouse"), fans("blockbuster")
    for plain in (False, True):
        name = "plain PSI order" if plain else "confidence order"
        tops_a = {u.pk: top(u, plain) for u in arthouse}
        tops_b = {u.pk: top(u, plain) for u in blockbuster}
        pairs = [overlap(tops_a[a.pk], tops_b[b.pk]) for a in arthouse for b in blockbuster]
        heaviest = overlap(tops_a[arthouse[0].pk], tops_b[blockbuster[0].pk])
        print(
            f"{name}: arthouse x blockbuster fans ({len(arthouse)} x {len(blockbuster)} "
            f"pairs): top-{TOP} overlap mean {sum(pairs) / len(pairs):.1f}, "
            f"worst {max(pairs)}, pairs over half {sum(p > TOP // 2 for p in pairs)}; "
            f"{arthouse[0].username} ({arthouse[0].n} ratings) x "
            f"{blockbuster[0].username} ({blockbuster[0].n}): {heaviest}"
        )


def genre_count(ids: list[int], genre: str) -> int:
    return Title.objects.filter(pk__in=ids, genres__name=genre).distinct().count()


def newcomer() -> None:
    popular = Title.objects.annotate(n=Count("ratings")).order_by("-n", "pk")
    dramas = list(popular.filter(genres__name="Drama").exclude(genres__name="Action")[:6])
    action = list(popular.filter(genres__name="Action").exclude(genres__name="Drama")[:6])
    try:
        with transaction.atomic():
            user = User.objects.create(username="bench_newcomer", email="n@example.com")
            entries = [RatingInput(t.pk, 90 + i) for i, t in enumerate(dramas)]
            entries += [RatingInput(t.pk, 20 + 2 * i) for i, t in enumerate(action)]
            rate_many(user, entries)
            services.refresh_user_taste(user.pk)
            rated = set(Rating.objects.filter(user=user).values_list("title_id", flat=True))
            site = [
                t.pk
                for t in Title.objects.filter(ratings_count__gte=5, avg_percentile__isnull=False)
                .exclude(pk__in=rated)
                .order_by("-avg_percentile", "-ratings_count")[:TOP]
            ]
            for plain in (False, True):
                name = "plain PSI order" if plain else "confidence order"
                mine = top(user, plain)
                print(
                    f"{name}: newcomer with 12 ratings (6 dramas high, 6 action low): "
                    f"{overlap(mine, site)} of their top {TOP} in the site-wide top {TOP}; "
                    f"{genre_count(mine, 'Drama')} dramas, {genre_count(mine, 'Action')} "
                    f"action (site-wide top: {genre_count(site, 'Drama')} dramas, "
                    f"{genre_count(site, 'Action')} action)"
                )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    opposite_members()
    newcomer()

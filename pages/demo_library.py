"""The demo's watchlists and diaries (called by seed_demo): each demo member logs a
viewing for some of the titles they rated (on the day they rated it, some seen once
before: a rewatch) and keeps a short watchlist of titles they have not rated. The
watchlists of every fifth member are public. Deterministic (its own random seed) and
idempotent: a member who already has viewings or watchlist entries is left alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.db import transaction

from catalog.models import Title
from library.models import Viewing, WatchlistEntry
from ratings.models import Rating

SEED = 14
VIEWED_SHARE = 0.35
REWATCH_SHARE = 0.15
WATCHLIST_SIZE = (4, 14)
# Watchlist dates count back from here (not from today, so a rerun writes the same).
ADDED_BEFORE = datetime(2026, 6, 1, 12, tzinfo=UTC)


@transaction.atomic
def load_library(users, titles: list[Title]) -> tuple[int, int]:
    """Viewings and watchlist entries for ``users`` (demo members); returns how many of
    each were written."""
    rng = random.Random(SEED)
    users = sorted(users, key=lambda user: user.pk)
    busy = set(Viewing.objects.filter(user__in=users).values_list("user_id", flat=True))
    busy |= set(WatchlistEntry.objects.filter(user__in=users).values_list("user_id", flat=True))
    rated: dict[int, list[tuple[int, datetime]]] = {}
    rows = Rating.objects.filter(user__in=users).order_by("user_id", "title_id")
    for user_id, title_id, rated_at in rows.values_list("user_id", "title_id", "rated_at"):
        rated.setdefault(user_id, []).append((title_id, rated_at))
    title_ids = sorted(title.pk for title in titles)
    viewings: list[Viewing] = []
    entries: list[WatchlistEntry] = []
    public_watchlists = []
    for index, user in enumerate(users):
        # Draw for everyone, so one member's choices never depend on who was skipped.
        mine = rated.get(user.pk, [])
        seen = [item for item in mine if rng.random() < VIEWED_SHARE]
        repeats = {title_id for title_id, _ in seen if rng.random() < REWATCH_SHARE}
        unrated = sorted(set(title_ids) - {title_id for title_id, _ in mine})
        wanted = rng.sample(unrated, min(len(unrated), rng.randint(*WATCHLIST_SIZE)))
        offsets = [rng.randint(1, 400) for _ in wanted]
        if user.pk in busy:
            continue
        for title_id, rated_at in seen:
            day = rated_at.date()
            if title_id in repeats:
                first = day - timedelta(days=365 * (1 + title_id % 4))
                viewings.append(Viewing(user=user, title_id=title_id, watched_on=first))
            viewings.append(
                Viewing(user=user, title_id=title_id, watched_on=day, rewatch=title_id in repeats)
            )
        entries += [
            WatchlistEntry(user=user, title_id=title_id, added_at=ADDED_BEFORE - timedelta(days=d))
            for title_id, d in zip(wanted, offsets, strict=True)
        ]
        if index % 5 == 0:
            public_watchlists.append(user.pk)
    Viewing.objects.bulk_create(viewings, batch_size=2000)
    WatchlistEntry.objects.bulk_create(entries, batch_size=2000, ignore_conflicts=True)
    if public_watchlists:
        type(users[0]).objects.filter(pk__in=public_watchlists).update(watchlist_public=True)
    return len(viewings), len(entries)

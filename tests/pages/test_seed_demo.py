import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from catalog.models import Title
from collections_app.models import Collection
from library.models import Viewing, WatchlistEntry
from moderation.models import Report
from ratings.models import Rating
from ratings.services import rate
from social.models import Follow, Notification, ReviewLike

pytestmark = pytest.mark.django_db


def ratings_fingerprint() -> str:
    rows = Rating.objects.order_by("user_id", "title_id").values_list(
        "user__username", "title__name", "score", "percentile", "review", "rated_at", "updated_at"
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def library_fingerprint() -> tuple:
    """Demo watchlists and diaries (pages/demo_library.py): plenty, with rewatches."""
    viewings = list(
        Viewing.objects.order_by("user_id", "title_id", "watched_on").values_list(
            "user__username", "title__name", "watched_on", "rewatch"
        )
    )
    entries = list(
        WatchlistEntry.objects.order_by("user_id", "title_id").values_list(
            "user__username", "title__name", "added_at"
        )
    )
    assert len(viewings) > 5_000 and len(entries) > 1_000
    assert any(rewatch for *_rest, rewatch in viewings)
    assert not WatchlistEntry.objects.filter(title__ratings__user=F("user")).exists()
    return hashlib.sha256(repr((viewings, entries)).encode()).hexdigest()


def test_seed_demo_is_realistic_and_a_second_run_changes_nothing():
    call_command("seed_demo", "--no-posters")

    assert Title.objects.count() >= 300
    interview = Title.objects.get(name="Interview", year=2007)
    assert interview.runtime_display == "1h 24m"
    assert interview.credits.filter(role="director", person__name="Steve Buscemi").exists()
    assert User.objects.filter(is_superuser=False).count() >= 200
    assert Report.objects.count() >= 3  # something in the moderation queue
    moderator = User.objects.get(username="moderator")
    assert moderator.is_staff and moderator.groups.filter(name="Moderators").exists()
    assert Rating.objects.count() >= 20_000
    assert Rating.objects.exclude(review="").count() > 1_000
    assert Collection.objects.public().count() >= 5
    # Different habits: someone rates only 0-10, someone only 50-100, and a few people have
    # fewer than 5 distinct scores, so their ratings have no percentile.
    per_user = Rating.objects.values("user").annotate(top=Count("score", distinct=True))
    assert per_user.filter(top__lt=5).exists()
    assert Rating.objects.filter(percentile__isnull=True).exists()
    assert Title.objects.filter(avg_percentile__isnull=False).count() >= 300
    # Social demo (issue 15): follows, likes and their notifications, none in the last hour.
    social = (Follow.objects.count(), ReviewLike.objects.count(), Notification.objects.count())
    assert social[0] >= 1_000 and social[1] >= 1_000 and social[2] == social[0] + social[1]
    assert not ReviewLike.objects.filter(created_at__gte=timezone.now() - timedelta(hours=1))

    before = ratings_fingerprint()
    library = library_fingerprint()
    counts = (
        Title.objects.count(),
        User.objects.count(),
        Collection.objects.count(),
        Report.objects.count(),
    )
    call_command("seed_demo", "--no-posters")
    assert ratings_fingerprint() == before
    assert library_fingerprint() == library
    assert (
        Follow.objects.count(),
        ReviewLike.objects.count(),
        Notification.objects.count(),
    ) == social
    assert (
        Title.objects.count(),
        User.objects.count(),
        Collection.objects.count(),
        Report.objects.count(),
    ) == counts

    # Nothing seeded counts as written in the last hour: a demo member with 20 or more
    # reviews can review one more title straight away (the hourly limit is 20).
    hour_ago = timezone.now() - timedelta(hours=1)
    assert not Rating.objects.filter(updated_at__gte=hour_ago).exists()
    prolific = (
        User.objects.annotate(reviews=Count("ratings", filter=~Q(ratings__review="")))
        .filter(reviews__gte=20)
        .first()
    )
    assert prolific is not None
    unrated = Title.objects.exclude(ratings__user=prolific).first()
    rating = rate(prolific, unrated, 60, review="One more, straight after seeding.")
    assert rating.review == "One more, straight after seeding."


def test_seed_demo_if_empty_leaves_an_existing_catalog_alone():
    Title.objects.create(name="Somebody's own film", year=2020)
    call_command("seed_demo", "--if-empty")
    assert Title.objects.count() == 1

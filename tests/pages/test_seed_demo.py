import hashlib
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from accounts.models import User
from catalog.models import Credit, Title
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


def assert_believable() -> None:
    """Written bios, joining before rating, scores on the member's own scale, and reviews
    written per film: (nearly) all distinct, no sentence twice on one title page."""
    members = User.objects.filter(is_staff=False).annotate(first=Min("ratings__rated_at"))
    bios = [m.bio for m in members if m.bio]
    assert len(bios) >= 0.8 * len(members)
    assert len(set(bios)) >= 0.7 * len(bios)
    assert not [bio for bio in bios if "Rating habit" in bio or " fan." in bio]
    assert all(m.date_joined < m.first for m in members if m.first)
    assert len({m.date_joined.year for m in members}) >= 15
    # A member on the 1-10 scale stored only scores they could have typed.
    ten = Rating.objects.filter(user__rating_scale="10")
    assert ten.exists() and not ten.exclude(score__in=range(10, 101, 10)).exists()

    reviews = list(Rating.objects.exclude(review="").values_list("title_id", "review"))
    names = defaultdict(set)  # a film's name and people, whose dots are not full stops
    for title_id, name in Title.objects.values_list("pk", "name"):
        names[title_id].add(name)
    for title_id, name in Credit.objects.values_list("title_id", "person__name"):
        names[title_id].add(name)
    # Only the shortest reviews ("Meh.", "Instant favourite.") come twice.
    texts = [text for _, text in reviews]
    assert len(set(texts)) >= 2_000
    assert {text for text in texts if texts.count(text) > 1 and len(text) > 30} == set()
    sentences = defaultdict(list)
    for title_id, text in reviews:
        for name in sorted(names[title_id], key=len, reverse=True):
            text = text.replace(name, "@")
        sentences[title_id] += [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    repeated = {t: s for t, s in sentences.items() if len(s) != len(set(s))}
    assert repeated == {}
    # No stock line across the site: a sentence of more than four words names the film,
    # its people or its facts, so it shows on a handful of title pages at most.
    pages_per_sentence = defaultdict(set)
    for title_id, text in reviews:
        for line in re.split(r"(?<=[a-z][.!?])\s+", text.strip()):
            if len(line.split()) > 4:
                pages_per_sentence[line].add(title_id)
    assert max(len(pages) for pages in pages_per_sentence.values()) <= 12


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
    # Different habits: someone rates out of ten, someone only 50-100, and a few people have
    # fewer than 5 distinct scores, so their ratings have no percentile.
    per_user = Rating.objects.values("user").annotate(top=Count("score", distinct=True))
    assert per_user.filter(top__lt=5).exists()
    assert Rating.objects.filter(percentile__isnull=True).exists()
    assert Title.objects.filter(avg_percentile__isnull=False).count() >= 300
    # Social demo (issue 15): follows, likes and their notifications, none in the last hour.
    social = (Follow.objects.count(), ReviewLike.objects.count(), Notification.objects.count())
    assert social[0] >= 1_000 and social[1] >= 1_000 and social[2] == social[0] + social[1]
    assert not ReviewLike.objects.filter(created_at__gte=timezone.now() - timedelta(hours=1))
    assert_believable()

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

"""Leaving: /account/delete/ and accounts.services.account_delete. Ratings go through
the percentile service, every row of the member goes, moderation records stay with
"deleted member"."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from accounts.models import ImportBatch
from accounts.services import account_delete
from catalog.models import Title
from collections_app.services import collection_add_title, collection_create
from library import services as library
from moderation import services as moderation
from moderation.models import Case, ModerationAction, Report
from moderation.selectors import target_for
from ratings.models import Rating
from ratings.services import rate
from taste import services as taste_services
from taste import tasks as taste_tasks
from taste.models import ChangeKind, PendingRefresh, TasteChange, TasteProfile
from tests.factories import TitleFactory, UserFactory
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db

User = get_user_model()


def _user_foreign_keys():
    """(model, field name) for every foreign key or one-to-one field to the user model,
    in every installed app (Django's, third parties', ours)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)  # OneToOneField included
                and field.related_model is not None
                and field.related_model._meta.label == settings.AUTH_USER_MODEL
            ):
                found.append((model, field.name))
    return found


@pytest.fixture
def leaving():
    """A member with a row in every table that can hold one, a moderator who acted on
    their review, and another rater of the same titles."""
    member = UserFactory(username="leaver", password="pw-of-leaver")
    other = UserFactory(username="stays")
    moderator = UserFactory(username="mod", is_staff=True)
    titles = [TitleFactory(name=f"T{i}") for i in range(12)]
    give(member, {t: 8 * (i + 1) for i, t in enumerate(titles[:10])})
    give(other, {t: 8 * (i + 1) for i, t in enumerate(titles)})
    rating = rate(member, titles[0], 55, review="spam spam")
    taste_services.rebuild_all()
    taste_services.record_shown_prediction(member, titles[11], 60.0, 50.0)
    library.watchlist_add(user=member, title=titles[11])
    library.viewing_create(user=member, title=titles[0], watched_on=datetime.date(2020, 1, 1))
    collection = collection_create(member, "Mine")
    collection_add_title(collection, titles[1], "note")
    ImportBatch.objects.create(user=member, status=ImportBatch.Status.APPLIED)
    # Reports by them and about them, a moderator's decision, the member's own
    # moderation action (they were staff once), a suspension they imposed.
    moderation.report(member, target_for(other), "abuse")
    moderation.report(other, target_for(Rating.objects.get(pk=rating.pk)), "spam")
    moderation.hide_review(Rating.objects.get(pk=rating.pk), moderator, "Spam")
    ModerationAction.objects.create(
        actor=member, actor_name="leaver", verb="dismiss", subject=other, target_label="x"
    )
    AccessAttempt.objects.create(username="leaver", ip_address="10.0.0.1", failures_since_start=1)
    return member, other, titles


def test_every_foreign_key_to_the_member_is_walked():
    """The walk below sees the project's tables (a new one with a user key is included
    without editing the test)."""
    labels = {f"{model._meta.label}.{name}" for model, name in _user_foreign_keys()}
    assert {
        "ratings.Rating.user",
        "library.WatchlistEntry.user",
        "library.Viewing.user",
        "collections_app.Collection.owner",
        "moderation.ModerationAction.subject",
        "taste.Prediction.user",
        "admin.LogEntry.user",
    } <= labels


def test_deleting_leaves_no_row_of_the_member_and_percentiles_stay_exact(leaving):
    member, other, titles = leaving
    pk, username = member.pk, member.username
    first = Title.objects.get(pk=titles[0].pk)
    assert first.ratings_count == 2
    keys = _user_foreign_keys()
    assert any(model._base_manager.filter(**{name: pk}).exists() for model, name in keys)

    account_delete(user=member)

    assert not User.objects.filter(pk=pk).exists()
    left = [
        f"{model._meta.label}.{name}"
        for model, name in keys
        if model._base_manager.filter(**{name: pk}).exists()
    ]
    assert left == []
    assert not TasteChange.objects.filter(kind=ChangeKind.USER, object_id=pk).exists()
    assert not PendingRefresh.objects.filter(kind=ChangeKind.USER, object_id=pk).exists()
    assert not AccessAttempt.objects.filter(username=username).exists()
    call_command("check_percentiles")  # exits 1 on any mismatch
    first.refresh_from_db()
    assert first.ratings_count == 1
    assert first.avg_percentile == Rating.objects.get(user=other, title=first).percentile
    # Moderation records keep the action, naming a deleted member.
    hid = ModerationAction.objects.get(verb="hide_review")
    assert (hid.actor_name, hid.subject_id) == ("mod", None)
    assert hid.target_label == "Review by deleted member on T0 (2007)"
    assert ModerationAction.objects.get(verb="dismiss").actor_name == "deleted member"
    case = Case.objects.get(label__startswith="Review by")
    assert (case.author_id, case.label) == (None, "Review by deleted member on T0 (2007)")
    assert Report.objects.filter(reporter=other).exists()
    assert username not in " ".join(ModerationAction.objects.values_list("actor_name", flat=True))


def test_delete_page_summarises_and_needs_the_password(client, leaving):
    member, _other, _titles = leaving
    client.force_login(member)
    page = client.get(reverse("accounts:delete")).content.decode()
    assert "<strong>10</strong> ratings, 1 with a review" in page
    assert "<strong>1</strong> viewing in your diary and <strong>1</strong> title on your" in page
    assert "<strong>1</strong> collection (1 title in them)" in page
    wrong = client.post(reverse("accounts:delete"), {"password": "nope"})
    assert wrong.status_code == 400
    assert "That is not your password; nothing was deleted." in wrong.content.decode()
    assert User.objects.filter(pk=member.pk).exists()
    response = client.post(reverse("accounts:delete"), {"password": "pw-of-leaver"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not User.objects.filter(username="leaver").exists()
    assert client.get(reverse("accounts:settings")).status_code == 302  # signed out
    failed = client.post(
        reverse("accounts:login"), {"username": "leaver", "password": "pw-of-leaver"}
    )
    assert failed.status_code == 400
    call_command("check_percentiles")


def test_admin_deletion_uses_the_same_service(client, leaving):
    member, _other, titles = leaving
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:accounts_user_delete", args=[member.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()
    assert Title.objects.get(pk=titles[0].pk).ratings_count == 1
    assert ModerationAction.objects.get(verb="dismiss").actor_name == "deleted member"
    call_command("check_percentiles")


def test_a_refresh_queued_before_the_deletion_does_nothing():
    """A taste refresh of the member queued before they left finds no account and ends
    cleanly (no failed task, no row written for the gone member)."""
    member = UserFactory()
    give(member, {TitleFactory(): 10 * i for i in range(1, 6)})
    pk = member.pk
    account_delete(user=member)
    assert taste_tasks.refresh_user_taste_task.call(pk) == {"user_id": pk, "deleted": True}
    assert not TasteProfile.objects.filter(user_id=pk).exists()

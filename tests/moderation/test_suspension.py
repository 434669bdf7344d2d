"""Suspended members: no sign-in, no posting, reviews and collections hidden publicly,
ratings still counted; reversible."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from catalog.models import Title
from collections_app.models import Collection
from moderation import services
from moderation.models import ModerationAction, Suspension, Verb
from moderation.selectors import is_suspended
from ratings.models import Rating
from ratings.services import rate
from tests.factories import CollectionItemFactory, UserFactory
from tests.html import select_one

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def suspended(author, review, collection, moderator):
    CollectionItemFactory(collection=collection, title=review.title, position=1)
    services.suspend(author, moderator, "Spam everywhere")
    return author


def test_suspended_member_cannot_sign_in(client, suspended):
    response = client.post(
        reverse("accounts:login"), {"username": suspended.username, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert SESSION_KEY not in client.session
    assert "This account is suspended by the moderators" in response.content.decode()


def test_wrong_password_does_not_reveal_a_suspension(client, suspended):
    response = client.post(
        reverse("accounts:login"), {"username": suspended.username, "password": "wrong one"}
    )
    assert response.status_code == 400
    assert SESSION_KEY not in client.session
    # The same refusal as for anyone who mistypes a password, and nothing more.
    assert select_one(response, "ul", class_="errorlist").text == (
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    )
    assert list(get_messages(response.wsgi_request)) == []
    assert "suspended" not in response.content.decode().lower()


def test_suspended_member_cannot_sign_in_to_the_admin(client, moderator):
    staff = UserFactory(username="editor", is_staff=True)
    services.suspend(staff, UserFactory(is_superuser=True, is_staff=True), "Compromised")
    response = client.post(reverse("admin:login"), {"username": "editor", "password": PASSWORD})
    assert SESSION_KEY not in client.session
    assert response.status_code == 200


def test_member_suspended_while_signed_in_is_signed_out(client, author, moderator):
    client.force_login(author)
    assert client.get(reverse("accounts:settings")).status_code == 200
    services.suspend(author, moderator, "Spam")
    response = client.get(reverse("home"))
    assert not response.wsgi_request.user.is_authenticated
    assert SESSION_KEY not in client.session
    assert "This account is suspended" in response.content.decode()
    # Lifting does not silently sign them back in.
    services.lift_suspension(author, moderator, "Appeal accepted")
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_suspended_member_cannot_post(client, author, title, moderator):
    client.force_login(author)
    services.suspend(author, moderator, "Spam")
    response = client.post(
        reverse("ratings:rate", args=[title.pk]), {"score": "90", "review": "Spam"}
    )
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert not Rating.objects.filter(user=author, title=title, score=90).exists()
    response = client.post(reverse("collections:collection-create"), {"name": "Spam list"})
    assert response.status_code == 302
    assert not Collection.objects.filter(name="Spam list").exists()


def test_suspended_member_cannot_report(suspended, review, member):
    from moderation.selectors import target_for

    other = rate(member, review.title, 20, review="Another view")
    with pytest.raises(services.ReportRefused, match="suspended"):
        services.report(suspended, target_for(other), "spam")


def test_public_does_not_see_their_reviews(client, suspended, review):
    page = client.get(review.title.get_absolute_url()).content.decode()
    assert "Neither of them tells the truth" not in page
    assert "This review is hidden by a moderator." in page
    assert "Neither of them tells the truth" not in client.get(reverse("home")).content.decode()
    profile = client.get(suspended.get_absolute_url()).content.decode()
    assert "Neither of them tells the truth" not in profile
    assert "This account is suspended" in profile
    assert not Rating.objects.visible().filter(pk=review.pk).exists()


def test_public_does_not_see_their_collections(client, suspended, collection, review):
    assert client.get(collection.get_absolute_url()).status_code == 404
    assert (
        "Best interviews" not in client.get(reverse("collections:collection-list")).content.decode()
    )
    assert "Best interviews" not in client.get(review.title.get_absolute_url()).content.decode()
    assert not Collection.objects.public().filter(pk=collection.pk).exists()


def test_their_ratings_still_count_in_averages(title, moderator):
    raters = [UserFactory() for _ in range(2)]
    for rater in raters:
        for n, other in enumerate(
            Title.objects.bulk_create(
                [Title(name=f"T{rater.pk}-{n}", slug=f"t{rater.pk}-{n}") for n in range(5)]
            )
        ):
            rate(rater, other, n * 20)
    rate(raters[0], title, 100, review="Best")
    rate(raters[1], title, 0, review="Worst")
    before = Title.objects.get(pk=title.pk)
    services.suspend(raters[0], moderator, "Spam")
    after = Title.objects.get(pk=title.pk)
    assert (after.ratings_count, after.avg_percentile) == (
        before.ratings_count,
        before.avg_percentile,
    )
    assert after.ratings_count == 2
    assert Rating.objects.filter(user=raters[0]).count() == 6


def test_lifting_restores_everything(client, suspended, moderator, review, collection):
    assert services.lift_suspension(suspended, moderator, "Appeal accepted")
    assert not is_suspended(suspended)
    page = client.get(review.title.get_absolute_url()).content.decode()
    assert "Neither of them tells the truth" in page
    assert client.get(collection.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("accounts:login"), {"username": suspended.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    verbs = list(ModerationAction.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs == [Verb.SUSPEND, Verb.LIFT_SUSPENSION]
    suspension = Suspension.objects.get()
    assert suspension.lifted_by == moderator and suspension.lift_reason == "Appeal accepted"


def test_suspending_twice_keeps_one_active_suspension(author, moderator):
    first = services.suspend(author, moderator, "Spam")
    assert services.suspend(author, moderator, "Again") == first
    assert Suspension.objects.count() == 1
    assert not services.lift_suspension(UserFactory(), moderator)


def test_suspension_needs_a_reason_and_nobody_suspends_themselves(author, moderator):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.suspend(author, moderator, "  ")
    with pytest.raises(PermissionDenied):
        services.suspend(moderator, moderator, "Oops")


def test_moderator_suspends_and_lifts_in_the_admin(moderator_client, moderator, author):
    add = reverse("admin:moderation_suspension_add")
    response = moderator_client.post(add, {"user": author.pk, "reason": "Spam bot"})
    assert response.status_code == 302
    suspension = Suspension.objects.get()
    assert (suspension.user, suspension.created_by, suspension.reason) == (
        author,
        moderator,
        "Spam bot",
    )
    page = moderator_client.get(reverse("admin:moderation_suspension_changelist")).content.decode()
    assert "Spam bot" in page

    url = reverse("admin:moderation_suspension_changelist")
    moderator_client.post(url, {"action": "lift", "_selected_action": [suspension.pk]})
    response = moderator_client.post(
        url,
        {"action": "lift", "_selected_action": [suspension.pk], "apply": "yes", "reason": "Appeal"},
    )
    assert response.status_code == 302
    assert not is_suspended(author)


def test_admin_refuses_suspending_staff_or_twice(moderator_client, author, moderator):
    add = reverse("admin:moderation_suspension_add")
    staff = UserFactory(is_staff=True)
    response = moderator_client.post(add, {"user": staff.pk, "reason": "No"})
    assert response.status_code == 200
    assert "Only a superuser can suspend a staff member." in response.content.decode()
    services.suspend(author, moderator, "Spam")
    response = moderator_client.post(add, {"user": author.pk, "reason": "Again"})
    assert "is suspended already" in response.content.decode()
    assert Suspension.objects.count() == 1


def test_profile_counts_no_reviews_for_a_suspended_member(suspended, review):
    from accounts.selectors import profile_counts

    counts = profile_counts(suspended)
    assert counts["ratings"] >= 1
    assert counts["reviews"] == 0


@pytest.fixture
def suspended_staff(db):
    staff = UserFactory(username="editor", is_staff=True)
    services.suspend(staff, UserFactory(username="root", is_superuser=True), "Compromised")
    return staff


def test_a_moderator_cannot_lift_a_staff_members_suspension(moderator, suspended_staff):
    with pytest.raises(PermissionDenied, match="Only a superuser can lift"):
        services.lift_suspension(suspended_staff, moderator, "Looks fine")
    assert is_suspended(suspended_staff)
    assert not ModerationAction.objects.filter(verb=Verb.LIFT_SUSPENSION).exists()


def test_a_superuser_lifts_a_staff_members_suspension(suspended_staff):
    root = UserFactory(username="chief", is_staff=True, is_superuser=True)
    assert services.lift_suspension(suspended_staff, root, "Password changed")
    assert not is_suspended(suspended_staff)


def test_the_admin_refuses_a_moderator_lifting_a_staff_suspension(
    moderator_client, suspended_staff
):
    suspension = Suspension.objects.get(user=suspended_staff)
    url = reverse("admin:moderation_suspension_changelist")
    response = moderator_client.post(
        url,
        {"action": "lift", "_selected_action": [suspension.pk], "apply": "yes", "reason": "Ok"},
        follow=True,
    )
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert (
        "Refused: Suspension of editor: Only a superuser can lift a staff member's "
        "suspension." in messages
    )
    assert is_suspended(suspended_staff)
    suspension.refresh_from_db()
    assert suspension.lifted_at is None


def test_deleting_a_reported_rating_keeps_its_case(client, author, review, make_report):
    report = make_report(review)
    client.force_login(author)
    response = client.post(reverse("ratings:unrate", kwargs={"pk": review.title_id}))
    assert response.status_code == 302
    connection.check_constraints()  # what the commit would check (deferred foreign keys)
    report.case.refresh_from_db()
    assert report.case.rating is None
    assert not Rating.objects.filter(pk=review.pk).exists()

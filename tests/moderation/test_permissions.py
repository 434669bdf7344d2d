"""The Moderators group: exactly what moderation needs, and nothing that is not theirs."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Title
from moderation.models import Case
from ratings.models import Rating
from tests.factories import CollectionFactory, UserFactory
from tests.html import select, select_one

pytestmark = pytest.mark.django_db


def test_group_has_only_the_moderation_permissions(moderators_group):
    perms = {
        f"{app}.{codename}"
        for app, codename in moderators_group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert perms == {
        "moderation.view_case",
        "moderation.change_case",
        "moderation.view_report",
        "moderation.view_moderationaction",
        "moderation.view_suspension",
        "moderation.add_suspension",
        "moderation.change_suspension",
        "moderation.view_hiddencollection",
        "ratings.view_rating",
        "collections_app.view_collection",
        "collections_app.view_collectionitem",
        "accounts.view_user",
    }


def test_grant_moderator_command(capsys, moderators_group):
    user = UserFactory(username="carol")
    call_command("grant_moderator", "carol")
    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    assert moderators_group in user.groups.all()
    assert "carol is now a moderator" in capsys.readouterr().out


def test_moderator_cannot_see_or_edit_titles(moderator_client, title):
    url = reverse("admin:catalog_title_change", args=[title.pk])
    assert moderator_client.get(url).status_code == 403
    response = moderator_client.post(url, {"name": "Vandalised", "kind": "film"})
    assert response.status_code == 403
    assert Title.objects.get(pk=title.pk).name == "Interview"
    assert moderator_client.get(reverse("admin:catalog_title_add")).status_code == 403


def test_moderator_cannot_edit_a_staff_user_or_make_themselves_superuser(
    moderator_client, moderator
):
    staff = UserFactory(username="editor", is_staff=True)
    for user in (staff, moderator):
        url = reverse("admin:accounts_user_change", args=[user.pk])
        assert moderator_client.get(url).status_code == 200  # view only
        response = moderator_client.post(
            url, {"username": user.username, "is_superuser": "on", "is_staff": "on"}
        )
        assert response.status_code == 403
    moderator.refresh_from_db()
    assert not moderator.is_superuser
    assert moderator_client.get(reverse("admin:accounts_user_add")).status_code == 403
    assert moderator_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_moderator_cannot_change_scores_or_delete_ratings(moderator_client, review):
    url = reverse("admin:ratings_rating_change", args=[review.pk])
    assert moderator_client.get(url).status_code == 200
    response = moderator_client.post(url, {"score": 1, "review": "changed"})
    assert response.status_code == 403
    assert (
        moderator_client.get(reverse("admin:ratings_rating_delete", args=[review.pk])).status_code
        == 403
    )
    assert Rating.objects.get(pk=review.pk).score == 80


def test_moderator_cannot_publish_or_edit_collections(moderator_client, author):
    private = CollectionFactory(owner=author, is_public=False)
    url = reverse("admin:collections_app_collection_changelist")
    page = moderator_client.get(url).content.decode()
    actions = [option.get("value") for option in select(page, "select", name="action")[0].iter()]
    assert "hide_collections" in actions
    assert "publish" not in actions
    moderator_client.post(url, {"action": "publish", "_selected_action": [private.pk]})
    private.refresh_from_db()
    assert not private.is_public
    change = reverse("admin:collections_app_collection_change", args=[private.pk])
    assert moderator_client.post(change, {"name": "Mine now"}).status_code == 403


def test_moderator_cannot_delete_queue_items_or_the_log(moderator_client, review, make_report):
    make_report(review)
    case = Case.objects.get()
    assert (
        moderator_client.get(reverse("admin:moderation_case_delete", args=[case.pk])).status_code
        == 403
    )
    assert moderator_client.get(reverse("admin:moderation_case_add")).status_code == 403
    assert moderator_client.get(reverse("admin:moderation_moderationaction_add")).status_code == 403


def test_staff_without_the_group_cannot_open_the_queue_or_act(client, review, make_report):
    make_report(review)
    case = Case.objects.get()
    client.force_login(UserFactory(is_staff=True))
    url = reverse("admin:moderation_case_changelist")
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"action": "hide_item", "_selected_action": [case.pk], "apply": "yes"}
    )
    assert response.status_code == 403
    assert not Rating.objects.get(pk=review.pk).review_hidden


def test_members_cannot_open_the_admin(member_client):
    response = member_client.get(reverse("admin:moderation_case_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_view_only_staff_cannot_use_the_rating_hide_action(client, review, moderator):
    url = reverse("admin:ratings_rating_changelist")
    hide = {"action": "hide_reviews", "_selected_action": [review.pk]}
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_rating"))
    client.force_login(viewer)
    changelist = client.get(url)
    assert changelist.status_code == 200
    assert select(changelist, "option", value="hide_reviews") == []
    # With no action allowed the admin ignores the POST and shows the list again.
    assert client.post(url, hide).status_code == 200
    assert not Rating.objects.get(pk=review.pk).review_hidden
    # The same request from a moderator hides the review: the refusal above is the permission.
    client.force_login(moderator)
    option = select_one(client.get(url), "option", value="hide_reviews")
    assert option.text == "Hide the selected reviews from the public"
    client.post(url, hide)
    assert Rating.objects.get(pk=review.pk).review_hidden


def test_group_is_made_again_with_the_same_permissions_if_deleted(moderators_group):
    from moderation.services import moderators_group as ensure_group

    expected = set(moderators_group.permissions.all())
    moderators_group.delete()
    assert set(ensure_group().permissions.all()) == expected

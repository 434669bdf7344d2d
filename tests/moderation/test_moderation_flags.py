"""User.is_suspended and Collection.hidden_by_moderator follow the moderation rows.

Lower apps (ratings, collections) filter on these flags instead of importing
moderation, so every moderation write keeps them in step with Suspension and
HiddenCollection, in the same transaction.
"""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from collections_app.models import Collection
from moderation import services
from moderation.models import HiddenCollection, Suspension
from ratings.models import Rating

pytestmark = pytest.mark.django_db

backfill_migration = importlib.import_module("moderation.migrations.0003_backfill_moderation_flags")


def _suspended_in_db(user) -> bool:
    return get_user_model().objects.values_list("is_suspended", flat=True).get(pk=user.pk)


def _hidden_in_db(collection) -> bool:
    return Collection.objects.values_list("hidden_by_moderator", flat=True).get(pk=collection.pk)


def test_suspend_and_lift_set_and_clear_is_suspended(author, moderator):
    services.suspend(author, moderator, "Spam")
    assert _suspended_in_db(author) is True
    assert author.is_suspended is True
    services.lift_suspension(author, moderator, "Sorry")
    assert _suspended_in_db(author) is False
    assert author.is_suspended is False


def test_suspending_twice_keeps_one_suspension_and_the_flag(author, moderator):
    first = services.suspend(author, moderator, "Spam")
    assert services.suspend(author, moderator, "Again") == first
    assert _suspended_in_db(author) is True
    assert Suspension.objects.count() == 1


def test_a_refused_suspension_leaves_the_flag_down(author, moderator):
    with pytest.raises(ValidationError):
        services.suspend(author, moderator, "   ")
    assert _suspended_in_db(author) is False


def test_suspending_a_case_author_sets_the_flag(review, member, moderator, make_report):
    case = make_report(review, member).case
    assert services.suspend_case_author(case, moderator, "Spam")
    assert _suspended_in_db(review.user) is True


def test_suspended_members_reviews_and_collections_leave_the_public_querysets(
    author, review, collection, moderator
):
    assert Rating.objects.visible().filter(pk=review.pk).exists()
    assert Collection.objects.public().filter(pk=collection.pk).exists()
    services.suspend(author, moderator, "Spam")
    assert not Rating.objects.visible().filter(pk=review.pk).exists()
    assert not Collection.objects.public().filter(pk=collection.pk).exists()
    services.lift_suspension(author, moderator)
    assert Rating.objects.visible().filter(pk=review.pk).exists()
    assert Collection.objects.public().filter(pk=collection.pk).exists()


def test_hide_and_unhide_set_and_clear_hidden_by_moderator(collection, moderator):
    assert services.hide_collection(collection, moderator, "Spam")
    assert _hidden_in_db(collection) is True
    assert collection.hidden_by_moderator is True
    assert not Collection.objects.public().filter(pk=collection.pk).exists()
    assert services.unhide_collection(collection, moderator, "Fine after all")
    assert _hidden_in_db(collection) is False
    assert Collection.objects.public().filter(pk=collection.pk).exists()


def test_hiding_and_restoring_a_case_item_follow_the_flag(
    collection, member, moderator, make_report
):
    case = make_report(collection, member).case
    assert services.hide_case_item(case, moderator, "Spam")
    assert _hidden_in_db(collection) is True
    assert services.restore_case_item(case, moderator, "Mistake")
    assert _hidden_in_db(collection) is False


def test_hiding_does_not_move_the_collection_in_recently_updated_lists(collection, moderator):
    before = Collection.objects.values_list("updated_at", flat=True).get(pk=collection.pk)
    services.hide_collection(collection, moderator, "Spam")
    assert Collection.objects.values_list("updated_at", flat=True).get(pk=collection.pk) == before


def test_backfill_copies_active_suspensions_and_hidden_collections(
    author, member, collection, moderator
):
    services.suspend(author, moderator, "Spam")
    services.suspend(member, moderator, "Spam")
    services.lift_suspension(member, moderator)
    services.hide_collection(collection, moderator, "Spam")
    # As before the migration: the rows exist, the flags do not.
    get_user_model().objects.update(is_suspended=False)
    Collection.objects.update(hidden_by_moderator=False)
    assert Suspension.objects.count() == 2 and HiddenCollection.objects.count() == 1

    backfill_migration.backfill(apps, None)

    assert _suspended_in_db(author) is True
    assert _suspended_in_db(member) is False
    assert _suspended_in_db(moderator) is False
    assert _hidden_in_db(collection) is True

"""The hourly collection limit is checked inside collection_create, under the owner lock."""

import pytest
from django.core.exceptions import ValidationError

from collections_app import services
from collections_app.models import Collection
from tests.concurrency import race_behind_member_lock
from tests.factories import TitleFactory, UserFactory


@pytest.fixture
def limit_of_two(settings):
    settings.MODERATION_COLLECTIONS_PER_HOUR = 2


@pytest.mark.django_db
def test_create_refuses_past_the_limit_with_a_code(limit_of_two):
    owner = UserFactory()
    services.collection_create(owner, "One")
    services.collection_create_with_title(owner, "Two", TitleFactory())
    for create in (
        lambda: services.collection_create(owner, "Three"),
        lambda: services.collection_create_with_title(owner, "Three", TitleFactory()),
    ):
        with pytest.raises(ValidationError) as refusal:
            create()
        assert refusal.value.code == "too_many_collections"
        assert refusal.value.messages == [
            "You have created 2 collections in the last hour, the most allowed. "
            "Please try again later."
        ]
    assert Collection.objects.filter(owner=owner).count() == 2


@pytest.mark.django_db
def test_imports_may_pass_the_limit(limit_of_two):
    owner = UserFactory()
    for n in range(3):
        services.collection_create(owner, f"Imported {n}", limit_creations=False)
    assert Collection.objects.filter(owner=owner).count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_at_the_limit_exactly_one_is_saved():
    """Two connections create the 10th and 11th collection at once.

    The main thread holds the owner's row lock until both wait on it, so both are in
    flight together; a limit checked before the lock would let both through.
    """
    owner = UserFactory()
    for n in range(9):
        services.collection_create(owner, f"List {n}")
    outcomes = race_behind_member_lock(
        owner,
        [
            lambda: services.collection_create(owner, "Tenth"),
            lambda: services.collection_create(owner, "Eleventh"),
        ],
    )

    assert outcomes == ["saved", "too_many_collections"]
    assert Collection.objects.filter(owner=owner).count() == 10

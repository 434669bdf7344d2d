import pytest
from django.core.exceptions import ValidationError

from catalog.models import Title
from collections_app import services
from collections_app.models import MAX_ITEMS, Collection, CollectionItem
from tests.collections_app.conftest import assert_dense, positions
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db


def names(collection) -> list[str]:
    return [name for name, _ in positions(collection)]


def test_create_sets_slug_and_defaults(owner):
    collection = services.collection_create(owner, "  Films about   interviews ")
    assert collection.name == "Films about interviews"
    assert collection.slug == "films-about-interviews"
    assert collection.is_public
    assert collection.items_count == 0
    assert collection.get_absolute_url() == f"/collections/{collection.pk}/films-about-interviews/"


def test_create_can_be_private_with_description(owner):
    collection = services.collection_create(owner, "Secret", "Only mine.", is_public=False)
    assert not collection.is_public
    assert collection.description == "Only mine."


def test_name_without_latin_letters_still_gets_a_slug(owner):
    assert services.collection_create(owner, "映画").slug == "collection"


@pytest.mark.parametrize("name", ["edit", "Delete", "items"])
def test_slugs_that_look_like_action_urls_are_avoided(owner, name):
    assert services.collection_create(owner, name).slug == f"{name.lower()}-collection"


def test_empty_name_is_refused(owner):
    with pytest.raises(ValidationError, match="Give the collection a name"):
        services.collection_create(owner, "   ")


def test_name_of_120_characters_is_accepted_and_121_refused(owner):
    assert services.collection_create(owner, "n" * 120).name == "n" * 120
    with pytest.raises(ValidationError, match="at most 120 characters"):
        services.collection_create(owner, "n" * 121)
    assert Collection.objects.count() == 1


def test_description_of_2000_characters_is_accepted_and_2001_refused(owner):
    services.collection_create(owner, "Long", "d" * 2000)
    with pytest.raises(ValidationError, match="at most 2,000 characters"):
        services.collection_create(owner, "Longer", "d" * 2001)


def test_update_changes_name_slug_description_and_visibility(make_collection):
    collection = make_collection(titles=1)
    services.collection_update(
        collection, name="Renamed list", description="New words", is_public=False
    )
    collection.refresh_from_db()
    assert (collection.name, collection.slug) == ("Renamed list", "renamed-list")
    assert collection.description == "New words"
    assert not collection.is_public
    assert collection.items_count == 1


def test_update_refuses_too_long_values_and_keeps_the_old_ones(make_collection):
    collection = make_collection()
    with pytest.raises(ValidationError):
        services.collection_update(collection, name="x" * 121)
    with pytest.raises(ValidationError):
        services.collection_update(collection, description="x" * 2001)
    collection.refresh_from_db()
    assert collection.name == "Two-handers"


def test_delete_removes_items_but_not_titles(make_collection):
    collection = make_collection(titles=2)
    services.collection_delete(collection)
    assert not Collection.objects.exists()
    assert not CollectionItem.objects.exists()
    assert Title.objects.count() == 2


def test_add_title_appends_at_the_end_with_note(make_collection):
    collection = make_collection(titles=2)
    title = TitleFactory(name="Interview")
    item = services.collection_add_title(collection, title, "  Buscemi and Miller  ")
    assert item.position == 3
    assert item.note == "Buscemi and Miller"
    assert collection.items_count == 3
    assert names(collection)[-1] == "Interview"
    assert_dense(collection)


def test_add_title_bumps_updated_at(make_collection):
    collection = make_collection()
    before = collection.updated_at
    services.collection_add_title(collection, TitleFactory())
    collection.refresh_from_db()
    assert collection.updated_at > before


def test_duplicate_title_is_refused_politely(make_collection):
    collection = make_collection()
    title = TitleFactory(name="Interview", year=2007)
    services.collection_add_title(collection, title)
    with pytest.raises(ValidationError) as error:
        services.collection_add_title(collection, title)
    assert error.value.messages == ["“Interview (2007)” is already in “Two-handers”."]
    assert error.value.code == "duplicate_title"
    assert_dense(collection)


def test_note_longer_than_300_characters_is_refused(make_collection):
    collection = make_collection()
    with pytest.raises(ValidationError, match="at most 300 characters"):
        services.collection_add_title(collection, TitleFactory(), "n" * 301)
    assert collection.items.count() == 0


def test_collection_holds_at_most_5000_titles(make_collection):
    collection = make_collection()
    titles = Title.objects.bulk_create(
        [Title(name=f"Bulk {n}", slug=f"bulk-{n}") for n in range(MAX_ITEMS)]
    )
    CollectionItem.objects.bulk_create(
        [
            CollectionItem(collection=collection, title=title, position=n + 1)
            for n, title in enumerate(titles)
        ]
    )
    Collection.objects.filter(pk=collection.pk).update(items_count=MAX_ITEMS)
    with pytest.raises(ValidationError) as error:
        services.collection_add_title(collection, TitleFactory(name="One too many"))
    assert "already holds 5,000 titles" in error.value.messages[0]
    assert error.value.code == "collection_full"
    assert collection.items.count() == MAX_ITEMS


def test_collection_with_4999_titles_accepts_one_more(make_collection):
    collection = make_collection()
    titles = Title.objects.bulk_create(
        [Title(name=f"Bulk {n}", slug=f"bulk-{n}") for n in range(MAX_ITEMS - 1)]
    )
    CollectionItem.objects.bulk_create(
        [
            CollectionItem(collection=collection, title=title, position=n + 1)
            for n, title in enumerate(titles)
        ]
    )
    Collection.objects.filter(pk=collection.pk).update(items_count=MAX_ITEMS - 1)
    item = services.collection_add_title(collection, TitleFactory(name="The last one"))
    assert item.position == MAX_ITEMS


def test_remove_title_closes_the_gap(make_collection):
    collection = make_collection(titles=4)
    second = collection.items.get(position=2).title
    services.collection_remove_title(collection, second)
    assert names(collection) == [
        "Two-handers title 1",
        "Two-handers title 3",
        "Two-handers title 4",
    ]
    assert collection.items_count == 3
    assert_dense(collection)


def test_removing_a_title_not_in_the_collection_is_refused(make_collection):
    collection = make_collection(titles=1)
    with pytest.raises(ValidationError, match="is not in"):
        services.collection_remove_title(collection, TitleFactory())


@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        (4, 1, [4, 1, 2, 3, 5]),
        (1, 4, [2, 3, 4, 1, 5]),
        (3, 3, [1, 2, 3, 4, 5]),
        (2, 3, [1, 3, 2, 4, 5]),
        (5, 1, [5, 1, 2, 3, 4]),
        (1, 5, [2, 3, 4, 5, 1]),
        (2, 99, [1, 3, 4, 5, 2]),
    ],
)
def test_move_item_shifts_the_titles_between(make_collection, start, target, expected):
    collection = make_collection(titles=5)
    item = collection.items.get(position=start)
    moved = services.collection_move_item(collection, item, target)
    assert moved.position == min(target, 5)
    assert names(collection) == [f"Two-handers title {n}" for n in expected]
    assert_dense(collection)


@pytest.mark.parametrize("position", [0, -3, "two", None])
def test_move_to_an_invalid_position_is_refused(make_collection, position):
    collection = make_collection(titles=3)
    with pytest.raises(ValidationError):
        services.collection_move_item(collection, collection.items.get(position=2), position)
    assert_dense(collection)


def test_move_item_of_another_collection_is_refused(make_collection):
    mine = make_collection(titles=2)
    theirs = make_collection(titles=2, name="Other")
    with pytest.raises(ValidationError, match="no longer in this collection"):
        services.collection_move_item(mine, theirs.items.first(), 1)


def test_move_uses_fresh_positions_not_the_callers_stale_copy(make_collection):
    collection = make_collection(titles=3)
    stale = collection.items.get(position=3)
    services.collection_remove_title(collection, collection.items.get(position=1).title)
    services.collection_move_item(collection, stale, 1)
    assert names(collection) == ["Two-handers title 3", "Two-handers title 2"]
    assert_dense(collection)


def test_set_note_and_clear_it(make_collection):
    collection = make_collection(titles=1)
    item = collection.items.get()
    services.collection_set_note(collection, item, "Watch it twice.")
    item.refresh_from_db()
    assert item.note == "Watch it twice."
    services.collection_set_note(collection, item, "")
    item.refresh_from_db()
    assert item.note == ""


def test_set_note_refuses_301_characters_and_keeps_the_old_note(make_collection):
    collection = make_collection(titles=1)
    item = collection.items.get()
    services.collection_set_note(collection, item, "Kept.")
    with pytest.raises(ValidationError, match="at most 300 characters"):
        services.collection_set_note(collection, item, "n" * 301)
    item.refresh_from_db()
    assert item.note == "Kept."


def test_create_with_title_creates_both(owner):
    title = TitleFactory(name="Interview")
    collection = services.collection_create_with_title(owner, "Talkies", title, "First one")
    assert positions(collection) == [("Interview", 1)]
    assert collection.items.get().note == "First one"

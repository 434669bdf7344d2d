import pytest
from django.urls import reverse

from collections_app import services
from collections_app.models import Collection
from collections_app.selectors import COLLECTIONS_PER_PAGE, ITEMS_PER_PAGE
from tests.collections_app.conftest import assert_dense, positions
from tests.factories import TitleFactory, UserFactory
from tests.html import select, select_one, top_level

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def names(collection):
    return [name for name, _ in positions(collection)]


# Browsing ---------------------------------------------------------------------------------


def test_list_searches_public_collections_by_name(client, make_collection):
    make_collection(name="Film noir essentials")
    make_collection(name="Comfort watches")
    make_collection(name="Noir, but private", is_public=False)
    response = client.get(reverse("collections:collection-list"), {"q": "NOIR"})
    content = response.content.decode()
    assert "Film noir essentials" in content
    assert "Comfort watches" not in content
    assert "Noir, but private" not in content
    assert "Showing 1 - 1 of 1 result for “NOIR”" in content


def test_list_search_with_no_match_says_so(client, make_collection):
    make_collection()
    response = client.get(reverse("collections:collection-list"), {"q": "zzz"})
    assert "No public collection has “zzz” in its name." in response.content.decode()


def test_list_sorts_by_size_name_and_recent_update(client, make_collection):
    small = make_collection(titles=1, name="B small")
    big = make_collection(titles=3, name="C big")
    middle = make_collection(titles=2, name="A middle")
    services.collection_update(small, description="touched last")

    def order(sort):
        response = client.get(reverse("collections:collection-list"), {"sort": sort})
        return [c.name for c in response.context["page_obj"]]

    assert order("size") == [big.name, middle.name, small.name]
    assert order("name") == [middle.name, small.name, big.name]
    assert order("updated") == [small.name, middle.name, big.name]
    assert order("nonsense") == order("updated")


def test_list_is_paginated(client, owner):
    for n in range(COLLECTIONS_PER_PAGE + 2):
        services.collection_create(owner, f"List {n:02}", limit_creations=False)
    response = client.get(reverse("collections:collection-list"), {"sort": "name", "page": 2})
    page = response.context["page_obj"]
    assert [c.name for c in page] == [
        f"List {COLLECTIONS_PER_PAGE:02}",
        f"List {COLLECTIONS_PER_PAGE + 1:02}",
    ]
    assert "Page 2 of 2" in response.content.decode()
    assert client.get(reverse("collections:collection-list"), {"page": "abc"}).status_code == 200


def test_list_cards_show_first_posters_owner_and_size(client, make_collection):
    make_collection(titles=6, name="Six pack")
    content = client.get(reverse("collections:collection-list")).content.decode()
    assert "Six pack title 4" in content
    assert "Six pack title 5" not in content
    assert "by curator" in content
    assert "6 titles" in content


def test_my_collections_lists_public_and_private_of_the_member_only(client, make_collection, owner):
    make_collection(name="Open list")
    make_collection(name="Closed list", is_public=False)
    make_collection(name="Somebody else's", user=UserFactory())
    client.force_login(owner)
    content = client.get(reverse("collections:my-collections")).content.decode()
    assert "Open list" in content and "Closed list" in content
    assert "Somebody else" not in content


def test_detail_with_wrong_slug_redirects_permanently_to_the_canonical_url(client, make_collection):
    collection = make_collection()
    response = client.get(f"/collections/{collection.pk}/old-name/?page=2")
    assert response.status_code == 301
    assert response["Location"] == f"{collection.get_absolute_url()}?page=2"


def test_private_collection_with_wrong_slug_is_still_404_for_others(client, make_collection):
    collection = make_collection(is_public=False)
    assert client.get(f"/collections/{collection.pk}/old-name/").status_code == 404


def test_detail_shows_titles_in_order_with_year_percentile_and_notes(client, make_collection):
    collection = make_collection()
    first = TitleFactory(
        name="Interview", year=2007, percentile_sum=4687, percentile_count=100, ratings_count=421
    )
    second = TitleFactory(name="Before Sunrise", year=1995)
    services.collection_add_title(collection, second)
    services.collection_add_title(collection, first, "Two people, one room")
    services.collection_move_item(collection, collection.items.get(title=first), 1)
    content = client.get(collection.get_absolute_url()).content.decode()
    assert content.index("Interview") < content.index("Before Sunrise")
    assert "(2007)" in content and "(1995)" in content
    assert "46.87%" in content
    assert "421 ratings" in content
    assert "No average percentile yet" in content
    assert "Two people, one room" in content
    assert "Showing 1 - 2 of 2 results" in content


def test_visitors_see_no_editing_controls(client, make_collection, other):
    collection = make_collection(titles=2)
    client.force_login(other)
    content = client.get(collection.get_absolute_url()).content.decode()
    assert "Move Two-handers title 1 up" not in content
    assert "Add titles" not in content
    assert "Edit note" not in content and "Add a note" not in content


def test_large_collection_is_paginated(client, make_collection):
    collection = make_collection(titles=ITEMS_PER_PAGE + 3)
    response = client.get(collection.get_absolute_url(), {"page": 2})
    content = response.content.decode()
    assert (
        f"Showing {ITEMS_PER_PAGE + 1} - {ITEMS_PER_PAGE + 3} of {ITEMS_PER_PAGE + 3} results"
        in content
    )
    assert select_one(content, "ol", class_="collection-items").get("start") == str(
        ITEMS_PER_PAGE + 1
    )


# Create, edit, delete ------------------------------------------------------------------


def test_create_collection_and_land_on_its_page(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("collections:collection-create"),
        {"name": "Dialogue films", "description": "Talk, talk, talk.", "is_public": "on"},
    )
    collection = Collection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == collection.get_absolute_url()
    assert collection.owner == owner and collection.is_public


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Give the collection a name."),
        (
            {"name": "n" * 121},
            "A collection name can be at most 120 characters (this one has 121).",
        ),
        (
            {"name": "Fine", "description": "d" * 2001},
            "A description can be at most 2,000 characters (this one has 2,001).",
        ),
    ],
)
def test_create_with_bad_input_is_400_with_the_message_and_keeps_the_input(
    client, owner, data, message
):
    client.force_login(owner)
    response = client.post(reverse("collections:collection-create"), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    if data.get("description"):
        assert "d" * 2001 in content
    assert not Collection.objects.exists()


def test_edit_makes_a_collection_private_and_renames_it(client, make_collection, owner):
    collection = make_collection()
    client.force_login(owner)
    response = client.post(
        reverse("collections:collection-edit", args=[collection.pk]),
        {"name": "Renamed", "description": ""},
    )
    collection.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == collection.get_absolute_url()
    assert collection.name == "Renamed" and not collection.is_public


def test_edit_with_too_long_name_is_400_and_changes_nothing(client, make_collection, owner):
    collection = make_collection()
    client.force_login(owner)
    response = client.post(
        reverse("collections:collection-edit", args=[collection.pk]), {"name": "x" * 200}
    )
    assert response.status_code == 400
    collection.refresh_from_db()
    assert collection.name == "Two-handers"


def test_delete_asks_first_then_deletes(client, make_collection, owner):
    collection = make_collection(titles=2)
    client.force_login(owner)
    confirm = client.get(reverse("collections:collection-delete", args=[collection.pk]))
    assert "Delete “Two-handers”?" in confirm.content.decode()
    response = client.post(reverse("collections:collection-delete", args=[collection.pk]))
    assert response["Location"] == reverse("collections:my-collections")
    assert not Collection.objects.exists()


# Items without JavaScript ---------------------------------------------------------------


def test_move_up_and_down_buttons(client, make_collection, owner):
    collection = make_collection(titles=3)
    client.force_login(owner)
    second = collection.items.get(position=2)
    url = reverse("collections:item-move", args=[collection.pk, second.pk])
    response = client.post(url, {"direction": "up"})
    assert response["Location"] == f"{collection.get_absolute_url()}#item-{second.pk}"
    assert names(collection)[0] == "Two-handers title 2"
    client.post(url, {"direction": "down"})
    client.post(url, {"direction": "down"})
    client.post(url, {"direction": "down"})  # already last: stays last
    assert names(collection)[-1] == "Two-handers title 2"
    assert_dense(collection)


def test_move_to_position_lands_on_the_page_showing_the_item(client, make_collection, owner):
    collection = make_collection(titles=ITEMS_PER_PAGE + 2)
    item = collection.items.get(position=1)
    client.force_login(owner)
    response = client.post(
        reverse("collections:item-move", args=[collection.pk, item.pk]), {"position": "999"}
    )
    assert response["Location"] == f"{collection.get_absolute_url()}?page=2#item-{item.pk}"
    item.refresh_from_db()
    assert item.position == ITEMS_PER_PAGE + 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"position": "0"}, "Positions start at 1."),
        ({"position": "two"}, "The position must be a whole number."),
        ({"position": "99999"}, "A collection holds at most 5,000 titles."),
        ({"direction": "sideways"}, "Select a valid choice."),
        ({}, "Say where to move the title: up, down or a position."),
    ],
)
def test_bad_move_is_400_with_a_message(client, make_collection, owner, data, message):
    collection = make_collection(titles=2)
    item = collection.items.get(position=2)
    client.force_login(owner)
    response = client.post(reverse("collections:item-move", args=[collection.pk, item.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert names(collection) == ["Two-handers title 1", "Two-handers title 2"]


def test_note_is_saved_and_too_long_note_is_kept_in_the_field(client, make_collection, owner):
    collection = make_collection(titles=1)
    item = collection.items.get()
    client.force_login(owner)
    url = reverse("collections:item-note", args=[collection.pk, item.pk])
    client.post(url, {"note": "Seen it three times"})
    item.refresh_from_db()
    assert item.note == "Seen it three times"
    long_note = "word " * 70
    response = client.post(url, {"note": long_note})
    assert response.status_code == 400
    content = response.content.decode()
    assert "A note can be at most 300 characters (this one has 349)." in content
    assert long_note.strip() in content
    item.refresh_from_db()
    assert item.note == "Seen it three times"


def test_remove_title(client, make_collection, owner):
    collection = make_collection(titles=3)
    client.force_login(owner)
    item = collection.items.get(position=1)
    response = client.post(reverse("collections:item-remove", args=[collection.pk, item.pk]))
    assert response.status_code == 302
    assert names(collection) == ["Two-handers title 2", "Two-handers title 3"]
    assert_dense(collection)


def test_find_and_add_titles_on_the_collection_page(client, make_collection, owner):
    collection = make_collection(titles=1)
    wanted = TitleFactory(name="Interview", year=2007)
    client.force_login(owner)
    page = client.get(collection.get_absolute_url(), {"find": "interv"})
    assert "Add Interview" in page.content.decode()
    already = client.get(collection.get_absolute_url(), {"find": "Two-handers"})
    assert "Already here" in already.content.decode()
    response = client.post(
        reverse("collections:item-add", args=[collection.pk]),
        {"title": wanted.pk, "find": "interv"},
    )
    assert response.status_code == 302
    assert "find=interv" in response["Location"]
    assert names(collection)[-1] == "Interview"


def test_adding_a_duplicate_or_missing_title_is_400_with_a_message(client, make_collection, owner):
    collection = make_collection(titles=1)
    client.force_login(owner)
    url = reverse("collections:item-add", args=[collection.pk])
    duplicate = client.post(url, {"title": collection.items.get().title_id})
    assert duplicate.status_code == 400
    assert "is already in “Two-handers”" in duplicate.content.decode()
    missing = client.post(url, {"title": 987654})
    assert missing.status_code == 400
    assert "That title does not exist." in missing.content.decode()
    assert_dense(collection)


# Items with htmx ------------------------------------------------------------------------


def test_htmx_move_returns_only_the_refreshed_list(client, make_collection, owner):
    collection = make_collection(titles=3)
    client.force_login(owner)
    item = collection.items.get(position=3)
    response = client.post(
        reverse("collections:item-move", args=[collection.pk, item.pk]),
        {"position": "1", "page": "1"},
        headers=HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert top_level(content) == ["section"]
    section = select_one(content, "section", id="collection-items")
    assert section.classes == {"collection-items-section"}
    assert "Moved “Two-handers title 3 (2002)” to position 1." in content
    assert content.index("Two-handers title 3") < content.index("Two-handers title 1")


def test_htmx_bad_note_is_400_fragment_with_message(client, make_collection, owner):
    collection = make_collection(titles=1)
    item = collection.items.get()
    client.force_login(owner)
    response = client.post(
        reverse("collections:item-note", args=[collection.pk, item.pk]),
        {"note": "n" * 301},
        headers=HTMX,
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert select(content, "html") == []
    note = select_one(content, "input", name="note", id=f"note-{item.pk}")
    assert note.get("aria-invalid") == "true"
    assert note.get("aria-describedby") == f"note-error-{item.pk}"
    assert select_one(content, id=f"note-error-{item.pk}")


def test_htmx_remove_keeps_the_page_the_owner_was_on(client, make_collection, owner):
    collection = make_collection(titles=ITEMS_PER_PAGE + 3)
    item = collection.items.get(position=ITEMS_PER_PAGE + 1)
    client.force_login(owner)
    response = client.post(
        reverse("collections:item-remove", args=[collection.pk, item.pk]),
        {"page": "2"},
        headers=HTMX,
    )
    assert response.context["page_obj"].number == 2
    assert f"of {ITEMS_PER_PAGE + 2} results" in response.content.decode()

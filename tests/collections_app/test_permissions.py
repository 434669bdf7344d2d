"""Who may see and change a collection: the owner changes; a private collection is a 404
for everyone else; every change is a POST with a CSRF token."""

import pytest
from django.test import Client
from django.urls import reverse

from collections_app.models import Collection
from tests.factories import TitleFactory
from tests.html import select_one

pytestmark = pytest.mark.django_db


def change_requests(collection):
    """(name, url, POST data) for every change a collection accepts."""
    item = collection.items.order_by("position").last()
    pk = collection.pk
    return [
        ("edit", reverse("collections:collection-edit", args=[pk]), {"name": "Hijacked"}),
        ("delete", reverse("collections:collection-delete", args=[pk]), {}),
        ("item-add", reverse("collections:item-add", args=[pk]), {"title": TitleFactory().pk}),
        ("item-remove", reverse("collections:item-remove", args=[pk, item.pk]), {}),
        ("item-move", reverse("collections:item-move", args=[pk, item.pk]), {"position": "1"}),
        ("item-note", reverse("collections:item-note", args=[pk, item.pk]), {"note": "Mine now"}),
    ]


def snapshot(collection):
    collection.refresh_from_db()
    items = list(collection.items.order_by("position").values_list("title_id", "position", "note"))
    return (collection.name, collection.is_public, collection.items_count, items)


@pytest.fixture(params=[True, False], ids=["public", "private"])
def collection(request, make_collection):
    return make_collection(titles=3, is_public=request.param)


@pytest.mark.parametrize("visitor", ["anonymous", "other user"])
def test_private_collection_is_404_for_everyone_but_its_owner(
    client, make_collection, other, visitor
):
    collection = make_collection(titles=1, is_public=False)
    if visitor == "other user":
        client.force_login(other)
    assert client.get(collection.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("visitor", ["anonymous", "other user", "owner"])
def test_public_collection_is_visible_to_everyone(client, make_collection, owner, other, visitor):
    collection = make_collection(titles=1)
    if visitor != "anonymous":
        client.force_login(owner if visitor == "owner" else other)
    response = client.get(collection.get_absolute_url())
    assert response.status_code == 200
    assert "Two-handers title 1" in response.content.decode()


def test_owner_sees_their_private_collection(client, make_collection, owner):
    collection = make_collection(titles=1, is_public=False)
    client.force_login(owner)
    response = client.get(collection.get_absolute_url())
    assert response.status_code == 200
    assert "Private" in response.content.decode()


def test_missing_collection_is_404(client):
    assert client.get("/collections/999999/anything/").status_code == 404


@pytest.mark.parametrize("change", range(6))
def test_other_user_cannot_change_a_collection(client, collection, other, change):
    name, url, data = change_requests(collection)[change]
    before = snapshot(collection)
    client.force_login(other)
    response = client.post(url, data)
    # A private collection does not admit it exists; a public one refuses.
    assert response.status_code == (403 if collection.is_public else 404), name
    assert snapshot(collection) == before


@pytest.mark.parametrize("change", range(6))
def test_anonymous_visitor_cannot_change_a_collection(client, collection, change):
    name, url, data = change_requests(collection)[change]
    before = snapshot(collection)
    response = client.post(url, data)
    if collection.is_public:
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == 404, name
    assert snapshot(collection) == before


@pytest.mark.parametrize("change", range(6))
def test_owner_can_make_every_change(client, collection, owner, change):
    name, url, data = change_requests(collection)[change]
    before = snapshot(collection)
    client.force_login(owner)
    response = client.post(url, data)
    assert response.status_code == 302, name
    if name == "delete":
        assert not Collection.objects.filter(pk=collection.pk).exists()
    else:
        assert snapshot(collection) != before, name


@pytest.mark.parametrize("change", range(2, 6))
def test_item_changes_refuse_get(client, collection, owner, change):
    name, url, _ = change_requests(collection)[change]
    client.force_login(owner)
    before = snapshot(collection)
    assert client.get(url).status_code == 405, name
    assert snapshot(collection) == before


@pytest.mark.parametrize("change", range(6))
def test_every_change_needs_a_csrf_token(collection, owner, change):
    name, url, data = change_requests(collection)[change]
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot(collection)
    assert client.post(url, data).status_code == 403, name
    assert snapshot(collection) == before


def test_get_on_edit_and_delete_only_shows_forms(client, collection, owner):
    client.force_login(owner)
    before = snapshot(collection)
    for name in ("collection-edit", "collection-delete"):
        assert client.get(reverse(f"collections:{name}", args=[collection.pk])).status_code == 200
    assert snapshot(collection) == before


@pytest.mark.parametrize("name", ["collection-edit", "collection-delete"])
def test_other_user_cannot_even_open_edit_or_delete(client, collection, other, name):
    client.force_login(other)
    response = client.get(reverse(f"collections:{name}", args=[collection.pk]))
    assert response.status_code == (403 if collection.is_public else 404)


def test_item_of_another_collection_is_404_even_for_an_owner(client, make_collection, owner):
    mine = make_collection(titles=1)
    theirs = make_collection(titles=1, name="Not this one")
    client.force_login(owner)
    url = reverse("collections:item-remove", args=[mine.pk, theirs.items.get().pk])
    assert client.post(url).status_code == 404
    assert theirs.items.count() == 1


def test_pages_for_members_send_anonymous_visitors_to_sign_in(client):
    title = TitleFactory()
    for url in (
        reverse("collections:my-collections"),
        reverse("collections:collection-create"),
        reverse("collections:title-add", args=[title.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(reverse("collections:title-add", args=[title.pk]), {"new_name": "X"})
    assert response.status_code == 302
    assert not Collection.objects.exists()


def test_cannot_add_a_title_to_someone_elses_collection_from_a_title_page(
    client, make_collection, other
):
    theirs = make_collection()
    title = TitleFactory()
    client.force_login(other)
    response = client.post(
        reverse("collections:title-add", args=[title.pk]), {"collection": theirs.pk}
    )
    assert response.status_code == 400
    assert theirs.items.count() == 0


def test_private_collections_never_show_in_lists_or_on_title_pages(client, make_collection):
    collection = make_collection(titles=1, is_public=False, name="Hidden gems")
    title = collection.items.get().title
    assert "Hidden gems" not in client.get(reverse("collections:collection-list")).content.decode()
    fragment = client.get(
        reverse("collections:title-collections", args=[title.pk]), headers={"HX-Request": "true"}
    )
    assert "Hidden gems" not in fragment.content.decode()
    assert select_one(fragment, "h2", id="collections-heading").text == "Collections (0)"

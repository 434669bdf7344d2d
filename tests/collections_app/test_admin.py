import pytest
from django.urls import reverse

from collections_app import services
from collections_app.models import Collection
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_changelist_searches_and_filters(staff_client, make_collection):
    make_collection(name="Film noir essentials")
    make_collection(name="Private list", is_public=False)
    url = reverse("admin:collections_app_collection_changelist")
    searched = staff_client.get(url, {"q": "noir"}).content.decode()
    assert "Film noir essentials" in searched and "Private list" not in searched
    filtered = staff_client.get(url, {"is_public__exact": "0"}).content.decode()
    assert "Private list" in filtered and "Film noir essentials" not in filtered


@pytest.mark.parametrize("count", [1, 30])
def test_changelist_queries_are_bounded(staff_client, count, django_assert_max_num_queries):
    for n in range(count):
        services.collection_create(UserFactory(), f"List {n}")
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("admin:collections_app_collection_changelist"))
    assert response.status_code == 200


def test_unpublish_action_makes_collections_private(staff_client, make_collection):
    first = make_collection(name="First")
    second = make_collection(name="Second")
    make_collection(name="Keep")
    response = staff_client.post(
        reverse("admin:collections_app_collection_changelist"),
        {"action": "unpublish", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Unpublished 2 collections." in response.content.decode()
    assert set(Collection.objects.public().values_list("name", flat=True)) == {"Keep"}


def test_change_page_shows_items_inline_in_order(staff_client, make_collection):
    collection = make_collection()
    for name in ("Zodiac", "Alien"):
        services.collection_add_title(collection, TitleFactory(name=name))
    response = staff_client.get(
        reverse("admin:collections_app_collection_change", args=[collection.pk])
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Zodiac") < content.index("Alien")


def test_item_changelist_searches_by_title(staff_client, make_collection):
    collection = make_collection()
    services.collection_add_title(collection, TitleFactory(name="Interview"))
    services.collection_add_title(collection, TitleFactory(name="Zodiac"))
    response = staff_client.get(
        reverse("admin:collections_app_collectionitem_changelist"), {"q": "interv"}
    )
    content = response.content.decode()
    assert "Interview" in content and "Zodiac" not in content

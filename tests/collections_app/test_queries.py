"""Pages use a bounded number of queries whatever the data size."""

import pytest
from django.urls import reverse

from collections_app import services
from collections_app.selectors import ITEMS_PER_PAGE
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def fill(collection, count):
    for _ in range(count):
        services.collection_add_title(collection, TitleFactory())


@pytest.mark.parametrize("size", [2, ITEMS_PER_PAGE + 10])
@pytest.mark.parametrize("viewer", ["anonymous", "owner"])
def test_collection_page_queries_are_bounded(
    client, owner, size, viewer, django_assert_max_num_queries
):
    collection = services.collection_create(owner, "Big one")
    fill(collection, size)
    if viewer == "owner":
        client.force_login(owner)
    # session + user (signed in), collection with owner, count, one page of items with titles,
    # and for a signed-in viewer their PSIs: rated titles on the page, own scores, neighbours
    # signed in: +1 for the viewer's watchlist marks (issue 14), +1 for the header's unread
    # notifications (issue 15)
    with django_assert_max_num_queries(6 if viewer == "anonymous" else 10):
        response = client.get(collection.get_absolute_url(), {"page": 2})
    assert response.status_code == 200


def test_collection_page_with_title_finder_is_bounded(client, owner, django_assert_max_num_queries):
    collection = services.collection_create(owner, "Big one")
    fill(collection, 30)
    for n in range(30):
        TitleFactory(name=f"Findable {n}")
    client.force_login(owner)
    # 7 + the viewer's PSIs (3) + the header's unread notifications
    with django_assert_max_num_queries(11):
        response = client.get(collection.get_absolute_url(), {"find": "findable"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 40])
def test_collection_list_queries_are_bounded(client, count, django_assert_max_num_queries):
    for n in range(count):
        collection = services.collection_create(UserFactory(), f"List {n}")
        fill(collection, 5)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("collections:collection-list"), {"sort": "size"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 40])
def test_my_collections_queries_are_bounded(client, owner, count, django_assert_max_num_queries):
    for n in range(count):
        collection = services.collection_create(
            owner, f"Mine {n}", is_public=bool(n % 2), limit_creations=False
        )
        fill(collection, 2)
    client.force_login(owner)
    with django_assert_max_num_queries(6):  # 5 + the header's unread notifications
        response = client.get(reverse("collections:my-collections"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 45])
def test_title_collections_fragment_queries_are_bounded(
    client, count, django_assert_max_num_queries
):
    title = TitleFactory()
    for n in range(count):
        collection = services.collection_create(UserFactory(), f"List {n}")
        services.collection_add_title(collection, title)
    with django_assert_max_num_queries(3):
        response = client.get(
            reverse("collections:title-collections", args=[title.pk]),
            {"collections_page": 2},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200

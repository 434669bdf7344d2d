import pytest

from collections_app import services
from tests.factories import TitleFactory, UserFactory


@pytest.fixture
def owner(db):
    return UserFactory(username="curator")


@pytest.fixture
def other(db):
    return UserFactory(username="stranger")


@pytest.fixture
def make_collection(owner):
    """make_collection(titles=3, is_public=True, name=...) through the services."""

    def make(titles: int = 0, is_public: bool = True, name: str = "Two-handers", user=None):
        collection = services.collection_create(user or owner, name, is_public=is_public)
        for index in range(titles):
            services.collection_add_title(
                collection, TitleFactory(name=f"{name} title {index + 1}", year=2000 + index)
            )
        return collection

    return make


def positions(collection) -> list[tuple[str, int]]:
    return list(collection.items.order_by("position").values_list("title__name", "position"))


def assert_dense(collection) -> None:
    collection.refresh_from_db()
    numbers = list(collection.items.order_by("position").values_list("position", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert collection.items_count == len(numbers)

import pytest

from collections_app import selectors, services
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_public_collections_leaves_out_private_and_others(owner, make_collection):
    shown = make_collection(name="Shown")
    make_collection(name="Hidden", is_public=False)
    make_collection(name="Someone else's", user=UserFactory())
    assert list(selectors.user_public_collections(owner)) == [shown]


def test_user_collections_has_public_and_private_newest_first(owner, make_collection):
    older = make_collection(name="Older")
    newer = make_collection(name="Newer", is_public=False)
    assert list(selectors.user_collections(owner)) == [newer, older]
    services.collection_add_title(older, TitleFactory())
    assert list(selectors.user_collections(owner)) == [older, newer]


def test_previews_are_the_first_titles_in_order(make_collection, django_assert_num_queries):
    collection = make_collection(titles=6)
    services.collection_move_item(collection, collection.items.get(position=6), 1)
    collections = list(selectors.user_collections(collection.owner))
    with django_assert_num_queries(1):
        selectors.attach_previews(collections)
    assert [t.name for t in collections[0].preview_titles] == [
        "Two-handers title 6",
        "Two-handers title 1",
        "Two-handers title 2",
        "Two-handers title 3",
    ]


def test_title_finder_marks_titles_already_in_the_collection(make_collection):
    collection = make_collection(titles=1)
    TitleFactory(name="Two-handers sequel")
    found = {t.name: t.in_collection for t in selectors.title_finder(collection, " two-HANDERS ")}
    assert found == {"Two-handers title 1": True, "Two-handers sequel": False}
    assert selectors.title_finder(collection, "   ") == []


def test_title_finder_forgives_typos_and_accents_like_the_main_search(make_collection):
    collection = make_collection(titles=0)
    TitleFactory(name="Interview", year=2007)
    TitleFactory(name="Amélie", original_name="Le Fabuleux Destin d'Amélie Poulain", year=2001)
    TitleFactory(name="Intolerable Cruelty", year=2003)
    assert [t.name for t in selectors.title_finder(collection, "intervew")][0] == "Interview"
    assert [t.name for t in selectors.title_finder(collection, "amelie")] == ["Amélie"]
    assert [t.name for t in selectors.title_finder(collection, "AMÉLIE poulain")] == ["Amélie"]

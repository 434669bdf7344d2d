"""The title page's collections pieces: "Collections (N)" and "Add to collection"."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from collections_app import services
from collections_app.models import Collection
from collections_app.selectors import TITLE_COLLECTIONS_PER_PAGE
from collections_app.templatetags.collections_tags import (
    add_to_collection_context,
    title_collections_context,
)
from tests.factories import TitleFactory, UserFactory
from tests.html import parse, select, select_one, top_level

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def title(db):
    return TitleFactory(name="Interview", year=2007)


def collect(title, count, *, is_public=True, size=1):
    """``count`` collections by different members, each holding ``title`` and size-1 others."""
    made = []
    for n in range(count):
        collection = services.collection_create(
            UserFactory(display_name=f"Member {n}"), f"List {n:02}", is_public=is_public
        )
        services.collection_add_title(collection, title)
        for _ in range(size - 1):
            services.collection_add_title(collection, TitleFactory())
        made.append(collection)
    return made


def render_tag(tag: str, title, user=None, query: dict | None = None) -> str:
    """Load the piece's context as the title page's builder does, then render the tag."""
    request = RequestFactory().get(title.get_absolute_url(), query or {})
    request.user = user or AnonymousUser()
    if tag == "title_collections_section":
        loaded = title_collections_context(request, title)
    else:
        loaded = add_to_collection_context(request, title, next_url=request.get_full_path())
    template = Template("{% load collections_tags %}{% " + tag + " loaded %}")
    return template.render(Context({"request": request, "loaded": loaded, "csrf_token": "tok"}))


# Collections (N) --------------------------------------------------------------------------


def test_section_lists_public_collections_with_owner_size_and_link(title):
    collections = collect(title, 11, size=3)
    collect(title, 2, is_public=False)
    html = render_tag("title_collections_section", title)
    assert select_one(html, "h2", id="collections-heading").text == "Collections (11)"
    assert "Showing 1 - 11 of 11 results" in html
    rows = select(html, "li", class_="title-collection-row")
    assert len(rows) == 11
    (first,) = [row for row in rows if "List 00" in row.text]
    name = select_one(first, "a", class_="title-collection-name")
    assert (name.text, name.get("href")) == ("List 00", collections[0].get_absolute_url())
    meta = select_one(first, "span", class_="title-collection-meta")
    assert meta.text == "by Member 0 3 titles"
    assert select_one(meta, "a").get("href") == collections[0].owner.get_absolute_url()
    assert "Page 1 of" not in html


def test_section_with_no_collections_says_so(title):
    html = render_tag("title_collections_section", title)
    assert select_one(html, "h2", id="collections-heading").text == "Collections (0)"
    assert "No public collection contains this title yet." in html


def test_section_pages_with_plain_links_and_htmx(title):
    collect(title, TITLE_COLLECTIONS_PER_PAGE + 3)
    html = render_tag("title_collections_section", title, query={"collections_page": "2"})
    total = TITLE_COLLECTIONS_PER_PAGE + 3
    assert f"Showing {TITLE_COLLECTIONS_PER_PAGE + 1} - {total} of {total} results" in html
    fragment_url = reverse("collections:title-collections", args=[title.pk])
    previous = select_one(html, "a", rel="prev")
    page_1 = f"{title.get_absolute_url()}?collections_page=1#title-collections"
    assert previous.get("href") == page_1
    assert previous.get("hx-get") == f"{fragment_url}?collections_page=1"
    assert previous.get("hx-target") == "#title-collections"


def test_fragment_endpoint_renders_the_same_section_for_htmx(client, title):
    collect(title, TITLE_COLLECTIONS_PER_PAGE + 3)
    url = reverse("collections:title-collections", args=[title.pk])
    response = client.get(url, {"collections_page": 2}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert top_level(content) == ["section"]
    assert select_one(content, "section", id="title-collections").classes == {
        "section",
        "title-collections",
    }
    assert "Showing 21 - 23 of 23 results" in content


def test_fragment_endpoint_without_htmx_sends_to_the_title_page(client, title):
    url = reverse("collections:title-collections", args=[title.pk])
    response = client.get(url, {"collections_page": 2})
    assert response.status_code == 302
    assert (
        response["Location"] == f"{title.get_absolute_url()}?collections_page=2#title-collections"
    )


def test_fragment_for_missing_title_is_404(client):
    url = reverse("collections:title-collections", args=[987654])
    assert client.get(url, headers=HTMX).status_code == 404


def test_title_page_shows_the_collections_section(client, title):
    collect(title, 2)
    content = client.get(title.get_absolute_url()).content.decode()
    assert "Showing 1 - 2 of 2 results" in content
    assert "Add to collection" in content


@pytest.mark.parametrize("count", [1, 60])
def test_section_query_count_does_not_grow_with_collections(
    title, count, django_assert_max_num_queries
):
    collect(title, count, size=2)
    with django_assert_max_num_queries(2):
        html = render_tag("title_collections_section", title, query={"collections_page": "2"})
    assert "results" in html


# Add to collection -------------------------------------------------------------------------


def test_anonymous_visitor_is_asked_to_sign_in(title):
    html = render_tag("add_to_collection_form", title)
    assert "Sign in to add this title to a collection." in parse(html).text
    assert select_one(html, "a", href=True).text == "Sign in"
    assert select(html, "form") == []


def test_picker_offers_own_collections_and_marks_those_holding_the_title(title, owner):
    holding = services.collection_create(owner, "Already has it")
    services.collection_add_title(holding, title)
    services.collection_create(owner, "Secret list", is_public=False)
    services.collection_create(UserFactory(), "Not mine")
    html = render_tag("add_to_collection_form", title, user=owner)
    assert "Already has it (already added)" in html
    assert "disabled" in html
    assert "Secret list (private)" in html
    assert "Not mine" not in html
    assert "In your collection:" in html
    assert select_one(html, "input", type="hidden", name="csrfmiddlewaretoken")
    assert select_one(html, "input", name="next").get("value") == title.get_absolute_url()


@pytest.mark.parametrize("own", [0, 40])
def test_picker_query_count_does_not_grow_with_collections(
    title, owner, own, django_assert_max_num_queries
):
    for n in range(own):
        # Test data, not a member's burst of posts: past the hourly limit.
        services.collection_create(owner, f"Mine {n}", limit_creations=False)
    with django_assert_max_num_queries(1):
        render_tag("add_to_collection_form", title, user=owner)


def test_add_to_an_existing_collection_redirects_back_with_a_message(client, title, owner):
    collection = services.collection_create(owner, "Talkies")
    client.force_login(owner)
    response = client.post(
        reverse("collections:title-add", args=[title.pk]),
        {"collection": collection.pk, "next": f"{title.get_absolute_url()}?sort=recent"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{title.get_absolute_url()}?sort=recent"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Added “Interview (2007)” to “Talkies”."
    ]
    assert collection.items.get().title == title


def test_create_a_collection_in_place_with_a_note(client, title, owner):
    client.force_login(owner)
    response = client.post(
        reverse("collections:title-add", args=[title.pk]),
        {"collection": "", "new_name": "Two-handers", "note": "Buscemi at his best"},
    )
    collection = Collection.objects.get(owner=owner)
    assert response["Location"] == title.get_absolute_url()
    assert collection.name == "Two-handers"
    item = collection.items.get()
    assert (item.title, item.position, item.note) == (title, 1, "Buscemi at his best")


def test_a_new_name_wins_over_a_picked_collection(client, title, owner):
    existing = services.collection_create(owner, "Existing")
    client.force_login(owner)
    client.post(
        reverse("collections:title-add", args=[title.pk]),
        {"collection": existing.pk, "new_name": "Fresh"},
    )
    assert existing.items.count() == 0
    assert Collection.objects.get(name="Fresh").items.get().title == title


def test_next_pointing_elsewhere_is_ignored(client, title, owner):
    client.force_login(owner)
    response = client.post(
        reverse("collections:title-add", args=[title.pk]),
        {"new_name": "Safe", "next": "https://evil.example.com/"},
    )
    assert response["Location"] == title.get_absolute_url()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Pick one of your collections, or give a new collection a name."),
        ({"new_name": "n" * 121}, "A collection name can be at most 120 characters"),
        ({"new_name": "Fine", "note": "n" * 301}, "A note can be at most 300 characters"),
        ({"collection": "abc"}, "Pick one of your own collections."),
    ],
)
def test_bad_input_is_400_with_the_form_and_message(client, title, owner, data, message):
    client.force_login(owner)
    response = client.post(reverse("collections:title-add", args=[title.pk]), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert "Add “Interview” to a collection" in content
    if data.get("new_name"):
        assert data["new_name"] in content
    assert not Collection.objects.exists()


def test_duplicate_is_refused_politely(client, title, owner):
    collection = services.collection_create(owner, "Talkies")
    services.collection_add_title(collection, title)
    client.force_login(owner)
    response = client.post(
        reverse("collections:title-add", args=[title.pk]), {"collection": collection.pk}
    )
    assert response.status_code == 400
    assert "“Interview (2007)” is already in “Talkies”." in response.content.decode()
    assert collection.items.count() == 1


def test_standalone_page_shows_the_form(client, title, owner):
    client.force_login(owner)
    response = client.get(reverse("collections:title-add", args=[title.pk]))
    assert response.status_code == 200
    assert "Start a collection" in response.content.decode()


def test_htmx_add_returns_the_card_and_refreshes_the_section_out_of_band(client, title, owner):
    collection = services.collection_create(owner, "Talkies")
    client.force_login(owner)
    response = client.post(
        reverse("collections:title-add", args=[title.pk]),
        {"collection": collection.pk, "next": title.get_absolute_url()},
        headers=HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    # The card, then the "Collections" section swapped out of band.
    assert top_level(content) == ["section", "section"]
    card = select_one(content, "section", id="add-to-collection")
    assert {"card", "add-to-collection"} <= card.classes
    assert "Added “Interview (2007)” to “Talkies”." in content
    links = select(card, "a", href=collection.get_absolute_url())
    assert "View collection" in [link.text for link in links]
    section = select_one(content, "section", id="title-collections")
    assert section.get("aria-labelledby") == "collections-heading"
    assert section.get("hx-swap-oob") == "true"
    assert "Showing 1 - 1 of 1 results" in section.text
    assert select_one(card, "input", name="next").get("value") == title.get_absolute_url()


def test_htmx_add_to_a_private_collection_leaves_the_public_section_alone(client, title, owner):
    collection = services.collection_create(owner, "Secret", is_public=False)
    client.force_login(owner)
    response = client.post(
        reverse("collections:title-add", args=[title.pk]),
        {"collection": collection.pk},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert list(collection.items.values_list("title", flat=True)) == [title.pk]
    card = select_one(response, "section", id="add-to-collection")
    assert "Added “Interview (2007)” to “Secret”." in card.text
    # Only the card: the public "Collections" section is not swapped out of band.
    assert select(response, id="title-collections") == []
    assert select(response, hx_swap_oob=True) == []


def test_htmx_error_is_a_400_card(client, title, owner):
    client.force_login(owner)
    response = client.post(reverse("collections:title-add", args=[title.pk]), {}, headers=HTMX)
    assert response.status_code == 400
    content = response.content.decode()
    assert top_level(content) == ["section"]
    assert select_one(content, "section", id="add-to-collection")
    assert "Pick one of your collections" in content


def test_adding_to_a_missing_title_is_404(client, owner):
    client.force_login(owner)
    response = client.post(reverse("collections:title-add", args=[987654]), {"new_name": "X"})
    assert response.status_code == 404

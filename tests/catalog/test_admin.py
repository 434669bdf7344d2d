import pytest
from django.urls import reverse

from tests.factories import (
    CreditFactory,
    GenreFactory,
    PersonFactory,
    TitleFactory,
    WatchLinkFactory,
)
from tests.html import select_one

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog_rows(db):
    """One row of each model that a search should find, beside one it should not."""
    title = TitleFactory(name="Interview", year=2007)
    other = TitleFactory(name="Heat", year=1995)
    genre = GenreFactory(name="Drama", slug="drama")
    GenreFactory(name="Comedy", slug="comedy")
    title.genres.add(genre)
    person = PersonFactory(name="Steve Buscemi")
    credit = CreditFactory(title=title, person=person)
    CreditFactory(title=other, person=PersonFactory(name="Michael Mann"))
    watch_link = WatchLinkFactory(title=title)
    WatchLinkFactory(title=other, url="https://stream.example.com/watch/2")
    return {
        "title": (title, "interview"),
        "genre": (genre, "drama"),
        "person": (person, "buscemi"),
        "credit": (credit, "buscemi"),
        "watchlink": (watch_link, "interview"),
    }


@pytest.mark.parametrize("model", ["title", "genre", "person", "credit", "watchlink"])
def test_every_catalog_model_has_a_searchable_admin(staff_client, catalog_rows, model):
    url = reverse(f"admin:catalog_{model}_changelist")
    expected, query = catalog_rows[model]
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert select_one(response, "input", name="q", id="searchbar")
    found = staff_client.get(url, {"q": query}).context["cl"]
    assert [row.pk for row in found.result_list] == [expected.pk]
    assert staff_client.get(url, {"q": "zzzz"}).context["cl"].result_count == 0


def test_title_admin_filters_and_change_page_with_inlines(staff_client, catalog_rows):
    url = reverse("admin:catalog_title_changelist")
    assert staff_client.get(url, {"kind__exact": "film"}).status_code == 200
    assert "Interview" in staff_client.get(url, {"q": "intervew"}).content.decode()
    assert "Interview" not in staff_client.get(url, {"q": "tt0000001"}).content.decode()
    title_url = reverse("admin:catalog_title_change", args=[TitleFactory(name="Other").pk])
    content = staff_client.get(title_url).content.decode()
    assert "credits-TOTAL_FORMS" in content and "watch_links-TOTAL_FORMS" in content
    assert "drawn placeholder" in content

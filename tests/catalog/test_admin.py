import pytest
from django.urls import reverse

from tests.factories import CreditFactory, GenreFactory, TitleFactory, UserFactory, WatchLinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    title = TitleFactory(name="Interview", year=2007)
    title.genres.add(GenreFactory(name="Drama", slug="drama"))
    CreditFactory(title=title)
    WatchLinkFactory(title=title)
    return client


@pytest.mark.parametrize("model", ["title", "genre", "person", "credit", "watchlink"])
def test_every_catalog_model_has_a_searchable_admin(staff_client, model):
    url = reverse(f"admin:catalog_{model}_changelist")
    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "interview"}).status_code == 200


def test_title_admin_filters_and_change_page_with_inlines(staff_client):
    url = reverse("admin:catalog_title_changelist")
    assert staff_client.get(url, {"kind__exact": "film"}).status_code == 200
    assert "Interview" in staff_client.get(url, {"q": "intervew"}).content.decode()
    assert "Interview" not in staff_client.get(url, {"q": "tt0000001"}).content.decode()
    title_url = reverse("admin:catalog_title_change", args=[TitleFactory(name="Other").pk])
    content = staff_client.get(title_url).content.decode()
    assert "credits-TOTAL_FORMS" in content and "watch_links-TOTAL_FORMS" in content
    assert "drawn placeholder" in content

import pytest
from django.urls import reverse

from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db


def test_home_page_renders_sections(client):
    TitleFactory(name="Interview")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    content = response.content.decode()
    for heading in ("Recently rated", "Recent reviews", "Top titles"):
        assert heading in content


def test_unknown_page_uses_the_404_template(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_title_with_old_slug_redirects_to_canonical_url(client):
    title = TitleFactory(name="Interview", year=2007)
    response = client.get(reverse("catalog:title-detail", kwargs={"pk": title.pk, "slug": "old"}))
    assert response.status_code == 301
    assert response["Location"] == title.get_absolute_url()

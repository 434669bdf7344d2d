import pytest
from django.urls import reverse

from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["abc", "0001-01-01T00:00:00+05:00", str(2**63)])
def test_an_autocomplete_field_with_a_value_that_is_not_an_id_is_a_form_error(staff_client, value):
    title = TitleFactory()
    response = staff_client.post(
        reverse("admin:catalog_watchlink_add"),
        {"title": value, "provider": "X", "url": "https://x.example/", "kind": "stream"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = staff_client.post(
        reverse("admin:catalog_title_change", args=[title.pk]),
        {
            "kind": "film",
            "name": title.name,
            "slug": title.slug,
            "credits-TOTAL_FORMS": "1",
            "credits-INITIAL_FORMS": "0",
            "credits-0-person": value,
            "credits-0-role": "director",
            "credits-0-order": "0",
            "watch_links-TOTAL_FORMS": "0",
            "watch_links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200

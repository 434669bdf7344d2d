"""Input refused at the edge: NUL characters (400) and admin actions on rows that are
not ids (400), for every registered admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import CollectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return UserFactory(username="ann")


@pytest.mark.parametrize(
    "url",
    [
        "/collections/?q=%00",
        "/u/ann/?genre=%00",
        "/u/%00/",
        "/taste/tci/%00/",
        "/titles/?q=a%00b",
        "/?%00=1",
    ],
)
def test_nul_in_the_path_or_query_is_a_400_with_a_message(client, ann, url):
    client.force_login(ann)
    response = client.get(url)
    assert response.status_code == 400
    assert response.content.decode() == (
        "The request contains a NUL character, which this site does not accept."
    )


def test_nul_in_a_collection_finder_is_a_400(client, ann):
    collection = CollectionFactory(owner=ann)
    client.force_login(ann)
    response = client.get(collection.get_absolute_url(), {"find": "\x00"})
    assert response.status_code == 400


def test_nul_in_a_form_field_is_a_400_and_nothing_is_saved(client, ann):
    client.force_login(ann)
    response = client.post(
        reverse("collections:collection-create"), {"name": "Good\x00films", "is_public": "on"}
    )
    assert response.status_code == 400
    assert not ann.collections.exists()


def test_text_without_nul_goes_through(client, ann):
    response = client.get("/collections/", {"q": "%00 is only a percent sign here"})
    assert response.status_code == 200


def _changelists():
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


@pytest.mark.parametrize("selected", ["abc", "1.5", "²", str(2**63), ""])
def test_an_admin_action_on_a_row_that_is_not_an_id_is_a_400_for_every_admin(
    staff_client, selected
):
    changelists = _changelists()
    assert len(changelists) == len(admin.site._registry) >= 20
    for url in changelists:
        response = staff_client.post(
            url, {"action": "delete_selected", "_selected_action": selected, "index": "0"}
        )
        assert response.status_code == 400, url
        assert "is not a row of this list" in response.content.decode()


def test_an_admin_action_on_real_rows_still_works(staff_client, ann):
    url = reverse("admin:accounts_user_changelist")
    response = staff_client.post(
        url, {"action": "delete_selected", "_selected_action": [str(ann.pk)], "index": "0"}
    )
    assert response.status_code == 200
    assert "<title>Delete multiple objects" in response.content.decode()


@pytest.mark.parametrize("year", [str(2**63), "²", "abc"])
def test_a_date_hierarchy_year_that_is_not_a_year_is_a_400(staff_client, year):
    url = reverse("admin:moderation_report_changelist")
    response = staff_client.get(url, {"created_at__year": year})
    assert response.status_code == 400
    assert response.content.decode() == f"“{year}” is not a year."

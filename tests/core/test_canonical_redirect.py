from types import SimpleNamespace

from django.test import RequestFactory

from core.http import canonical_redirect


class Thing(SimpleNamespace):
    def get_absolute_url(self):
        return f"/things/{self.pk}/{self.slug}/"


def test_right_slug_gives_no_redirect():
    request = RequestFactory().get("/things/7/seven/")
    assert canonical_redirect(request, Thing(pk=7, slug="seven"), "seven") is None


def test_wrong_slug_redirects_permanently_keeping_the_query_string():
    request = RequestFactory().get("/things/7/old/", {"page": "2", "sort": "name"})
    response = canonical_redirect(request, Thing(pk=7, slug="seven"), "old")
    assert response.status_code == 301
    assert response["Location"] == "/things/7/seven/?page=2&sort=name"


def test_wrong_slug_without_a_query_has_no_question_mark():
    response = canonical_redirect(RequestFactory().get("/"), Thing(pk=7, slug="seven"), "x")
    assert response["Location"] == "/things/7/seven/"


def test_view_name_is_reversed_with_pk_and_slug():
    title = SimpleNamespace(pk=3, slug="heat")
    response = canonical_redirect(
        RequestFactory().get("/"), title, "old", "catalog:title-statistics"
    )
    assert response["Location"] == "/titles/3/heat/statistics/"

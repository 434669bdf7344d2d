import pytest
from django.test import RequestFactory

from core.http import safe_next

FALLBACK = "/fallback/"


@pytest.mark.parametrize(
    "target",
    [
        "abc",  # would be resolved as a view name by redirect()
        "//evil.com",
        "//evil.com/path",
        "/\\evil.com",
        "https://evil.com/",
        "http://testserver/ok/",  # absolute, even on this host: relative paths only
        "javascript:alert(1)",
        "",
    ],
)
def test_anything_but_a_local_path_gives_the_fallback(target):
    request = RequestFactory().get("/", {"next": target})
    assert safe_next(request, FALLBACK) == FALLBACK


def test_a_local_path_with_a_query_is_kept():
    request = RequestFactory().get("/", {"next": "/ok/?a=1"})
    assert safe_next(request, FALLBACK) == "/ok/?a=1"


def test_no_next_parameter_gives_the_fallback():
    assert safe_next(RequestFactory().get("/"), FALLBACK) == FALLBACK


def test_the_fallback_defaults_to_empty():
    assert safe_next(RequestFactory().get("/", {"next": "abc"})) == ""


def test_post_is_read_before_get():
    request = RequestFactory().post("/?next=/from-get/", {"next": "/from-post/"})
    assert safe_next(request, FALLBACK) == "/from-post/"


def test_get_is_read_when_post_has_none():
    request = RequestFactory().post("/?next=/from-get/", {})
    assert safe_next(request, FALLBACK) == "/from-get/"

import pytest

from tests.factories import TitleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_page_opens_in_chromium(page, screenshot):
    TitleFactory(name="Interview", year=2007)
    page.goto("/")
    assert page.get_by_role("heading", name="Recently rated").is_visible()
    assert page.get_by_role("link", name="Titles", exact=True).is_visible()
    screenshot("home")

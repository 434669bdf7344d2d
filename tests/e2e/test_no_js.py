"""The title page with JavaScript turned off: no spinner that never ends, the lazy
sections one plain link away, and a saved rating says so where the reader is looking."""

import pytest
from playwright.sync_api import expect

from tests.e2e.scenes import site_scene

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_lazy_sections_without_javascript_are_plain_links(no_js_page, scene_title):
    page = no_js_page
    page.goto(scene_title.get_absolute_url())
    for section, link in (
        ("#similar-titles", "Show similar titles"),
        ("#title-statistics", "Show statistics"),
    ):
        expect(page.locator(section).get_by_role("link", name=link)).to_be_visible()
        expect(page.locator(section).get_by_text("Loading ...")).to_be_hidden()
    page.locator("#title-statistics").get_by_role("link", name="Show statistics").click()
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()
    expect(page.locator(".chart-svg").first).to_be_visible()


def test_rating_without_javascript_shows_the_saved_notice_in_sight(
    no_js_page, scene, screenshot_of
):
    page = no_js_page
    unrated = scene["unrated"]
    page.goto("/login/")
    page.get_by_label("Username").fill(scene["viewer"].username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(unrated.get_absolute_url())
    panel = page.locator("#rating-panel")
    panel.get_by_label("Score").fill("64")
    panel.get_by_role("button", name="Rate").click()
    notice = page.locator("#rating-panel [data-rating-notice]")
    expect(notice).to_contain_text(f"Saved your rating of {unrated.name}: 64")
    expect(notice).to_be_in_viewport()
    screenshot_of(page, "nojs-rating-saved")


@pytest.fixture
def scene():
    return site_scene()


@pytest.fixture
def scene_title(scene):
    return scene["title"]


@pytest.fixture
def screenshot_of():
    from tests.e2e.conftest import ARTIFACTS

    def take(page, name):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    return take

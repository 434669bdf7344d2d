"""htmx swaps under the strict Content Security Policy: no console error (inline style or
script refused) while the rating form answers an invalid score or a collection is
reordered, and no favicon 404."""

import pytest
from playwright.sync_api import expect

from tests.e2e.scenes import site_scene

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    return site_scene()


@pytest.fixture
def console_errors(page):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_invalid_score_and_reorder_swap_without_csp_errors(page, login, scene, console_errors):
    login(scene["viewer"])
    page.goto(scene["unrated"].get_absolute_url())
    panel = page.locator("#rating-panel")
    # What the browser does when the member drags the review box's resize handle: a style
    # set through the CSSOM (allowed), which htmx's settling used to copy as an attribute.
    panel.get_by_label("Review (optional)").evaluate("el => { el.style.height = '12rem'; }")
    panel.get_by_label("Score").fill("250")
    panel.get_by_role("button", name="Rate").click()
    expect(panel.locator(".errorlist")).to_be_visible()
    panel.get_by_label("Score").fill("70")
    panel.get_by_role("button", name="Rate").click()
    expect(panel).to_contain_text("Saved your rating")

    collection = scene["collection"]
    page.goto(collection.get_absolute_url())
    first = page.locator(".collection-item").first
    name = first.locator("h3, h2").first.inner_text()
    first.get_by_role("button", name="down").click()
    expect(page.locator(".collection-item").nth(1)).to_contain_text(name)
    page.wait_for_timeout(300)
    assert console_errors == []


def test_every_page_has_a_favicon(page, console_errors):
    page.goto("/")
    href = page.locator("link[rel='icon']").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/")
    assert page.request.get("/favicon.ico").status == 200
    assert console_errors == []

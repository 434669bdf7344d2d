"""Layout in Chromium: nothing overflows a 390 px phone or the admin's pane at 1280 px,
chart labels do not collide, and the title page puts the rating panel and Ratings &
Reviews in sight at 1280 px, with a title bar that stays on top once scrolled."""

import pytest
from playwright.sync_api import expect

from moderation.models import Case
from moderation.selectors import target_for
from moderation.services import report
from ratings.models import Rating
from tests.e2e.scenes import site_scene

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def scene():
    return site_scene()


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _overlaps(boxes: list[dict]) -> list[tuple]:
    boxes = sorted(boxes, key=lambda b: b["x"])
    return [
        (a["text"], b["text"])
        for a, b in zip(boxes, boxes[1:], strict=False)
        if a["x"] + a["width"] > b["x"] + 0.5
    ]


def test_soulmates_fit_a_phone(page, login, screenshot, scene):
    page.set_viewport_size(PHONE)
    login(scene["viewer"])
    page.goto("/soulmates/")
    table = page.locator(".soulmates-table")
    expect(table.locator("tbody tr").first).to_be_visible()
    assert _page_width(page) <= 390
    scroller = page.locator(".soulmates-table").evaluate(
        "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]"
    )
    assert scroller[0] <= scroller[1], scroller
    # Every remaining column is in sight, the titles in common linking to the comparison.
    shared = table.locator("tbody tr").first.locator(".shared-count")
    box = shared.bounding_box()
    assert box["x"] + box["width"] <= 390
    assert "/taste/tci/" in shared.get_attribute("href")
    screenshot("layout-soulmates-390")
    page.set_viewport_size(DESKTOP)
    expect(table.get_by_role("link", name="Compare ratings").first).to_be_visible()
    screenshot("layout-soulmates-1280")


def test_profile_chart_labels_do_not_overlap_on_a_phone(page, screenshot, scene):
    page.set_viewport_size(PHONE)
    page.goto(scene["other"].get_absolute_url())
    labels = page.locator(".chart-svg-distribution .chart-label")
    expect(labels.first).to_be_visible()
    boxes = labels.evaluate_all(
        """els => els.filter(e => getComputedStyle(e).display !== "none").map(e => {
            const r = e.getBoundingClientRect();
            return {x: r.x, width: r.width, text: e.textContent};
        })"""
    )
    assert len(boxes) >= 5
    assert _overlaps(boxes) == []
    assert "90-100" in [b["text"] for b in boxes]
    assert _page_width(page) <= 390
    page.locator(".chart-svg-distribution").scroll_into_view_if_needed()
    screenshot("layout-profile-chart-390", full_page=False)


def test_admin_queue_fits_its_pane_and_counts_reported_items(page, screenshot, scene):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(scene["moderator"].username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/moderation/case/")
    expect(page.locator("p.paginator")).to_contain_text("1 reported item")
    # A second reported item: the count says "2 reported items", not "2 moderation queue".
    other_review = Rating.objects.exclude(review="").exclude(user=scene["other"]).first()
    report(scene["other"], target_for(other_review), "abuse", "Rude.")
    assert Case.objects.count() == 2
    page.reload()
    expect(page.locator("p.paginator")).to_contain_text("2 reported items")
    results = page.locator("#changelist .results")
    widths = results.evaluate("r => [r.scrollWidth, r.clientWidth]")
    assert widths[0] <= widths[1], widths
    status = page.locator("#result_list thead th.column-queue_status")
    pane = results.bounding_box()
    box = status.bounding_box()
    assert box["x"] + box["width"] <= pane["x"] + pane["width"] + 1
    screenshot("layout-admin-queue-1280")


def test_title_page_puts_the_rating_panel_and_reviews_in_sight(page, login, screenshot, scene):
    unrated = scene["unrated"]
    page.set_viewport_size(DESKTOP)
    login(scene["viewer"])
    page.goto(unrated.get_absolute_url())
    panel = page.locator("#rating-panel").bounding_box()
    psi = page.locator("#probable-score").bounding_box()
    main = page.locator(".title-main").bounding_box()
    # The probable score and the rating form top the column beside the title.
    assert psi["y"] < 200 and panel["y"] < psi["y"] + psi["height"] + 40
    assert panel["x"] > main["x"] + main["width"]
    reviews = page.get_by_role("heading", name="Ratings & Reviews").bounding_box()
    assert reviews["y"] + reviews["height"] < DESKTOP["height"]
    screenshot("layout-title-1280", full_page=False)

    bar = page.locator("[data-sticky-bar]")
    expect(bar).to_be_hidden()
    value = page.locator("#probable-score .score-card-value").inner_text()
    page.mouse.wheel(0, 1400)
    expect(bar).to_be_visible()
    expect(bar).to_contain_text(unrated.name)
    expect(bar.locator(".title-sticky-score strong")).to_have_text(value)
    assert bar.bounding_box()["y"] == 0
    screenshot("layout-title-sticky-1280", full_page=False)
    page.mouse.wheel(0, -5000)
    expect(bar).to_be_hidden()

    page.set_viewport_size(PHONE)
    page.goto(unrated.get_absolute_url())
    assert _page_width(page) <= 390
    page.mouse.wheel(0, 1400)
    expect(bar).to_be_visible()
    screenshot("layout-title-sticky-390", full_page=False)

    # Rating in place redraws the bar (out of band): it now shows the member's own score.
    panel = page.locator("#rating-panel")
    panel.get_by_label("Score").fill("64")
    panel.get_by_role("button", name="Rate").click()
    expect(panel).to_contain_text("Saved your rating")
    expect(bar).to_be_visible()
    expect(bar.locator(".title-sticky-score")).to_have_text("Rated by you 64")
    screenshot("layout-title-sticky-rated-390", full_page=False)

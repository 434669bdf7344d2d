import re

import pytest
from playwright.sync_api import expect

from catalog.models import Title
from ratings.models import Rating
from ratings.services import RatingInput, rate_many
from tests.factories import TitleFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rater():
    """A user with four earlier ratings on distinct scores, so the next one has a percentile."""
    user = UserFactory(username="pierre")
    others = TitleFactory.create_batch(4)
    rate_many(user, [RatingInput(t.pk, s) for t, s in zip(others, [20, 40, 60, 80], strict=True)])
    return user


def test_rate_see_percentile_change_and_delete(page, login, screenshot, rater):
    title = TitleFactory(name="Interview", year=2007)
    login(rater)
    page.goto(title.get_absolute_url())
    panel = page.locator("#rating-panel")
    expect(panel.get_by_text("You have not rated this title yet.")).to_be_visible()

    panel.get_by_label("Score").fill("73")
    panel.get_by_label("Review (optional)").fill("An awkward but still fulfilling movie.")
    expect(panel.locator("[data-review-counter]")).to_have_text("38 / 10,000")
    panel.get_by_role("button", name="Rate").click()

    # Swapped in place by htmx: score, percentile (below 3, equal 1 of 5 -> 70th), average.
    expect(panel.locator(".my-rating-percentile")).to_have_text("70th percentile")
    expect(panel.locator(".my-rating-score")).to_have_text("73")
    expect(panel.get_by_text("Avg Percentile 70.00% from 1 total rating")).to_be_visible()
    expect(panel.locator("[data-rating-notice]")).to_be_focused()
    assert page.url.endswith(title.get_absolute_url())  # no full page load
    screenshot("rating-saved")

    panel.get_by_text("Change or delete your rating").click()
    panel.get_by_label("Score").fill("5")
    panel.get_by_role("button", name="Save changes").click()
    expect(panel.locator(".my-rating-percentile")).to_have_text("10th percentile")
    expect(panel.get_by_text("Avg Percentile 10.00% from 1 total rating")).to_be_visible()
    # The page's own average card is swapped out of band in the same response.
    expect(page.locator("#avg-percentile .score-card-value")).to_have_text("10.00%")
    assert Rating.objects.get(user=rater, title=title).score == 5

    panel.get_by_text("Change or delete your rating").click()
    panel.get_by_label("Score").fill("150")
    panel.get_by_role("button", name="Save changes").click()
    expect(panel.get_by_text("Enter a whole number from 0 to 100.")).to_be_visible()
    screenshot("rating-error")
    assert Rating.objects.get(user=rater, title=title).score == 5

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Delete rating").click()
    expect(panel.get_by_text("Deleted your rating of Interview.")).to_be_visible()
    expect(panel.get_by_text("You have not rated this title yet.")).to_be_visible()
    assert not Rating.objects.filter(user=rater, title=title).exists()
    assert Title.objects.get(pk=title.pk).ratings_count == 0

    page.set_viewport_size({"width": 390, "height": 844})
    panel.scroll_into_view_if_needed()
    screenshot("rating-deleted-phone")


def test_rating_works_without_javascript(browser, live_server, rater):
    title = TitleFactory(name="Interview", year=2007)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.get_by_label("Username").fill(rater.username)
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        page.goto(title.get_absolute_url())
        panel = page.locator("#rating-panel")

        panel.get_by_label("Score").fill("150")
        panel.get_by_label("Review (optional)").fill("Typed before the mistake")
        panel.get_by_role("button", name="Rate").click()
        expect(panel.get_by_text("Enter a whole number from 0 to 100.")).to_be_visible()
        expect(panel.get_by_label("Review (optional)")).to_have_value("Typed before the mistake")
        page.screenshot(path="test-artifacts/rating-no-js-error.png", full_page=True)

        panel.get_by_label("Score").fill("90")
        panel.get_by_role("button", name="Rate").click()
        expect(page).to_have_url(re.compile(re.escape(title.get_absolute_url())))
        expect(page.get_by_text("your 90th percentile")).to_be_visible()
        page.screenshot(path="test-artifacts/rating-no-js.png", full_page=True)

        panel.get_by_text("Change or delete your rating").click()  # <details>, no JS needed
        panel.get_by_role("button", name="Delete rating").click()
        expect(page.get_by_text("Deleted your rating of Interview.")).to_be_visible()
        assert not Rating.objects.filter(user=rater, title=title).exists()
    finally:
        context.close()

"""In Chromium: rating a title redraws its probable-score card without a page load."""

import pytest
from playwright.sync_api import expect

from ratings.services import RatingInput, rate_many
from taste import services
from tests.factories import TitleFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def mark_page(page) -> None:
    """A flag that a page load would wipe: still there means no reload happened."""
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_fifth_rating_updates_the_count_still_needed(page, login, screenshot):
    member = UserFactory(username="fourth")
    earlier = TitleFactory.create_batch(4)
    rate_many(
        member, [RatingInput(t.pk, s) for t, s in zip(earlier, [20, 40, 60, 80], strict=True)]
    )
    fifth = TitleFactory(name="Fifth Film", year=2001)
    login(member)
    page.goto(fifth.get_absolute_url())
    box = page.locator("#probable-score")
    expect(box).to_contain_text("Rate 6 more titles")
    mark_page(page)

    panel = page.locator("#rating-panel")
    panel.get_by_label("Score").fill("50")
    panel.get_by_role("button", name="Rate").click()

    expect(box.locator(".psi-needed")).to_contain_text("Rate 5 more titles")
    expect(box).to_contain_text("You rated it 50 before a probable score was shown.")
    assert same_document(page)
    screenshot("rating-live-needed")


def test_rating_a_predicted_title_switches_the_box_to_the_rated_state(page, login, screenshot):
    seen = [TitleFactory(name=f"Seen {i}") for i in range(1, 11)]
    target = TitleFactory(name="Predicted Film", year=2003)
    member = UserFactory(username="member")
    rate_many(member, [RatingInput(t.pk, 10 * i) for i, t in enumerate(seen, start=1)])
    for n in range(3):
        alike = UserFactory(username=f"alike{n}")
        entries = [RatingInput(t.pk, 10 * i - n) for i, t in enumerate(seen, start=1)]
        rate_many(alike, entries + [RatingInput(target.pk, 95 - n)])
    services.rebuild_all()
    login(member)
    page.goto(target.get_absolute_url())
    box = page.locator("#probable-score")
    value = box.locator(".score-card-value").inner_text()
    assert value.isdigit(), value
    expect(box.locator(".psi-range")).to_contain_text(f"{value}, likely ")
    mark_page(page)

    panel = page.locator("#rating-panel")
    panel.get_by_label("Score").fill("64")
    panel.get_by_role("button", name="Rate").click()

    expect(box.locator(".score-card-help")).to_have_text(f"Your PSI was {value}; you rated it 64.")
    expect(box.locator(".psi-range")).to_have_count(0)
    assert same_document(page)
    screenshot("rating-live-rated")

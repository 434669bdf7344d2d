"""Social in Chromium: follow a soulmate from /soulmates/, read their new review in the
home feed, like it, and they see the notification; open a director from a title page
and see your ratings of their films. Screenshots at desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from catalog.models import CreditRole
from ratings.services import RatingInput, rate, rate_many
from taste import services as taste_services
from tests.factories import CreditFactory, PersonFactory, TitleFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    director = PersonFactory(name="Theo van Gogh")
    seen = [TitleFactory(name=f"Seen Film {i}", year=1990 + i) for i in range(1, 13)]
    for film in seen[:6]:
        CreditFactory(title=film, person=director, role=CreditRole.DIRECTOR)
    viewer = UserFactory(username="viewer", display_name="Vera Viewer")
    mate = UserFactory(username="mate", display_name="Mo Mate")
    far = UserFactory(username="far", display_name="Far Away")
    rate_many(viewer, [RatingInput(t.pk, 8 * i) for i, t in enumerate(seen, start=1)])
    rate_many(mate, [RatingInput(t.pk, 8 * i + 2) for i, t in enumerate(seen, start=1)])
    rate_many(far, [RatingInput(t.pk, 100 - 8 * i) for i, t in enumerate(seen, start=1)])
    taste_services.rebuild_all()
    return viewer, mate, director, seen


def test_follow_a_soulmate_like_their_review_and_they_are_notified(page, login, screenshot, scene):
    viewer, mate, director, seen = scene
    login(viewer)
    page.goto("/soulmates/")
    page.get_by_role("button", name="Follow Mo Mate").click()
    page.wait_for_url("**/soulmates/")
    assert page.get_by_role("button", name="Unfollow Mo Mate").count() == 1

    new_film = TitleFactory(name="Interview", year=2007)
    rate(mate, new_film, 91, review="Two liars in one loft, and both of them win.")
    page.goto("/")
    feed = page.locator("#home-feed")
    item = feed.locator(".feed-item").first
    assert "Mo Mate" in item.inner_text() and "Interview" in item.inner_text()
    assert "Two liars in one loft" in item.inner_text()
    assert "TCI" in item.inner_text()
    screenshot("social-home-feed")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("social-home-feed-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    item.get_by_role("button", name="Like this review, 0 likes").click()
    liked = item.get_by_role("button", name="Unlike this review, 1 like")
    liked.wait_for()
    assert liked.get_attribute("aria-pressed") == "true"

    page.get_by_role("button", name="Sign out").click()
    login(mate)
    page.goto("/")
    header_link = page.get_by_role("link", name="Notifications (2 unread)")
    assert header_link.count() == 1
    header_link.click()
    page.wait_for_url("**/notifications/")
    notes = page.locator(".notification")
    assert notes.count() == 2
    text = page.locator(".notification-list").inner_text()
    assert "Vera Viewer liked your review of Interview (2007)" in text
    assert "Vera Viewer started following you." in text
    screenshot("social-notifications")


def test_a_director_from_a_title_page_shows_your_ratings(page, login, screenshot, scene):
    viewer, _mate, director, seen = scene
    login(viewer)
    page.goto(seen[2].get_absolute_url())
    page.get_by_role("link", name="Theo van Gogh").click()
    page.wait_for_url(f"**{director.get_absolute_url()}")
    assert page.get_by_role("heading", name="Theo van Gogh", level=1).count() == 1
    summary = page.locator(".person-summary").inner_text()
    assert summary.startswith("You rated 6 of their 6 titles, average percentile")
    rows = page.locator("table.filmography tbody tr")
    assert rows.count() == 6
    first = rows.first.inner_text()  # newest first: Seen Film 6, rated 48
    assert "Seen Film 6" in first and "48" in first
    screenshot("social-person-page")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("social-person-page-phone")


def test_title_ratings_with_tci_profile_and_search_screens(page, login, screenshot, scene):
    viewer, mate, director, seen = scene
    rate(mate, seen[0], 30, review="Slow, but the ending lands.")
    login(viewer)
    page.goto(seen[0].get_absolute_url())
    reviews = page.locator("#title-reviews")
    assert "TCI 0.0" in reviews.inner_text()  # identical positions on the 12 titles
    page.get_by_label("Reviews only").check()
    expect(reviews.locator(".review")).to_have_count(1)
    assert "Slow, but the ending lands." in reviews.inner_text()
    reviews.scroll_into_view_if_needed()
    screenshot("social-title-ratings", full_page=False)
    page.goto(mate.get_absolute_url())
    page.get_by_role("button", name="Follow Mo Mate").click()
    page.get_by_role("button", name="Following · Unfollow").wait_for()
    assert "1 follower" in page.locator(".follow-counts").inner_text()
    screenshot("social-profile")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("social-profile-phone")
    page.goto("/titles/?q=van+gohg")
    assert page.get_by_role("link", name="Theo van Gogh").count() == 1
    screenshot("social-search-people-phone", full_page=False)

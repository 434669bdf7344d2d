"""Watchlist, diary, export and leaving, in a real browser: three titles put on the
watchlist from the title page, the browse list and a collection page; one rated with a
rewatch logged; the diary; the ZIP export; the account deleted, after which signing in
fails. Screenshots at desktop and phone widths."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from accounts.models import User
from catalog.services import draw_poster, save_poster
from collections_app.services import collection_add_title, collection_create
from library.models import Viewing, WatchlistEntry
from tests.factories import TitleFactory, UserFactory, WatchLinkFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def titled(name, year, runtime=100):
    title = TitleFactory(name=name, year=year, runtime_minutes=runtime)
    save_poster(title, SimpleUploadedFile("poster.png", draw_poster(title), "image/png"))
    return title


def test_watchlist_diary_export_and_leaving(page, login, screenshot, browser, live_server):
    member = UserFactory(username="leaving", display_name="Lea Ving")
    curator = UserFactory(username="curator")
    heat = titled("Heat", 1995, 170)
    tape = titled("Tape", 2001, 86)
    andre = titled("My Dinner with Andre", 1981, 110)
    WatchLinkFactory(title=tape, provider="Mubi", kind="stream")
    shelf = collection_create(curator, "Talkers")
    collection_add_title(shelf, andre, "All talk")

    login(member)

    # 1. The title page.
    page.goto(heat.get_absolute_url())
    page.locator("#title-library").get_by_role("button", name="Add Heat to your watchlist").click()
    expect(
        page.locator("#title-library").get_by_role("button", name="Remove Heat from your watchlist")
    ).to_be_visible()
    # 2. A browse card (htmx swaps the card's button in place).
    page.goto("/titles/?q=tape")
    page.get_by_role("button", name="Add Tape to your watchlist").click()
    expect(page.get_by_role("button", name="Remove Tape from your watchlist")).to_be_visible()
    # 3. A collection page.
    page.goto(shelf.get_absolute_url())
    page.get_by_role("button", name="Add My Dinner with Andre to your watchlist").click()
    expect(
        page.get_by_role("button", name="Remove My Dinner with Andre from your watchlist")
    ).to_be_visible()
    on_list = WatchlistEntry.objects.filter(user=member).values_list("title__name", flat=True)
    assert set(on_list) == {"Heat", "Tape", "My Dinner with Andre"}

    page.goto("/watchlist/")
    expect(page.locator(".watchlist-row")).to_have_count(3)
    expect(page.get_by_text("streaming on Mubi")).to_be_visible()
    screenshot("library-watchlist-desktop")

    # Rate Heat, logging a rewatch on a date of our choosing.
    page.goto(heat.get_absolute_url())
    panel = page.locator("#rating-panel")
    panel.get_by_label("Score").fill("85")
    panel.get_by_label("I watched it on").check()
    panel.get_by_label("Date watched").fill("2019-03-12")
    panel.get_by_label("Watched before (a rewatch)").check()
    panel.get_by_role("button", name="Rate").click()
    expect(page.locator("#rating-panel .rating-notice")).to_contain_text("Logged your viewing")
    expect(page.locator("#rating-panel .watchlist-undo")).to_contain_text(
        "Taken off your watchlist"
    )
    expect(page.locator("#title-viewings")).to_contain_text("You watched this once: 12 Mar 2019")
    viewing = Viewing.objects.get(user=member)
    assert (str(viewing.watched_on), viewing.rewatch) == ("2019-03-12", True)
    assert not WatchlistEntry.objects.filter(user=member, title=heat).exists()
    screenshot("library-title-page-desktop")

    # The diary.
    page.goto("/u/leaving/diary/")
    expect(page.get_by_role("heading", name="March 2019 (1 viewing, 1 rewatch)")).to_be_visible()
    expect(page.locator(".diary-entry")).to_contain_text("Heat")
    screenshot("library-diary-desktop")

    # The profile's diary statistics.
    page.goto("/u/leaving/")
    expect(page.get_by_test_id("viewings-total")).to_have_text("1")
    expect(page.get_by_test_id("rewatches-total")).to_have_text("1")
    screenshot("library-profile-desktop")

    # Export everything.
    page.goto("/account/import/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download everything (ZIP)").click()
    path = download_info.value.path()
    with open(path, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert archive.namelist() == [
        "ratings.csv", "diary.csv", "watchlist.csv", "collections.csv", "profile.json",
    ]  # fmt: skip
    assert "Heat,1995,,2019-03-12,yes," in archive.read("diary.csv").decode()

    # Phone widths of the pages built here.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE)
    phone_page = phone.new_page()
    phone_page.context.add_cookies(page.context.cookies())
    for name, url in (
        ("watchlist", "/watchlist/"),
        ("diary", "/u/leaving/diary/"),
        ("title-page", heat.get_absolute_url()),
        ("delete", "/account/delete/"),
    ):
        phone_page.goto(url)
        phone_page.screenshot(
            path=str(screenshot("x").parent / f"library-{name}-phone.png"), full_page=True
        )
    phone.close()

    # Leave.
    page.goto("/account/delete/")
    expect(page.get_by_test_id("delete-summary")).to_contain_text("1 rating")
    screenshot("library-delete-desktop")
    page.get_by_label("Your password").fill("wrong")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your password; nothing was deleted.")).to_be_visible()
    page.get_by_label("Your password").fill("correct horse battery staple")
    page.get_by_role("button", name="Delete my account").click()
    expect(
        page.get_by_text("The account leaving and everything in it are deleted.")
    ).to_be_visible()
    assert not User.objects.filter(username="leaving").exists()

    page.goto("/login/")
    page.get_by_label("Username").fill("leaving")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errorlist")).to_be_visible()
    assert "/login/" in page.url

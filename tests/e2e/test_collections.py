"""Collections in a real browser: build one from title pages, reorder it three ways, note,
make it private; another member then gets a 404. Screenshots at desktop and phone widths."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from catalog.services import draw_poster, save_poster
from collections_app import services
from collections_app.models import Collection
from tests.factories import TitleFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def titled(name, year, percentile=None, ratings=0):
    title = TitleFactory(
        name=name,
        year=year,
        ratings_count=ratings,
        percentile_sum=round((percentile or 0) * ratings),
        percentile_count=ratings if percentile is not None else 0,
    )
    save_poster(title, SimpleUploadedFile("poster.png", draw_poster(title), "image/png"))
    return title


def item_names(page) -> list[str]:
    return [
        text.strip() for text in page.locator(".collection-item .item-name a").all_inner_texts()
    ]


def add_from_title_page(page, title, *, new_name=None):
    page.goto(title.get_absolute_url())
    card = page.locator("#add-to-collection")
    if new_name:
        card.get_by_label("Start a collection").fill(new_name)
    card.get_by_role("button", name="Add to collection").click()
    expect(page.locator("#add-to-collection .message-success")).to_contain_text(f"“{title}”")


def test_build_reorder_annotate_and_hide_a_collection(
    page, login, screenshot, browser, live_server
):
    owner = UserFactory(username="curator", display_name="Ana Curator")
    stranger = UserFactory(username="stranger")
    interview = titled("Interview", 2007, 46.87, 421)
    sunrise = titled("Before Sunrise", 1995, 71.2, 380)
    tape = titled("Tape", 2001, 58.5, 97)
    andre = titled("My Dinner with Andre", 1981)

    login(owner)

    # Create the collection from a title page, in place.
    add_from_title_page(page, interview, new_name="Two-handers")
    expect(page.locator("#title-collections")).to_contain_text("Showing 1 - 1 of 1 results")
    expect(page.locator("#title-collections")).to_contain_text("Two-handers")
    screenshot("collections-title-page-added")

    # Two more titles from their pages, picking the collection from the list.
    for title in (sunrise, tape):
        add_from_title_page(page, title)
        picker = page.locator("#add-to-collection select")
        expect(picker.locator("option", has_text="Two-handers (already added)")).to_be_disabled()

    collection = Collection.objects.get(owner=owner)
    page.goto(collection.get_absolute_url())
    assert item_names(page) == ["Interview", "Before Sunrise", "Tape"]
    expect(page.get_by_text("Showing 1 - 3 of 3 results")).to_be_visible()
    expect(page.locator(".collection-item").first).to_contain_text("46.87%")

    # Reorder: the up button, then a position number, then drag and drop.
    page.get_by_role("button", name="Move Tape up").click()
    expect(page.locator(".collection-status")).to_contain_text("to position 2")
    assert item_names(page) == ["Interview", "Tape", "Before Sunrise"]

    page.get_by_label("New position for Interview").fill("3")
    page.get_by_label("New position for Interview").press("Enter")
    expect(page.locator(".collection-status")).to_contain_text(
        "Moved “Interview (2007)” to position 3"
    )
    assert item_names(page) == ["Tape", "Before Sunrise", "Interview"]

    page.locator("#collection-items .collection-item", has_text="Before Sunrise").drag_to(
        page.locator("#collection-items .collection-item", has_text="Tape")
    )
    expect(page.locator(".collection-status")).to_contain_text(
        "Moved “Before Sunrise (1995)” to position 1"
    )
    assert item_names(page) == ["Before Sunrise", "Tape", "Interview"]

    # A note on one title.
    row = page.locator(".collection-item", has_text="Tape")
    row.get_by_text("Add a note").click()
    row.get_by_label("Note on Tape").fill("Three people, one motel room, real time.")
    row.get_by_role("button", name="Save note").click()
    expect(page.locator(".collection-item", has_text="Tape").locator(".item-note")).to_have_text(
        "Three people, one motel room, real time."
    )

    # One more through the finder on the collection page, for the screenshots.
    page.get_by_label("Find a title by name").fill("dinner")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Add My Dinner with Andre").click()
    expect(page.locator(".messages")).to_contain_text("Added “My Dinner with Andre (1981)”")
    assert item_names(page)[-1] == andre.name
    page.locator("#item-" + str(collection.items.get(title=andre).pk)).scroll_into_view_if_needed()
    screenshot("collections-detail-owner")

    page.set_viewport_size(PHONE)
    page.goto(collection.get_absolute_url())
    screenshot("collections-detail-owner-phone")
    page.goto(sunrise.get_absolute_url())
    page.locator("#add-to-collection").scroll_into_view_if_needed()
    screenshot("collections-title-page-phone", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Make it private.
    page.goto(collection.get_absolute_url())
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Public").uncheck()
    screenshot("collections-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".messages")).to_contain_text("Saved “Two-handers” (private).")
    expect(page.locator(".collection-header .badge-private")).to_have_text("Private")
    url = page.url

    page.emulate_media(color_scheme="dark")
    screenshot("collections-detail-owner-dark")
    page.emulate_media(color_scheme="light")

    page.goto("/collections/mine/")
    expect(page.locator(".collection-card", has_text="Two-handers")).to_contain_text("Private")
    screenshot("collections-mine")

    # Another member (and an anonymous visitor) get a 404.
    for who in (stranger, None):
        context = browser.new_context(base_url=live_server.url)
        other_page = context.new_page()
        if who is not None:
            other_page.goto("/login/")
            other_page.get_by_label("Username").fill(who.username)
            other_page.get_by_label("Password").fill("correct horse battery staple")
            other_page.get_by_role("button", name="Sign in").click()
            other_page.wait_for_url(lambda u: "/login/" not in u)
        response = other_page.goto(url)
        assert response.status == 404
        expect(other_page.get_by_text("Page not found")).to_be_visible()
        other_page.goto(interview.get_absolute_url())
        expect(other_page.locator("#title-collections")).to_contain_text("Collections (0)")
        context.close()


def test_browse_collections_and_page_the_title_section(page, screenshot):
    interview = titled("Interview", 2007, 46.87, 421)
    others = [titled(name, 2000 + n) for n, name in enumerate(["Tape", "Locke", "Buried", "Rope"])]
    for n in range(23):
        member = UserFactory(display_name=f"Member {n}")
        collection = services.collection_create(
            member,
            f"Talk pieces {n + 1}",
            "Films that are mostly conversation, and better for it.",
        )
        services.collection_add_title(collection, interview)
        for title in others[: n % 5]:
            services.collection_add_title(collection, title)

    page.goto("/collections/?sort=size")
    expect(page.get_by_text("Showing 1 - 23 of 23 results")).to_be_visible()
    screenshot("collections-list")
    page.get_by_label("Name contains").fill("pieces 1")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".collection-card")).to_have_count(11)

    page.set_viewport_size(PHONE)
    page.goto("/collections/")
    screenshot("collections-list-phone", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(interview.get_absolute_url())
    section = page.locator("#title-collections")
    expect(section).to_contain_text("Collections (23)")
    expect(section).to_contain_text("Showing 1 - 20 of 23 results")
    section.get_by_role("link", name="Next ›").click()
    expect(section).to_contain_text("Showing 21 - 23 of 23 results")
    # Paged in place by htmx: the page itself did not change.
    assert "collections_page" not in page.url
    section.scroll_into_view_if_needed()
    screenshot("collections-title-section", full_page=False)


def test_reorder_and_note_work_without_javascript(browser, live_server):
    owner = UserFactory(username="nojs")
    collection = services.collection_create(owner, "Plain HTML")
    for name in ("First", "Second", "Third"):
        services.collection_add_title(collection, TitleFactory(name=name))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill("nojs")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/login/" not in u)
    page.goto(collection.get_absolute_url())
    page.get_by_role("button", name="Move Third up").click()
    expect(page.locator(".messages")).to_contain_text("Moved “Third (2007)” to position 2.")
    assert item_names(page) == ["First", "Third", "Second"]
    page.get_by_label("New position for First").fill("3")
    page.locator(".collection-item", has_text="First").get_by_role(
        "button", name="Move First to that position"
    ).click()
    assert item_names(page) == ["Third", "Second", "First"]
    page.locator(".collection-item", has_text="Second").get_by_text("Add a note").click()
    page.get_by_label("Note on Second").fill("Kept without JavaScript")
    page.get_by_role("button", name="Save note").first.click()
    expect(page.locator(".item-note")).to_have_text("Kept without JavaScript")
    context.close()

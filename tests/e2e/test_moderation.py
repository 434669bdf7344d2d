"""Browser test: a member reports a review; a moderator hides it from the admin queue."""

import pytest
from playwright.sync_api import expect

from moderation.models import Case, CaseStatus
from moderation.services import grant_moderator
from ratings.services import rate
from tests.factories import TitleFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SPAM = "Great film! Cheap watches at http://spam.example/buy now!!!"


@pytest.fixture
def scene():
    title = TitleFactory(name="Interview", year=2007)
    author = UserFactory(username="ann")
    rate(author, title, 80, review=SPAM)
    rate(UserFactory(username="cleo"), title, 70, review="Two liars circling each other.")
    member = UserFactory(username="bob")
    moderator = UserFactory(username="mod")
    grant_moderator(moderator)
    return title, member, moderator


def test_report_then_hide_from_the_admin_queue(page, login, screenshot, scene):
    title, member, moderator = scene

    # A member reports the spam review from the title page.
    login(member)
    page.goto(title.get_absolute_url())
    review = page.locator(".review", has_text="Cheap watches")
    # Links in reviews are never live: the address is plain text.
    expect(review.locator("a[href*='spam.example']")).to_have_count(0)
    review.scroll_into_view_if_needed()
    screenshot("moderation-title-reviews", full_page=False)
    review.get_by_role("link", name="Report review by ann").click()
    expect(page.get_by_role("heading", name="Report this review")).to_be_visible()
    page.get_by_label("Spam or advertising").check()
    page.get_by_label("Details").fill("Advert for watches.")
    screenshot("moderation-report-form")
    page.get_by_role("button", name="Send report").click()
    expect(
        page.get_by_text("Your report about this review was sent to the moderators")
    ).to_be_visible()
    assert Case.objects.get().status == CaseStatus.OPEN

    page.get_by_role("button", name="Sign out").click()

    # A moderator signs in to the admin and hides it from the queue.
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(moderator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Moderation queue").first.click()
    row = page.locator("#result_list tbody tr", has_text="Review by ann on Interview (2007)")
    expect(row).to_contain_text("Cheap watches")
    expect(row).to_contain_text("Spam")
    expect(row.locator("td.field-reports")).to_have_text("1")
    screenshot("moderation-queue")
    row.locator("input.action-select").check()
    page.locator("select[name='action']").select_option("hide_item")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Review by ann on Interview (2007)")).to_be_visible()
    page.get_by_label("Why (kept in the moderation log)").fill("Advertising.")
    screenshot("moderation-confirm")
    page.get_by_role("button", name="Hide", exact=True).click()
    expect(page.get_by_text("Hide the reported items: done for 1 of 1.")).to_be_visible()

    # The review is gone from the title page (the score stays).
    page.goto(title.get_absolute_url())
    reviews = page.locator("#title-reviews")
    expect(reviews.get_by_text("This review is hidden by a moderator.")).to_be_visible()
    expect(reviews).not_to_contain_text("Cheap watches")
    expect(reviews).to_contain_text("Two liars circling each other.")

    # The report shows as resolved, with the moderator's name.
    page.goto("/admin/moderation/report/")
    report_row = page.locator("#result_list tbody tr", has_text="Review by ann on Interview (2007)")
    expect(report_row.locator("td.field-status")).to_contain_text("Resolved by mod: Hidden")
    screenshot("moderation-reports-resolved")

    # The item's page in the admin keeps the history.
    page.goto(Case.objects.get().get_admin_url())
    expect(page.get_by_text("Advertising.").first).to_be_visible()
    expect(page.get_by_text("Hid a review", exact=True)).to_be_visible()
    screenshot("moderation-case")


def test_report_form_on_a_phone(page, login, screenshot, scene):
    title, member, _moderator = scene
    page.set_viewport_size({"width": 390, "height": 844})
    login(member)
    page.goto(title.get_absolute_url())
    page.get_by_role("link", name="Report review by ann").click()
    page.get_by_label("Something else").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Say briefly what is wrong")).to_be_visible()
    screenshot("moderation-report-phone")
    page.emulate_media(color_scheme="dark")
    screenshot("moderation-report-phone-dark")


def test_report_links_on_collection_and_profile_and_notices(page, login, screenshot, scene):
    from moderation.services import hide_collection, suspend
    from tests.factories import CollectionFactory, CollectionItemFactory

    title, member, moderator = scene
    owner = UserFactory(username="dora")
    collection = CollectionFactory(owner=owner, name="Liars on film", slug="liars-on-film")
    CollectionItemFactory(collection=collection, title=title, position=1)
    login(member)
    page.goto(collection.get_absolute_url())
    expect(page.get_by_role("link", name="Report collection “Liars on film”")).to_be_visible()
    screenshot("moderation-collection-link", full_page=False)
    page.goto(owner.get_absolute_url())
    expect(page.get_by_role("link", name="Report profile of dora")).to_be_visible()
    screenshot("moderation-profile-link", full_page=False)

    hide_collection(collection, moderator, "Off-topic")
    suspend(UserFactory(username="ann2"), moderator, "Spam")
    page.goto("/u/ann2/")
    expect(page.get_by_text("This account is suspended")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    login(owner)
    page.goto(collection.get_absolute_url())
    expect(page.get_by_text("A moderator has hidden this collection")).to_be_visible()
    screenshot("moderation-collection-hidden-owner", full_page=False)

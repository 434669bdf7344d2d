"""Browser journey: sign up, choose the 1-10 scale, rate a title, see it on the profile on
that scale, export, then import a Letterboxd file through the preview."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from ratings.models import Rating
from ratings.services import rate
from tests.factories import CollectionFactory, GenreFactory, TitleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _catalog():
    drama = GenreFactory(name="Drama", slug="drama")
    crime = GenreFactory(name="Crime", slug="crime")
    comedy = GenreFactory(name="Comedy", slug="comedy")
    films = [
        ("Interview", 2007, [drama]),
        ("Heat", 1995, [crime, drama]),
        ("Amélie", 2001, [comedy]),
        ("Parasite", 2019, [drama, crime]),
        ("Zodiac", 2007, [crime]),
        ("Paterson", 2016, [drama]),
        ("Playtime", 1967, [comedy]),
        ("Chinatown", 1974, [crime]),
        ("Tokyo Story", 1953, [drama]),
        ("Certified Copy", 2010, [drama]),
        ("The Apartment", 1960, [comedy, drama]),
    ]
    titles = {}
    for name, year, genres in films:
        title = TitleFactory(name=name, year=year)
        title.genres.set(genres)
        titles[name] = title
    return titles


def _history(user, titles):
    """Earlier ratings so the profile has a distribution, years and genres to show."""
    scores = {
        "Heat": 82,
        "Parasite": 88,
        "Zodiac": 64,
        "Paterson": 71,
        "Chinatown": 93,
        "Tokyo Story": 77,
        "Certified Copy": 45,
    }
    start = datetime(2021, 3, 1, tzinfo=UTC)
    for n, (name, score) in enumerate(scores.items()):
        rate(
            user,
            titles[name],
            score,
            review="Patient and exact; the last scene stays with you."
            if name == "Tokyo Story"
            else "",
            rated_at=start + timedelta(days=170 * n),
        )
    CollectionFactory(owner=user, name="Slow Sundays", description="Films that take their time.")


def _shoot(page, screenshot, name):
    page.set_viewport_size(DESKTOP)
    screenshot(f"accounts-{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(f"accounts-{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_sign_up_choose_scale_rate_see_profile_export_and_import(page, screenshot, tmp_path):
    titles = _catalog()

    # Sign up.
    page.goto("/signup/")
    _shoot(page, screenshot, "signup")
    page.get_by_label("Username").fill("maud")
    page.get_by_label("Email").fill("maud@example.com")
    page.get_by_label("Password:", exact=True).fill("a long enough passphrase")
    page.get_by_label("Password confirmation").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/account/")
    assert page.get_by_text("Welcome, maud!").is_visible()
    user = User.objects.get(username="maud")
    _history(user, titles)

    # Choose the 1-10 scale in settings.
    page.get_by_label("Display name").fill("Maud L.")
    page.get_by_label("About you").fill("Slow cinema, mostly. Rating since 2021.")
    page.get_by_role("radio", name=re.compile(r"^1-10")).check()
    _shoot(page, screenshot, "settings")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Your settings are saved.").is_visible()
    user.refresh_from_db()
    assert user.rating_scale == "10"

    # Rate a title on the title page, on the 1-10 scale.
    page.goto(titles["Interview"].get_absolute_url())
    panel = page.locator("#rating-panel")
    panel.get_by_label(re.compile("score", re.I)).first.fill("7")
    panel.get_by_role("button", name=re.compile("^(Rate|Save)", re.I)).first.click()
    page.wait_for_function(
        "() => document.querySelector('#rating-panel') && "
        "!document.querySelector('#rating-panel').classList.contains('htmx-request')"
    )
    page.wait_for_timeout(300)
    assert Rating.objects.get(user=user, title=titles["Interview"]).score == 70

    # The profile shows it on the 1-10 scale.
    page.goto("/u/maud/")
    interview = page.locator(".profile-rating", has_text="Interview")
    assert interview.locator(".review-score").inner_text() == "7"
    assert (
        page.locator(".profile-rating", has_text="Chinatown").locator(".review-score").inner_text()
        == "9"
    )
    assert page.get_by_role("img", name="Number of ratings per score").is_visible()
    _shoot(page, screenshot, "profile")
    page.get_by_role("link", name="Compact view").click()
    assert page.locator("table.ratings-table").is_visible()
    screenshot("accounts-profile-compact-desktop")

    # Export.
    page.goto("/account/import/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my ratings (CSV)").click()
    exported = download_info.value.path().read_text(encoding="utf-8")
    assert exported.splitlines()[0] == "Title,Year,IMDb ID,Score,Percentile,Rated date,Review"
    assert "Interview,2007,,70," in exported
    _shoot(page, screenshot, "import")

    # Import a Letterboxd file through the preview.
    letterboxd = tmp_path / "ratings.csv"
    letterboxd.write_text(
        "Date,Name,Year,Letterboxd URI,Rating\n"
        "2022-01-05,Amélie,2001,https://boxd.it/29Aw,3.5\n"
        "2022-01-06,Playtime,1967,https://boxd.it/2a6S,4.5\n"
        "2022-01-07,Apartment,1960,https://boxd.it/2aP2,5\n"
        "2022-01-08,A Film Not Here,1988,https://boxd.it/zz,2\n",
        encoding="utf-8",
    )
    page.get_by_label("Ratings file (CSV)").set_input_files(str(letterboxd))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/account/import/\d+/$"))
    assert page.get_by_role("heading", name="Check before importing").is_visible()
    mapping = page.locator(".mapping-list")
    assert "3.5★" in mapping.inner_text() and "70" in mapping.inner_text()
    assert Rating.objects.filter(user=user, title=titles["Amélie"]).count() == 0
    _shoot(page, screenshot, "import-preview")
    page.get_by_role("link", name=re.compile(r"Not found \(1\)")).click()
    assert page.get_by_text("A Film Not Here").is_visible()
    page.get_by_role("button", name="Import 3 ratings").click()
    assert page.locator(".message", has_text="Imported 3 ratings.").is_visible()
    assert Rating.objects.get(user=user, title=titles["Amélie"]).score == 70
    assert Rating.objects.get(user=user, title=titles["The Apartment"]).score == 100

    page.goto("/u/maud/?sort=title")
    assert (
        page.locator(".profile-rating", has_text="Amélie").locator(".review-score").inner_text()
        == "7"
    )


def test_lockout_and_password_pages_look_finished(page, screenshot):
    from tests.factories import UserFactory

    UserFactory(username="jude")
    for _ in range(5):
        page.goto("/login/")
        page.get_by_label("Username").fill("jude")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
    page.goto("/login/")
    page.get_by_label("Username").fill("jude")
    page.get_by_label("Password").fill("wrong again")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Too many sign-in attempts").is_visible()
    screenshot("accounts-lockout-desktop")
    page.goto("/password-reset/")
    page.set_viewport_size(PHONE)
    screenshot("accounts-password-reset-phone")

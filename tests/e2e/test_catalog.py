"""Browse, search and the title page in Chromium, with screenshots at desktop and phone widths."""

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile

from accounts.models import User
from catalog.models import CreditRole, Title, WatchKind
from catalog.services import draw_poster, save_poster
from ratings.services import RatingInput, rate_many
from tests.factories import (
    CollectionFactory,
    CollectionItemFactory,
    CreditFactory,
    GenreFactory,
    PersonFactory,
    TitleFactory,
    WatchLinkFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REVIEWS = [
    "An awkward but still fulfilling movie. The interplay between the leads is what keeps it "
    "interesting, but ultimately it's also what prevents it from really shining.",
    "good movie",
    "A truly challenging film from writer, director, and star Steve Buscemi.\n"
    "At times, both characters are truly despicable.",
    "Not that bad for a movie centered around two unlikeable characters.",
    "",
    "When you're watching a film about two people, there should be something about them "
    "that makes you even give a damn.",
]


@pytest.fixture
def catalogue():
    drama = GenreFactory(name="Drama", slug="drama")
    comedy = GenreFactory(name="Comedy", slug="comedy")
    buscemi = PersonFactory(name="Steve Buscemi")
    interview = TitleFactory(
        name="Interview",
        year=2007,
        runtime_minutes=84,
        synopsis=(
            "Self-destructive journalist Pierre Peders is no stranger to violence and "
            "inhumanity. So he feels that his current puff-piece assignment, an interview "
            "with pop diva, TV and movie star Katya, is beneath his dignity."
        ),
    )
    interview.genres.add(drama)
    CreditFactory(title=interview, person=buscemi, role=CreditRole.DIRECTOR)
    CreditFactory(
        title=interview, person=buscemi, role=CreditRole.CAST, order=1, character="Pierre"
    )
    CreditFactory(
        title=interview,
        person=PersonFactory(name="Sienna Miller"),
        role=CreditRole.CAST,
        order=2,
        character="Katya",
    )
    WatchLinkFactory(title=interview, provider="FilmFlix", kind=WatchKind.STREAM)
    WatchLinkFactory(title=interview, provider="RentIt", kind=WatchKind.RENT)
    WatchLinkFactory(title=interview, provider="ShopFilm", kind=WatchKind.BUY)
    others = []
    for name, year, genre in [
        ("Trees Lounge", 1996, drama),
        ("Amélie", 2001, comedy),
        ("Lonesome Jim", 2005, drama),
        ("Ghost World", 2001, comedy),
        ("Fargo", 1996, drama),
        ("Summer Hours", 2008, drama),
    ]:
        title = TitleFactory(name=name, year=year, runtime_minutes=90 + year % 30)
        title.genres.add(genre)
        others.append(title)
    CreditFactory(title=others[0], person=buscemi, role=CreditRole.DIRECTOR)
    for title in [interview, *others[:4]]:
        save_poster(title, ContentFile(draw_poster(title), name=f"{title.slug}.png"))
    users = User.objects.bulk_create([User(username=f"viewer{n}", password="!") for n in range(26)])
    for n, user in enumerate(users):
        scores = [(n * 17 + 40) % 101, 20, 45, 65, 85, 95]
        rate_many(
            user,
            [
                RatingInput(
                    interview.pk,
                    scores[0],
                    REVIEWS[n % len(REVIEWS)],
                    datetime(2007 + n % 14, 1 + n % 12, 1 + n % 27, tzinfo=UTC),
                ),
                *[
                    RatingInput(title.pk, score)
                    for title, score in zip(others, scores[1:], strict=False)
                ],
            ],
        )
    for n in range(3):
        CollectionItemFactory(
            collection=CollectionFactory(owner=users[n], name=f"Buscemi essentials {n + 1}"),
            title=interview,
        )
    return interview


def test_search_filter_open_title_page_reviews_compact_similar_statistics(
    page, screenshot, catalogue
):
    page.goto("/titles/")
    page.get_by_label("Search", exact=True).fill("Intervew")
    page.wait_for_url("**q=Intervew**")
    page.locator("#browse-results .title-card-name", has_text="Amélie").wait_for(state="detached")
    assert page.locator("#browse-results .title-card-name").all_inner_texts() == ["Interview"]
    screenshot("catalog-browse-search")

    page.get_by_label("Search", exact=True).fill("")
    page.locator("#browse-results .title-card-name", has_text="Amélie").wait_for()
    page.wait_for_load_state("networkidle")
    page.locator("summary", has_text="Genres").click()
    page.get_by_label("Drama").check()
    page.wait_for_url("**genres=drama**")
    page.locator("#browse-results .title-card-name", has_text="Amélie").wait_for(state="detached")
    assert page.locator("#browse-results .title-card").count() == 5
    page.wait_for_load_state("networkidle")
    # htmx settles the swapped list by fading it back in; screenshot it at full opacity.
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#browse-results')).opacity === '1'"
    )
    screenshot("catalog-browse-desktop")

    page.locator("#browse-results").get_by_role("link", name="Interview").click()
    page.get_by_role("heading", name="Interview", level=1).wait_for()
    assert page.get_by_text("Your probable score").is_visible()
    assert page.get_by_text("1h 24m").is_visible()
    reviews = page.locator("#title-reviews")
    assert "Ratings & Reviews (26)" in reviews.locator("h2").inner_text()
    assert reviews.locator(".review").count() == 20

    reviews.get_by_role("link", name="Next ›").click()
    page.locator("#title-reviews .pagination", has_text="Page 2 of 2").wait_for()
    assert page.locator("#title-reviews .review").count() == 6

    page.locator("#title-reviews").get_by_role("link", name="Highest score").click()
    page.locator('#title-reviews a[aria-current="true"]', has_text="Highest").wait_for()

    assert page.locator("#title-reviews .review-text").count() > 0
    page.get_by_role("button", name="Compact view").click()
    page.locator('#title-reviews button[aria-pressed="true"]').wait_for()
    assert page.locator("#title-reviews .review-text").count() == 0
    page.reload()
    assert page.locator("#title-reviews .review-text").count() == 0  # remembered
    page.get_by_role("button", name="Compact view").click()
    page.locator('#title-reviews button[aria-pressed="false"]').wait_for()

    page.locator("#similar-titles").scroll_into_view_if_needed()
    page.locator("#similar-titles .title-card-name", has_text="Trees Lounge").wait_for()
    page.locator("#title-statistics").scroll_into_view_if_needed()
    page.locator("#title-statistics svg").first.wait_for()
    assert page.locator("#title-statistics svg").count() == 3
    assert page.get_by_text("No Trailer").is_visible()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("catalog-title-desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("#similar-titles").scroll_into_view_if_needed()
    page.locator("#similar-titles .title-card").first.wait_for()
    page.locator("#title-statistics").scroll_into_view_if_needed()
    page.locator("#title-statistics svg").first.wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("catalog-title-phone")
    page.goto("/titles/?genres=drama")
    screenshot("catalog-browse-phone")
    page.goto("/titles/")
    screenshot("catalog-browse-phone-unfiltered", full_page=False)


def test_trailer_loads_from_the_video_site_only_after_the_click(page, catalogue):
    Title.objects.filter(pk=catalogue.pk).update(
        trailer_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if "youtube" in request.url or "vimeo" in request.url
            else None
        ),
    )
    page.route("**/*youtube-nocookie.com/**", lambda route: route.abort())
    page.goto(catalogue.get_absolute_url())
    page.locator("#trailer").scroll_into_view_if_needed()
    assert page.locator("#trailer iframe").count() == 0
    assert outside == []
    page.get_by_role("link", name="Play trailer").click()
    frame = page.locator("#trailer iframe")
    frame.wait_for(state="attached")
    assert frame.get_attribute("src").startswith("https://www.youtube-nocookie.com/embed/")


def test_everything_works_without_javascript(browser, live_server, catalogue):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/titles/")
        page.get_by_label("Search", exact=True).fill("amelie")
        page.get_by_role("button", name="Show titles").click()
        page.wait_for_url("**q=amelie**")
        assert page.locator("#browse-results .title-card-name").all_inner_texts() == ["Amélie"]

        page.goto(catalogue.get_absolute_url())
        reviews = page.locator("#title-reviews")
        reviews.get_by_role("link", name="Next ›").click()
        page.wait_for_url("**reviews_page=2**")
        assert "Page 2 of 2" in page.locator("#title-reviews .pagination").inner_text()
        page.get_by_role("button", name="Compact view").click()
        page.locator('#title-reviews button[aria-pressed="true"]').wait_for()
        assert page.locator("#title-reviews .review-text").count() == 0

        page.get_by_role("link", name="Show similar titles").click()
        page.get_by_role("heading", name="Titles similar to Interview").wait_for()
        assert page.locator(".title-card-name", has_text="Trees Lounge").count() == 1
        page.go_back()
        page.get_by_role("link", name="Show statistics").click()
        page.get_by_role("heading", name="Statistics for Interview").wait_for()
        assert page.locator("svg").count() == 3
    finally:
        context.close()

"""Taste in Chromium: a probable score on the title page, its explanation, soulmates
and recommendations, at desktop and phone widths."""

import pytest

from catalog.models import Title
from ratings.services import RatingInput, rate_many
from taste import services
from taste.models import Prediction
from tests.factories import GenreFactory, TitleFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TASTES = {
    "close": lambda i: 8 * i + 3,
    "near": lambda i: 8 * i - 2,
    "far": lambda i: 100 - 8 * i,
}


@pytest.fixture
def scene():
    drama = GenreFactory(name="Drama", slug="drama")
    seen = [TitleFactory(name=f"Seen Film {i}", year=1990 + i) for i in range(1, 13)]
    interview = TitleFactory(name="Interview", year=2007, synopsis="Two people, one long night.")
    interview.genres.add(drama)
    others = [TitleFactory(name=f"Unseen Film {i}", year=2000 + i) for i in range(1, 6)]
    viewer = UserFactory(username="viewer", display_name="Vera Viewer")
    rate_many(viewer, [RatingInput(t.pk, 8 * i) for i, t in enumerate(seen, start=1)])
    for name, curve in TASTES.items():
        for n in range(3):
            person = UserFactory(username=f"{name}{n}", display_name=f"{name.title()} {n}")
            entries = [RatingInput(t.pk, curve(i)) for i, t in enumerate(seen, start=1)]
            liked = 92 if name != "far" else 20
            entries.append(RatingInput(interview.pk, liked - n))
            entries += [RatingInput(t.pk, 40 + 9 * k + n) for k, t in enumerate(others)]
            rate_many(person, entries)
    services.rebuild_all()
    return viewer, Title.objects.get(pk=interview.pk)


def test_probable_score_explanation_soulmates_and_recommendations(page, login, screenshot, scene):
    viewer, interview = scene
    login(viewer)
    page.goto(interview.get_absolute_url())
    card = page.locator("#probable-score")
    value = card.locator(".score-card-value").inner_text()
    assert value.isdigit(), value
    assert "compatible raters" in card.inner_text()
    screenshot("taste-title-page")

    card.get_by_role("link", name="How is this worked out?").click()
    page.wait_for_url("**/taste/psi/**")
    assert page.locator(".psi-big").inner_text() == value
    heading = "2. What the raters you agree with say beyond that"
    assert page.get_by_role("heading", name=heading).count()
    # Close and near raters only: the far ones' residuals go the other way (agreement 0).
    assert page.locator("#neighbours-table tbody tr").count() == 6
    screenshot("taste-psi-explanation")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Soulmates").click()
    page.wait_for_url("**/soulmates/")
    first = page.locator(".soulmates-table tbody tr").first
    assert first.locator("td").nth(1).inner_text().startswith("Close")
    screenshot("taste-soulmates")
    first.get_by_role("link", name="Compare ratings").click()
    page.wait_for_url("**/taste/tci/close*/")
    assert "Your TCI with them" in page.locator(".tci-summary").inner_text()
    assert page.locator(".taste-table tbody tr").count() == 12
    screenshot("taste-tci-explanation")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Recommendations").click()
    page.wait_for_url("**/recommendations/")
    cards = page.locator(".recommendation")
    assert cards.count() == 6
    # Ordered by rank key (q less the penalty for spread and little support), not by PSI.
    ranked = Prediction.objects.filter(user=viewer).order_by("-rank_key")
    assert cards.first.inner_text().startswith(ranked[0].title.name)
    assert cards.nth(5).inner_text().startswith(ranked[5].title.name)
    screenshot("taste-recommendations")
    page.get_by_label("Genre").select_option("drama")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**genre=drama**")
    assert page.locator(".recommendation").count() == 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.url)
    screenshot("taste-recommendations-phone")
    page.goto(interview.get_absolute_url())
    page.get_by_role("link", name="How is this worked out?").click()
    page.wait_for_url("**/taste/psi/**")
    screenshot("taste-psi-explanation-phone")


def test_newcomer_sees_why_there_is_no_probable_score(page, login, screenshot, scene):
    viewer, interview = scene
    newcomer = UserFactory(username="newcomer")
    login(newcomer)
    page.goto(interview.get_absolute_url())
    card = page.locator("#probable-score")
    assert card.locator(".score-card-value").inner_text() == "?"
    assert "Rate 10 more titles" in card.inner_text()
    page.goto("/recommendations/")
    assert "Rate 10 more titles" in page.locator(".empty-state").inner_text()
    screenshot("taste-recommendations-empty")

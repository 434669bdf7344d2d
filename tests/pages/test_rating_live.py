"""Rating a title redraws the probable-score card in the same response (htmx, out of
band) and, without JavaScript, on the title page the POST redirects to; the card and
the explanation page show the PSI's likely range."""

import pytest
from django.urls import reverse

from catalog.models import Title
from ratings.services import RatingInput, rate_many
from taste import selectors, services
from tests.factories import TitleFactory, UserFactory
from tests.html import select_one, top_level
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def rate_url(title) -> str:
    return reverse("ratings:rate", args=[title.pk])


def card(html):
    return select_one(html, "section", id="probable-score")


@pytest.fixture
def four_ratings(client):
    member = UserFactory(username="fourth")
    rate_many(
        member, [RatingInput(t.pk, 20 * i) for i, t in enumerate(TitleFactory.create_batch(4))]
    )
    client.force_login(member)
    return member, TitleFactory(name="Fifth")


def test_htmx_rating_of_a_fifth_title_updates_the_count_still_needed(client, four_ratings):
    member, fifth = four_ratings
    before = card(client.get(fifth.get_absolute_url()))
    assert "Rate 6 more titles" in before.text
    assert select_one(before, "p", class_="score-card-value").text == "?"

    response = client.post(rate_url(fifth), {"score": "50", "review": ""}, **HTMX)

    # The panel, the average, the probable-score card, the watchlist & diary card and the
    # sticky title bar.
    assert top_level(response) == ["section", "section", "section", "section", "div"]
    bar = select_one(response.content.decode(), "div", id="title-sticky-bar")
    assert bar.get("hx-swap-oob") == "true"
    assert " ".join(bar.text.split()).endswith("Rated by you 50 Your rating")
    after = card(response)
    assert after.get("hx-swap-oob") == "true"
    assert "You rated it 50 before a probable score was shown." in after.text
    assert select_one(after, "p", class_="psi-needed").text.startswith("Rate 5 more titles")


def test_without_javascript_the_redirected_title_page_counts_afresh(client, four_ratings):
    member, fifth = four_ratings
    response = client.post(rate_url(fifth), {"score": "50", "review": ""}, follow=True)

    assert response.redirect_chain[-1][0] == f"{fifth.get_absolute_url()}#rating-panel"
    after = card(response)
    assert after.get("hx-swap-oob") is None
    assert "You rated it 50" in after.text
    assert "Rate 5 more titles" in after.text


def test_htmx_delete_puts_the_question_mark_back(client, four_ratings):
    member, fifth = four_ratings
    client.post(rate_url(fifth), {"score": "50", "review": ""})
    response = client.post(reverse("ratings:unrate", args=[fifth.pk]), **HTMX)
    after = card(response)
    assert after.get("hx-swap-oob") == "true"
    assert select_one(after, "p", class_="score-card-value").text == "?"
    assert "Rate 6 more titles" in after.text


@pytest.fixture
def predicted(client):
    """U rated T1..T10 (10..100); V alike rated X (T20) 100: U has a PSI for X."""
    titles = [None] + [TitleFactory(name=f"T{i}") for i in range(1, 21)]
    u, v = UserFactory(username="u"), UserFactory(username="v")
    give(u, {titles[i]: 10 * i for i in range(1, 11)})
    give(v, {**{titles[i]: 10 * i for i in range(1, 11)}, titles[20]: 100})
    services.rebuild_all()
    client.force_login(u)
    return u, Title.objects.get(pk=titles[20].pk)


def test_title_page_and_explanation_show_the_likely_range(client, predicted):
    u, x = predicted
    psi = selectors.probable_score(u, x)
    low, high = psi.low, psi.high
    assert low < psi.rounded < high  # one neighbour: a wide range
    shown = card(client.get(x.get_absolute_url()))
    assert select_one(shown, "span", class_="psi-range").text == (
        f"{psi.rounded}, likely {low}-{high}"
    )
    html = client.get(reverse("taste:psi-explain", args=[x.pk])).content.decode()
    step = select_one(html, "li", id="psi-range")
    assert f"{psi.prediction.spread:.2f}" in step.text
    assert f"{psi.prediction.rank_key:.2f}" in step.text
    assert f"→ {low}" in step.text and f"→ {high}" in step.text


def test_htmx_rating_switches_the_card_from_the_psi_to_the_rated_state(client, predicted):
    u, x = predicted
    shown = card(client.get(x.get_absolute_url()))
    psi = select_one(shown, "p", class_="score-card-value").text
    assert psi.isdigit()

    response = client.post(rate_url(x), {"score": "70", "review": ""}, **HTMX)

    after = card(response)
    assert after.get("hx-swap-oob") == "true"
    assert select_one(after, "p", class_="score-card-help").text == (
        f"Your PSI was {psi}; you rated it 70."
    )
    assert "likely" not in after.text
    assert "more title" not in after.text  # eleven ratings: nothing still needed

"""The watchlist button (title page, browse cards, recommendation cards, collection
pages; htmx and plain forms), rating a title on the watchlist, and /watchlist/."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Title
from library import services
from library.models import Viewing, WatchlistEntry
from taste import services as taste_services
from tests.factories import (
    CollectionFactory,
    CollectionItemFactory,
    GenreFactory,
    TitleFactory,
    UserFactory,
    WatchLinkFactory,
)
from tests.html import select, select_one
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _on_list(user) -> set[int]:
    return set(WatchlistEntry.objects.filter(user=user).values_list("title_id", flat=True))


def test_title_page_button_adds_without_javascript(client, member):
    title = TitleFactory(name="Heat")
    page = client.get(title.get_absolute_url()).content.decode()
    form = select_one(page, "form", class_="watchlist-form watchlist-page")
    assert form.get("action") == reverse("library:watchlist-add", args=[title.pk])
    response = client.post(form.get("action"), {"next": title.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == title.get_absolute_url()
    assert _on_list(member) == {title.pk}
    page = client.get(title.get_absolute_url()).content.decode()
    button = select_one(
        page, "button", class_="button-secondary button-small watchlist-toggle is-on"
    )
    assert button.get("aria-pressed") == "true"


def test_htmx_toggle_answers_with_the_button_only(client, member):
    title = TitleFactory(name="Heat")
    response = client.post(
        reverse("library:watchlist-add", args=[title.pk]), {"variant": "card"}, **HTMX
    )
    html = response.content.decode()
    assert "<html" not in html
    form = select_one(html, "form")
    assert form.get("action") == reverse("library:watchlist-remove", args=[title.pk])
    assert _on_list(member) == {title.pk}
    client.post(reverse("library:watchlist-remove", args=[title.pk]), **HTMX)
    assert _on_list(member) == set()


def test_anonymous_is_sent_to_sign_in_and_nothing_is_saved(client):
    title = TitleFactory()
    response = client.post(reverse("library:watchlist-add", args=[title.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    response = client.post(reverse("library:watchlist-add", args=[title.pk]), **HTMX)
    assert response.status_code == 403 and "HX-Redirect" in response
    assert not WatchlistEntry.objects.exists()


def test_unknown_title_is_a_404(client, member):
    assert client.post(reverse("library:watchlist-add", args=[999999])).status_code == 404


def test_off_site_next_is_ignored(client, member):
    title = TitleFactory()
    response = client.post(
        reverse("library:watchlist-add", args=[title.pk]), {"next": "//evil.com/"}
    )
    assert response["Location"] == title.get_absolute_url()


def test_browse_cards_show_the_button_with_the_state(client, member):
    on, off = TitleFactory(name="Alpha"), TitleFactory(name="Beta")
    services.watchlist_add(user=member, title=on)
    html = client.get(reverse("catalog:title-list")).content.decode()
    actions = {
        form.get("action") for form in select(html, "form", class_="watchlist-form watchlist-card")
    }
    assert actions == {
        reverse("library:watchlist-remove", args=[on.pk]),
        reverse("library:watchlist-add", args=[off.pk]),
    }


def test_collection_page_shows_the_button(client, member):
    title = TitleFactory(name="Alpha")
    collection = CollectionFactory(owner=UserFactory(), name="Best")
    CollectionItemFactory(collection=collection, title=title)
    html = client.get(collection.get_absolute_url()).content.decode()
    form = select_one(html, "form", class_="watchlist-form watchlist-card")
    assert form.get("action") == reverse("library:watchlist-add", args=[title.pk])


@pytest.fixture
def predicted(client):
    """U rated T1..T10 (10..100); V alike rated X1 100 and X2 10: U has PSIs, X1 high."""
    titles = [None] + [TitleFactory(name=f"T{i}") for i in range(1, 11)]
    x1 = TitleFactory(name="Xhigh", year=1990, runtime_minutes=150)
    x2 = TitleFactory(name="Xlow", year=2010, runtime_minutes=90)
    u, v = UserFactory(username="u"), UserFactory(username="v")
    give(u, {titles[i]: 10 * i for i in range(1, 11)})
    give(v, {**{titles[i]: 10 * i for i in range(1, 11)}, x1: 100, x2: 10})
    taste_services.rebuild_all()
    client.force_login(u)
    return u, Title.objects.get(pk=x1.pk), Title.objects.get(pk=x2.pk)


def test_recommendation_cards_show_the_button(client, predicted):
    u, x1, _x2 = predicted
    html = client.get(reverse("taste:recommendations")).content.decode()
    actions = {
        form.get("action") for form in select(html, "form", class_="watchlist-form watchlist-card")
    }
    assert reverse("library:watchlist-add", args=[x1.pk]) in actions


def _names(client, query="") -> list[str]:
    html = client.get(reverse("library:watchlist") + query).content.decode()
    return [
        select_one(str_row, "h2").text.split(" (")[0]
        for str_row in [row for row in select(html, "li", class_="watchlist-row")]
    ]


def test_watchlist_sorted_by_psi_with_its_range_then_other_orders(client, predicted):
    u, x1, x2 = predicted
    old = timezone.now() - datetime.timedelta(days=3)
    WatchlistEntry.objects.create(user=u, title=x1, added_at=old)
    services.watchlist_add(user=u, title=x2)
    html = client.get(reverse("library:watchlist")).content.decode()
    rows = select(html, "li", class_="watchlist-row")
    assert [select_one(row, "h2").text.split(" (")[0] for row in rows] == ["Xhigh", "Xlow"]
    assert select_one(rows[0], "span", class_="psi-range small").text.startswith("likely ")
    assert _names(client, "?sort=-added") == ["Xlow", "Xhigh"]
    assert _names(client, "?sort=year") == ["Xhigh", "Xlow"]
    assert _names(client, "?sort=-year") == ["Xlow", "Xhigh"]
    assert _names(client, "?sort=runtime") == ["Xlow", "Xhigh"]
    assert _names(client, "?sort=nonsense") == ["Xhigh", "Xlow"]


def test_watchlist_filters(client, member):
    drama = GenreFactory(name="Drama", slug="drama")
    a = TitleFactory(name="A", year=1980, kind="film")
    b = TitleFactory(name="B", year=2000, kind="tv_series")
    c = TitleFactory(name="C", year=2020, kind="film")
    a.genres.add(drama)
    WatchLinkFactory(title=c, provider="Mubi", kind="stream")
    WatchLinkFactory(title=a, provider="Mubi", kind="rent")
    for title in (a, b, c):
        services.watchlist_add(user=member, title=title)
    assert sorted(_names(client, "?kind=film")) == ["A", "C"]
    assert _names(client, "?genre=drama") == ["A"]
    assert sorted(_names(client, "?year_min=1990")) == ["B", "C"]
    assert sorted(_names(client, "?year_max=2000&year_min=abc")) == ["A", "B"]
    assert _names(client, "?provider=Mubi") == ["C"]
    html = client.get(reverse("library:watchlist") + "?provider=Mubi").content.decode()
    assert "streaming on Mubi" in select_one(html, "li", class_="watchlist-row").text
    assert select_one(html, "p", **{"data-testid": "watchlist-count"}).text.startswith(
        "1 title of 3"
    )


def test_rating_a_watchlisted_title_takes_it_off_with_undo_and_logs_a_rewatch(client, member):
    title = TitleFactory(name="Heat")
    services.watchlist_add(user=member, title=title)
    today = timezone.localdate()
    response = client.post(
        reverse("ratings:rate", args=[title.pk]),
        {
            "score": "80",
            "review": "",
            "viewing-log": "on",
            "viewing-watched_on": "2019-03-12",
            "viewing-rewatch": "on",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert _on_list(member) == set()
    undo = select_one(html, "form", class_="watchlist-undo")
    assert undo.get("action") == reverse("library:watchlist-add", args=[title.pk])
    viewing = Viewing.objects.get(user=member)
    assert (viewing.watched_on, viewing.rewatch) == (datetime.date(2019, 3, 12), True)
    # The title page's card is redrawn out of band with the viewing.
    library_card = select_one(html, "section", id="title-library")
    assert library_card.get("hx-swap-oob") == "true"
    assert "You watched this once: 12 Mar 2019" in library_card.text
    # Undo puts it back.
    client.post(undo.get("action"), {"next": title.get_absolute_url()})
    assert _on_list(member) == {title.pk}
    # Default form: the date field shows today.
    page = client.get(title.get_absolute_url()).content.decode()
    date_input = select_one(page, "input", name="viewing-watched_on")
    assert date_input.get("value") == today.isoformat()


def test_rating_without_ticking_logs_no_viewing(client, member):
    title = TitleFactory()
    client.post(
        reverse("ratings:rate", args=[title.pk]),
        {"score": "80", "review": "", "viewing-watched_on": "2999-01-01"},
    )
    assert not Viewing.objects.exists()
    assert member.ratings.count() == 1


def test_future_viewing_with_a_rating_saves_neither_and_says_why(client, member):
    title = TitleFactory()
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = client.post(
        reverse("ratings:rate", args=[title.pk]),
        {"score": "80", "review": "Kept", "viewing-log": "on", "viewing-watched_on": future},
    )
    assert response.status_code == 400
    assert "That date is in the future." in response.content.decode()
    assert select_one(response.content.decode(), "textarea", name="review").text == "Kept"
    assert not Viewing.objects.exists() and member.ratings.count() == 0


def test_title_page_lists_viewings_and_logs_one(client, member):
    title = TitleFactory(name="Heat")
    for day in (datetime.date(2019, 3, 12), datetime.date(2020, 1, 5)):
        services.viewing_create(user=member, title=title, watched_on=day)
    response = client.post(
        reverse("library:viewing-log", args=[title.pk]),
        {"watched_on": "2021-07-01", "rewatch": "on", "note": "Cinema"},
        **HTMX,
    )
    summary = select_one(response.content.decode(), "p", **{"data-testid": "viewings-summary"})
    assert summary.text.split(":", 1)[1].split() == [
        "12", "Mar", "2019,", "5", "Jan", "2020,", "1", "Jul", "2021", "rewatch.",
    ]  # fmt: skip
    assert summary.text.startswith("You watched this 3 times")
    bad = client.post(reverse("library:viewing-log", args=[title.pk]), {"watched_on": "soon"})
    assert bad.status_code == 400 and "Enter a date like 2024-03-12." in bad.content.decode()
    assert Viewing.objects.count() == 3


def test_watchlist_says_once_why_there_are_no_probable_scores(client, member):
    services.watchlist_add(user=member, title=TitleFactory(name="Alpha"))
    html = client.get(reverse("library:watchlist")).content.decode()
    assert "Rate 10 more titles to get probable scores" in html
    client.logout()
    owner = UserFactory(username="pub", watchlist_public=True)
    services.watchlist_add(user=owner, title=TitleFactory(name="Beta"))
    html = client.get(reverse("library:member-watchlist", args=["pub"])).content.decode()
    assert "Sign in and rate at least 10 titles to get a probable score." in html

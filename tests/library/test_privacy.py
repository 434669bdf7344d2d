"""User.visibility enforced: profile, ratings lists, diary, watchlist, soulmates, the
title page's ratings, the PSI explanation and the home page's reviews."""

import datetime

import pytest
from django.urls import reverse

from library import services
from ratings.services import rate
from taste import services as taste_services
from tests.factories import TitleFactory, UserFactory
from tests.html import select, select_one, texts
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db

VIEWERS = ("anonymous", "member", "owner", "staff")
SEES = {
    "public": {"anonymous": True, "member": True, "owner": True, "staff": True},
    "members": {"anonymous": False, "member": True, "owner": True, "staff": True},
    "private": {"anonymous": False, "member": False, "owner": True, "staff": True},
}


def _sign_in(client, viewer: str, owner):
    client.logout()
    if viewer == "member":
        client.force_login(UserFactory())
    elif viewer == "owner":
        client.force_login(owner)
    elif viewer == "staff":
        client.force_login(UserFactory(is_staff=True))


@pytest.mark.parametrize("visibility", sorted(SEES))
def test_profile_and_diary_follow_the_setting(client, visibility):
    owner = UserFactory(username="hidden", visibility=visibility)
    services.viewing_create(user=owner, title=TitleFactory(), watched_on=datetime.date(2020, 5, 1))
    for viewer in VIEWERS:
        _sign_in(client, viewer, owner)
        for url in (
            reverse("accounts:profile", args=["hidden"]),
            reverse("library:diary", args=["hidden"]),
        ):
            status = client.get(url).status_code
            assert status == (200 if SEES[visibility][viewer] else 404), (viewer, url)


@pytest.mark.parametrize("visibility", sorted(SEES))
@pytest.mark.parametrize("watchlist_public", [False, True])
def test_watchlist_is_private_unless_made_public(client, visibility, watchlist_public):
    owner = UserFactory(username="w", visibility=visibility, watchlist_public=watchlist_public)
    services.watchlist_add(user=owner, title=TitleFactory(name="Kept"))
    url = reverse("library:member-watchlist", args=["w"])
    for viewer in VIEWERS:
        _sign_in(client, viewer, owner)
        expected = viewer in ("owner", "staff") or (watchlist_public and SEES[visibility][viewer])
        response = client.get(url)
        assert response.status_code == (200 if expected else 404), viewer
        if expected:
            assert "Kept" in response.content.decode()


def test_own_watchlist_needs_sign_in(client):
    assert client.get(reverse("library:watchlist")).status_code == 302


def test_title_page_ratings_leave_out_hidden_raters_but_the_average_counts_them(client):
    title = TitleFactory(name="Heat")
    names = {"pub": "public", "mem": "members", "priv": "private"}
    raters = {}
    for name, visibility in names.items():
        raters[name] = UserFactory(username=name, visibility=visibility)
        rate(raters[name], title, 60, review=f"by {name}")
    url = title.get_absolute_url()

    def authors():
        html = client.get(url).content.decode()
        return sorted(texts(html, "a", class_="review-author"))

    assert authors() == ["pub"]
    client.force_login(UserFactory())
    assert authors() == ["mem", "pub"]
    client.force_login(raters["priv"])
    assert authors() == ["mem", "priv", "pub"]
    client.force_login(UserFactory(is_staff=True))
    assert authors() == ["mem", "priv", "pub"]
    title.refresh_from_db()
    assert title.ratings_count == 3


def test_home_reviews_show_public_raters_only(client):
    title = TitleFactory()
    rate(UserFactory(username="pub"), title, 60, review="Open")
    rate(UserFactory(username="mem", visibility="members"), title, 60, review="Closed")
    html = client.get(reverse("home")).content.decode()
    assert "Open" in html and "Closed" not in html


@pytest.fixture
def neighbours(db):
    """U and two alike raters, one of them private, who both rated X: U has a PSI for X
    from both and both are U's soulmates."""
    titles = [TitleFactory(name=f"T{i}") for i in range(10)]
    x = TitleFactory(name="X")
    u = UserFactory(username="u")
    open_ = UserFactory(username="open")
    closed = UserFactory(username="closed", visibility="private")
    give(u, {t: 10 * (i + 1) for i, t in enumerate(titles)})
    for other in (open_, closed):
        give(other, {**{t: 10 * (i + 1) for i, t in enumerate(titles)}, x: 90})
    taste_services.rebuild_all()
    return u, x


def test_soulmates_leave_out_private_members(client, neighbours):
    u, _x = neighbours
    client.force_login(u)
    html = client.get(reverse("taste:soulmates")).content.decode()
    assert "open" in html and "closed" not in html
    assert client.get(reverse("taste:tci-explain", args=["closed"])).status_code == 404
    assert client.get(reverse("taste:tci-explain", args=["open"])).status_code == 200


def test_psi_explanation_names_private_neighbours_no_more(client, neighbours):
    u, x = neighbours
    client.force_login(u)
    html = client.get(reverse("taste:psi-explain", args=[x.pk])).content.decode()
    table = select_one(html, "table", id="neighbours-table")
    cells = [row.text for row in select(table, "tr")]
    assert any("open" in cell for cell in cells)
    assert not any("closed" in cell for cell in cells)
    assert any("a member whose ratings are private" in cell for cell in cells)


def test_settings_page_saves_the_privacy_choices(client):
    member = UserFactory(username="maud")
    client.force_login(member)
    page = client.get(reverse("accounts:settings")).content.decode()
    checked = select_one(page, "input", type="radio", name="visibility", checked=True)
    assert checked.get("value") == "public"
    response = client.post(
        reverse("accounts:settings"),
        {
            "display_name": "",
            "bio": "",
            "rating_scale": "100",
            "visibility": "private",
            "watchlist_public": "on",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.visibility, member.watchlist_public) == ("private", True)
    bad = client.post(
        reverse("accounts:settings"),
        {"display_name": "", "bio": "", "rating_scale": "100", "visibility": "everyone!"},
    )
    assert bad.status_code == 400
    member.refresh_from_db()
    assert member.visibility == "private"

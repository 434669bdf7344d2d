import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from catalog.models import TitleKind
from ratings.services import rate
from tests.factories import CollectionFactory, GenreFactory, TitleFactory, UserFactory
from tests.html import select, select_one, texts, top_level

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    user = UserFactory(username="maud", display_name="Maud L.", bio="Slow cinema, mostly.")
    drama = GenreFactory(name="Drama", slug="drama")
    crime = GenreFactory(name="Crime", slug="crime")
    specs = [
        ("Heat", 1995, TitleKind.FILM, [crime, drama], 73, 2019, "Tense."),
        ("Amélie", 2001, TitleKind.FILM, [drama], 90, 2020, ""),
        ("Parasite", 2019, TitleKind.FILM, [drama, crime], 85, 2020, "The stairs!"),
        ("Twin Peaks", 1990, TitleKind.TV_SERIES, [drama], 60, 2021, ""),
        ("Crash", 2004, TitleKind.FILM, [drama], 20, 2021, ""),
        ("Zodiac", 2007, TitleKind.FILM, [crime], 45, 2021, ""),
    ]
    for name, year, kind, genres, score, rated_year, review in specs:
        title = TitleFactory(name=name, year=year, kind=kind)
        title.genres.set(genres)
        rate(user, title, score, review=review, rated_at=datetime(rated_year, 3, 1, tzinfo=UTC))
    CollectionFactory(owner=user, name="Rainy Sundays", is_public=True)
    CollectionFactory(owner=user, name="Secret list", is_public=False)
    return user


def _profile(client, username="maud", **params):
    return client.get(reverse("accounts:profile", kwargs={"username": username}), params)


def test_unknown_or_inactive_member_is_404(client):
    assert _profile(client, "nobody").status_code == 404
    UserFactory(username="gone", is_active=False)
    assert _profile(client, "gone").status_code == 404


def test_profile_shows_counts_bio_charts_genres_reviews_and_public_collections(client, member):
    content = _profile(client).content.decode()
    assert "Maud L." in content and "Slow cinema, mostly." in content
    assertInHTML('<dt>Ratings</dt><dd class="stat">6</dd>', content)
    assertInHTML('<dt>Reviews</dt><dd class="stat">2</dd>', content)
    assertInHTML('<dt>Collections</dt><dd class="stat">1</dd>', content)
    assert select(content, "svg", role="img") and "Number of ratings per score" in content
    assert "pband-3" in content  # percentile bands tint the bars
    assert "Titles rated per year" in content and "2021" in texts(content, "text")
    assert select_one(content, "a", href="?genre=drama#ratings").text == "Drama"
    assert "The stairs!" in content
    assert "Rainy Sundays" in content and "Secret list" not in content
    assert select(content, style=True) == []


def test_profile_scores_show_on_the_viewers_scale(client, member):
    assert ">73<" in _profile(client).content.decode()  # signed out: 0-100
    client.force_login(UserFactory(username="viewer", rating_scale="10"))
    content = _profile(client).content.decode()
    assert "7" in texts(content, "span", class_="review-score")
    labels = texts(content, "text")  # chart bars on the 1-10 scale
    assert "1" in labels and "10" in labels
    client.force_login(UserFactory(username="stars", rating_scale="5"))
    assert "3.5★" in texts(_profile(client), "span", class_="review-score")


def _titles_in_order(content: str) -> list[str]:
    import re

    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', content)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-score", ["Amélie", "Parasite", "Heat", "Twin Peaks", "Zodiac", "Crash"]),
        ("score", ["Crash", "Zodiac", "Twin Peaks", "Heat", "Parasite", "Amélie"]),
        ("title", ["Amélie", "Crash", "Heat", "Parasite", "Twin Peaks", "Zodiac"]),
        ("-percentile", ["Amélie", "Parasite", "Heat", "Twin Peaks", "Zodiac", "Crash"]),
        ("date", ["Heat", "Amélie", "Parasite", "Twin Peaks", "Crash", "Zodiac"]),
    ],
)
def test_ratings_list_sorts(client, member, sort, expected):
    content = _profile(client, sort=sort).content.decode()
    assert _titles_in_order(content) == expected


def test_ratings_list_filters_by_kind_genre_and_year(client, member):
    assert _titles_in_order(_profile(client, kind="tv_series").content.decode()) == ["Twin Peaks"]
    crime = _titles_in_order(_profile(client, genre="crime", sort="title").content.decode())
    assert crime == ["Heat", "Parasite", "Zodiac"]
    assert _titles_in_order(_profile(client, year="2019").content.decode()) == ["Parasite"]


def test_nonsense_filters_are_ignored_not_errors(client, member):
    response = _profile(client, sort="drop table", kind="x", year="99999", page="abc")
    assert response.status_code == 200
    assert len(_titles_in_order(response.content.decode())) == 6


@pytest.mark.parametrize("year", ["²", "٣", "9" * 5_000, "2019.0"])
def test_a_year_that_is_not_plain_digits_is_ignored(client, member, year):
    # "²".isdigit() is True but int("²") fails; 5,000 digits pass int()'s limit.
    response = _profile(client, year=year)
    assert response.status_code == 200
    assert len(_titles_in_order(response.content.decode())) == 6


def test_compact_view_is_a_table_and_remembered_preference_is_the_default(client, member):
    content = _profile(client, view="compact").content.decode()
    assert select_one(content, "table", class_="ratings-table")
    client.force_login(UserFactory(username="compact-fan", prefers_compact=True))
    assert select_one(_profile(client), "table", class_="ratings-table")
    assert select(_profile(client, view="full"), "table", class_="ratings-table") == []


def test_ratings_list_is_paginated_and_htmx_gets_only_the_fragment(client):
    user = UserFactory(username="busy")
    for n, title in enumerate(TitleFactory.create_batch(35)):
        rate(user, title, n)
    content = _profile(client, "busy").content.decode()
    assert "Page 1 of 2" in content
    response = client.get(
        reverse("accounts:profile", kwargs={"username": "busy"}),
        {"page": 2},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="profile-ratings",
    )
    fragment = response.content.decode()
    assert top_level(fragment) == ["section"]
    assert {"section", "profile-ratings"} <= select_one(fragment, "section").classes
    assert "Page 2 of 2" in fragment


def test_profile_query_count_does_not_grow_with_ratings(client, django_assert_max_num_queries):
    user = UserFactory(username="many")
    genres = [GenreFactory(name=f"G{n}", slug=f"g{n}") for n in range(5)]
    for n, title in enumerate(TitleFactory.create_batch(60)):
        title.genres.set(genres[: n % 5 + 1])
        # Test data past the hourly review limit (40 reviews): not a member's posts.
        rate(user, title, n % 100, review="Fine." if n % 3 else "", limit_reviews=False)
    for n in range(8):
        CollectionFactory(owner=user, name=f"List {n}")
    client.force_login(UserFactory(username="viewer"))
    # 18 before the diary statistics and the social panels: +1 for viewings per month (+1
    # for distinct titles once there are viewings), +3 with issue 15 (the follow panel,
    # favourite people, the header's unread count).
    with django_assert_max_num_queries(22):
        assert _profile(client, "many").status_code == 200
    with django_assert_max_num_queries(22):
        assert _profile(client, "many", view="compact", genre="g1").status_code == 200


def test_member_with_no_ratings_gets_friendly_empty_states(client):
    user = UserFactory(username="new")
    client.force_login(user)
    content = _profile(client, "new").content.decode()
    assert "You have not rated anything yet" in content
    assert "Edit settings" in content
    assert "No reviews yet" in content


def test_profile_thumbnails_use_the_list_rendition_not_the_full_poster(client):
    from django.core.files.base import ContentFile

    from catalog.services import save_poster
    from tests.factories import image_bytes

    member = UserFactory(username="thumbs")
    title = save_poster(
        TitleFactory(name="Heat"), ContentFile(image_bytes(size=(900, 1350)), "heat.png")
    )
    rate(member, title, 80)
    html = client.get(reverse("accounts:profile", args=["thumbs"])).content.decode()
    thumbnails = re.findall(r'class="profile-rating-poster"[^>]*><img src="([^"]+)"', html)
    assert thumbnails == [title.poster_list.url]
    assert title.poster.url != title.poster_list.url

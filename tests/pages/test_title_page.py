from datetime import UTC, datetime

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from accounts.models import User
from catalog.models import CreditRole, TitleStats, WatchKind
from ratings.models import Rating
from ratings.services import rate, set_review_hidden
from tests.catalog.conftest import make_raters
from tests.factories import (
    CollectionFactory,
    CollectionItemFactory,
    CreditFactory,
    GenreFactory,
    PersonFactory,
    TitleFactory,
    UserFactory,
    WatchLinkFactory,
)
from tests.html import inline_styles_and_scripts, select, select_one, top_level

pytestmark = pytest.mark.django_db

SEED_SECTIONS = [
    "Watch",
    "Your probable score",
    "Avg Percentile",
    "Ratings &amp; Reviews",
    "Compact view",
    "Collections",
    "Similar Titles",
    "Statistics",
    "Trailer",
]


@pytest.fixture
def interview():
    title = TitleFactory(
        name="Interview",
        year=2007,
        runtime_minutes=84,
        synopsis="Self-destructive journalist Pierre Peders is no stranger to violence.",
    )
    title.genres.add(GenreFactory(name="Drama", slug="drama"))
    CreditFactory(title=title, person=PersonFactory(name="Steve Buscemi"), role=CreditRole.DIRECTOR)
    CreditFactory(
        title=title,
        person=PersonFactory(name="Sienna Miller"),
        role=CreditRole.CAST,
        order=1,
        character="Katya",
    )
    WatchLinkFactory(title=title, provider="FilmFlix", kind=WatchKind.STREAM)
    WatchLinkFactory(title=title, provider="RentIt", kind=WatchKind.RENT)
    return title


def _get(client, title, **params):
    return client.get(title.get_absolute_url(), params)


def test_page_has_every_section_of_the_seed_page(client, interview):
    content = _get(client, interview).content.decode()
    for heading in SEED_SECTIONS:
        assert heading in content, heading
    for text in ("Interview", "2007", "Drama", "1h 24m", "Pierre Peders", "Steve Buscemi"):
        assert text in content
    assert "Sienna Miller" in content and "as Katya" in content
    assert "FilmFlix" in content and "RentIt" in content
    assert "No Trailer" in content


def test_average_percentile_has_two_decimals_and_the_total(client, interview):
    TitleStats.objects.filter(title_id=interview.pk).update(
        ratings_count=421, percentile_sum=4687, percentile_count=100
    )
    content = _get(client, interview).content.decode()
    assert "Avg Percentile 46.87% from 421 total ratings" in content


def test_probable_score_shows_what_is_needed(client, interview):
    content = _get(client, interview).content.decode()
    assert "Your probable score" in content
    assert "rate at least 10 titles to get a probable score" in content


def test_ratings_show_date_score_ordinal_percentile_and_escaped_review(client, interview):
    users = UserFactory.create_batch(2)
    # Five distinct scores give the first user percentiles.
    for n, score in enumerate([10, 30, 50, 90]):
        rate(users[0], TitleFactory(name=f"Other {n}"), score)
    rate(
        users[0],
        interview,
        73,
        review="Awkward <b>but</b> fulfilling.\nSecond line.",
        rated_at=datetime(2008, 5, 24, 12, tzinfo=UTC),
    )
    content = _get(client, interview).content.decode()
    # 73 among 10, 30, 50, 73, 90: floor(100 * (3 + 1/2) / 5) = 70.
    assert Rating.objects.get(user=users[0], title=interview).percentile == 70
    review = select_one(content, "li", class_="review")
    assert select_one(review, "time", datetime="2008-05-24").text == "Rated 24 May 2008"
    assert select_one(review, "span", class_="review-score").text == "73"
    percentile = select_one(review, "span", class_="review-percentile")
    assert percentile.text == "70th"
    assert percentile.get("title") == "Percentile among this rater's own ratings"
    assertInHTML(
        '<div class="review-text">Awkward &lt;b&gt;but&lt;/b&gt; fulfilling.<br>Second line.</div>',
        content,
    )
    assert select_one(content, "h2", id="reviews-heading").text == "Ratings & Reviews (1)"


def test_score_is_shown_on_the_viewers_scale(client, interview):
    rater = UserFactory()
    rate(rater, interview, 73)
    viewer = UserFactory(rating_scale="10")
    client.force_login(viewer)
    content = _get(client, interview).content.decode()
    score = select_one(content, "span", class_="review-score")
    assert (score.text, score.get("title")) == ("7", "Score on your scale")


def test_hidden_review_shows_the_rating_but_not_the_text(client, interview):
    rater = UserFactory()
    rating = rate(rater, interview, 40, review="Rude words here")
    set_review_hidden([rating.pk], True)
    content = _get(client, interview).content.decode()
    assert "Rude words here" not in content
    assert "hidden by a moderator" in content
    assert select_one(content, "span", class_="review-score").text == "40"


def test_reviews_are_paginated_and_paged_with_htmx(client, interview):
    make_raters(interview, 25)
    first = _get(client, interview)
    assert len(first.context["reviews_page"]) == 20
    next_link = select_one(first, "a", rel="next")
    assert next_link.get("hx-get") == "?reviews_page=2"
    assert next_link.get("hx-target") == "#title-reviews"
    second = client.get(
        interview.get_absolute_url(),
        {"reviews_page": 2},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="title-reviews",
    )
    content = second.content.decode()
    assert len(second.context["reviews_page"]) == 5
    assert top_level(content) == ["section"]


@pytest.mark.parametrize(("sort", "reverse_order"), [("highest", True), ("lowest", False)])
def test_reviews_sort_by_score(client, interview, sort, reverse_order):
    make_raters(interview, 6)
    page = _get(client, interview, sort=sort).context["reviews_page"]
    scores = [rating.score for rating in page]
    assert scores == sorted(scores, reverse=reverse_order)


def test_reviews_sort_newest_first_by_default_and_ignore_unknown_sorts(client, interview):
    make_raters(interview, 6)
    page = _get(client, interview, sort="bogus").context["reviews_page"]
    dates = [rating.rated_at for rating in page]
    assert dates == sorted(dates, reverse=True)


def test_compact_view_is_remembered_in_the_session_for_anonymous_viewers(client, interview):
    make_raters(interview, 2)
    url = reverse("catalog:title-compact-view", args=[interview.pk, interview.slug])
    response = client.post(url, {"compact": "on", "next": interview.get_absolute_url()})
    assert response.status_code == 302
    content = _get(client, interview).content.decode()
    assert "is-compact" in content and "Review 0" not in content
    client.post(url, {"compact": "off"})
    assert "Review 0" in _get(client, interview).content.decode()


def test_compact_view_is_saved_on_the_account_and_returns_the_fragment(client, interview):
    make_raters(interview, 2)
    user = UserFactory()
    client.force_login(user)
    url = reverse("catalog:title-compact-view", args=[interview.pk, interview.slug])
    response = client.post(url, {"compact": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    user.refresh_from_db()
    assert user.prefers_compact is True


def test_compact_view_rejects_bad_values_and_foreign_redirects(client, interview):
    url = reverse("catalog:title-compact-view", args=[interview.pk, interview.slug])
    assert client.post(url, {"compact": "maybe"}).status_code == 400
    assert client.get(url).status_code == 405
    response = client.post(url, {"compact": "on", "next": "https://evil.example/"})
    assert response["Location"].startswith(interview.get_absolute_url())


def test_old_slug_redirects_permanently_keeping_the_query(client, interview):
    url = reverse("catalog:title-detail", kwargs={"pk": interview.pk, "slug": "old-name"})
    response = client.get(url, {"sort": "highest"})
    assert response.status_code == 301
    assert response["Location"] == f"{interview.get_absolute_url()}?sort=highest"


def test_unknown_title_is_404(client):
    response = client.get(reverse("catalog:title-detail", kwargs={"pk": 999999, "slug": "x"}))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_trailer_loads_only_after_a_click(client, interview):
    interview.trailer_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    interview.save()
    content = _get(client, interview).content.decode()
    embed = select_one(content, data_embed_src=True).get("data-embed-src")
    assert embed.startswith("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
    assert select(content, "iframe") == []
    assert select_one(content, "a", href="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert "js/catalog.js" in content


def test_unknown_trailer_host_is_a_plain_link(client, interview):
    interview.trailer_url = "https://trailers.example.com/interview"
    interview.save()
    content = _get(client, interview).content.decode()
    assert "data-embed-src" not in content
    assert select_one(content, "a", href="https://trailers.example.com/interview")


def test_similar_and_statistics_load_lazily_with_plain_links(client, interview):
    content = _get(client, interview).content.decode()
    similar = reverse("catalog:title-similar", args=[interview.pk, interview.slug])
    statistics = reverse("catalog:title-statistics", args=[interview.pk, interview.slug])
    for url in (similar, statistics):
        assert select_one(content, hx_get=url).get("hx-trigger") == "revealed"
        assert select_one(content, "a", href=url)
    assert content.count("Loading ...") == 2


def test_title_page_has_no_inline_scripts_or_styles(client, interview):
    content = _get(client, interview).content.decode()
    assert inline_styles_and_scripts(content) == []


def _collections(title, count: int) -> None:
    owner = UserFactory()
    for _ in range(count):
        CollectionItemFactory(collection=CollectionFactory(owner=owner), title=title)


def test_query_count_is_the_same_for_10_and_1000_ratings(
    client, interview, django_assert_max_num_queries
):
    small = TitleFactory(name="Small")
    make_raters(small, 10, prefix="s")
    _collections(small, 2)
    big = interview
    make_raters(big, 1000, prefix="b")
    _collections(big, 30)
    assert User.objects.count() >= 1010
    # Anonymous: the cached sections' generations (pages.sections), title, genres,
    # credits, watch links, ratings count and page, collections count and page. Signed in
    # adds session, user, own rating, own collections and the probable score (taste),
    # whether the title is on the watchlist and the viewings.
    for signed_in, limit in ((False, 9), (True, 17)):
        if signed_in:
            client.force_login(UserFactory())
        counts = []
        for title in (small, big):
            with django_assert_max_num_queries(limit) as queries:
                response = client.get(title.get_absolute_url())
            assert response.status_code == 200
            counts.append(len(queries.captured_queries))
        assert counts[0] == counts[1], counts

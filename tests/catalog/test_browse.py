import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from catalog.filters import TitleFilter
from catalog.models import Title, TitleKind, TitleStats
from catalog.selectors import home_top_titles
from tests.factories import GenreFactory, TitleFactory
from tests.html import select, select_one, texts, top_level

pytestmark = pytest.mark.django_db

URL = reverse("catalog:title-list")


def _names(response) -> list[str]:
    return [title.name for title in response.context["page_obj"]]


@pytest.fixture
def titles():
    drama = GenreFactory(name="Drama", slug="drama")
    comedy = GenreFactory(name="Comedy", slug="comedy")
    made = {
        "Interview": TitleFactory(name="Interview", year=2007, runtime_minutes=84),
        "Amélie": TitleFactory(name="Amélie", year=2001, runtime_minutes=122),
        "Short Cut": TitleFactory(
            name="Short Cut", year=1995, runtime_minutes=12, kind=TitleKind.SHORT
        ),
        "Long Series": TitleFactory(
            name="Long Series", year=2015, runtime_minutes=50, kind=TitleKind.TV_SERIES
        ),
    }
    made["Interview"].genres.add(drama)
    made["Amélie"].genres.add(drama, comedy)
    made["Short Cut"].genres.add(comedy)
    # Aggregates are the ratings service's job; set directly to test the filters alone.
    TitleStats.objects.filter(title_id=made["Interview"].pk).update(
        ratings_count=421, percentile_sum=4687, percentile_count=100
    )
    TitleStats.objects.filter(title_id=made["Amélie"].pk).update(
        ratings_count=30, percentile_sum=2100, percentile_count=30
    )
    return made


def test_lists_titles_by_most_ratings_by_default(client, titles):
    response = client.get(URL)
    assert response.status_code == 200
    assert _names(response)[:2] == ["Interview", "Amélie"]


def test_search_with_a_typo(client, titles):
    response = client.get(URL, {"q": "intervew"})
    assert _names(response) == ["Interview"]
    assert "for “intervew”" in response.content.decode()


def test_filter_by_kind(client, titles):
    assert _names(client.get(URL, {"kind": "short"})) == ["Short Cut"]


def test_genres_filter_requires_every_selected_genre(client, titles):
    assert sorted(_names(client.get(URL, {"genres": "drama"}))) == ["Amélie", "Interview"]
    assert _names(client.get(URL, {"genres": ["drama", "comedy"]})) == ["Amélie"]


def test_year_and_runtime_ranges(client, titles):
    response = client.get(URL, {"year_min": 2000, "year_max": 2010, "runtime_max": 90})
    assert _names(response) == ["Interview"]


def test_minimum_ratings_and_average_percentile_range(client, titles):
    assert _names(client.get(URL, {"min_ratings": 100})) == ["Interview"]
    assert _names(client.get(URL, {"percentile_min": 50})) == ["Amélie"]
    assert _names(client.get(URL, {"percentile_min": 40, "percentile_max": 50})) == ["Interview"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("percentile", ["Amélie", "Interview"]),
        ("newest", ["Long Series", "Interview"]),
        ("oldest", ["Short Cut", "Amélie"]),
        ("name", ["Amélie", "Interview"]),
    ],
)
def test_sort_orders(client, titles, sort, expected):
    assert _names(client.get(URL, {"sort": sort}))[:2] == expected


def test_pages_keep_the_filters_in_their_links(client):
    for n in range(30):
        TitleFactory(name=f"Night {n:02d}", year=1990)
    response = client.get(URL, {"year_min": 1990, "sort": "name"})
    assert len(_names(response)) == 24
    content = response.content.decode()
    assert "year_min=1990" in content and "page=2" in content
    second = client.get(URL, {"year_min": 1990, "sort": "name", "page": 2})
    assert _names(second) == [f"Night {n:02d}" for n in range(24, 30)]


def test_htmx_request_gets_only_the_results_fragment(client, titles):
    response = client.get(
        URL, {"kind": "short"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="browse-results"
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert top_level(content) == [select_one(content, id="browse-results").tag]
    assert select(content, id="browse-filters") == []
    assert "Short Cut" in content


def test_page_without_javascript_has_a_plain_get_form(client, titles):
    content = client.get(URL).content.decode()
    form = select_one(content, "form", id="browse-filters")
    assert (form.get("method"), form.get("action")) == ("get", "/titles/")
    assert (form.get("hx-get"), form.get("hx-push-url")) == ("/titles/", "true")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year_min": "abc"}, "Enter a whole number."),
        ({"year_min": "2010", "year_max": "2000"}, "must not be below the lowest"),
        ({"percentile_min": "lots"}, "Enter a number."),
        ({"kind": "opera"}, "Select a valid choice"),
        ({"genres": "no-such-genre"}, "Select a valid choice"),
        ({"sort": "random"}, "Select a valid choice"),
        ({"page": "9999"}, None),
    ],
)
def test_bad_filter_values_give_a_clear_message_not_an_error(client, titles, params, message):
    response = client.get(URL, params)
    if message is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Some filters could not be used" in response.content.decode()


def test_bad_filter_in_htmx_request_still_shows_its_message(client, titles):
    response = client.get(
        URL, {"year_min": "x"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="browse-results"
    )
    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()


def test_browse_query_count_is_bounded(client, titles, django_assert_max_num_queries):
    for n in range(40):
        TitleFactory(name=f"Extra {n}")
    with django_assert_max_num_queries(6):
        client.get(URL, {"q": "extra", "genres": "drama", "sort": "name"})
    with django_assert_max_num_queries(6):
        client.get(URL)


def test_cards_label_the_average_percentile_and_count_the_ratings(client, titles):
    html = client.get(URL).content.decode()
    metas = [" ".join(meta.text.split()) for meta in select(html, "div", class_="title-card-meta")]
    assert "2007 · 421 ratings Avg 46.87% percentile" in metas
    assert "2001 · 30 ratings Avg 70.00% percentile" in metas
    assert "1995 · 0 ratings" in metas


def _results_heading(response) -> str:
    return " ".join(texts(response.content.decode(), "h2", id="results-heading")[0].split())


def test_a_count_above_the_cap_is_shown_as_more_than_the_cap(client, monkeypatch):
    """Browse counts at most BROWSE_COUNT_CAP + 1 rows and says "More than N" past it."""
    monkeypatch.setattr("catalog.selectors.BROWSE_COUNT_CAP", 3)
    titles = TitleFactory.create_batch(4)
    response = client.get(URL)
    assert _results_heading(response) == "More than 3 titles"
    paginator = response.context["page_obj"].paginator
    assert paginator.capped and paginator.count == 4
    titles[0].delete()
    response = client.get(URL, {"q": ""})
    assert _results_heading(response) == "3 titles"
    assert not response.context["page_obj"].paginator.capped


def _plan(queryset) -> str:
    """The plan of ``queryset`` when the planner may neither sort nor scan a whole
    table: it can then only order by an index, which is what a large catalogue needs."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("sort", "index"),
    [("ratings", "titlestats_most_rated"), ("percentile", "titlestats_top_percentile")],
)
def test_browse_rating_orders_read_their_first_page_from_the_stats_indexes(titles, sort, index):
    queryset = TitleFilter(QueryDict(f"sort={sort}"), queryset=Title.objects.all()).qs[:24]
    assert index in _plan(queryset)


def test_home_top_titles_are_read_from_the_stats_index(titles):
    assert "titlestats_top_percentile" in _plan(home_top_titles())

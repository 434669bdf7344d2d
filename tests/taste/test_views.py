"""Taste pages and the title page's probable score: content, errors, bounded queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import TitleKind
from ratings.services import rate
from taste import selectors, services
from taste.models import ShownPrediction
from tests.factories import GenreFactory, TitleFactory, UserFactory
from tests.html import parse, select, select_one, texts
from tests.taste.conftest import give

pytestmark = pytest.mark.django_db


def make_crowd(titles, raters: int, target) -> object:
    """A viewer with 12 ratings and ``raters`` people who rated alike plus ``target``."""
    viewer = UserFactory(username=f"viewer{raters}")
    give(viewer, {titles[i]: 8 * i for i in range(1, 13)})
    for n in range(raters):
        person = UserFactory(username=f"p{raters}_{n}")
        give(person, {**{titles[i]: 8 * i + (n % 3) for i in range(1, 13)}, target: 40 + n % 50})
    services.rebuild_all()
    target.refresh_from_db()
    return viewer


def title_page_queries(client, user, title) -> tuple[int, str]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(title.get_absolute_url())
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_title_page_shows_the_psi_with_a_bounded_number_of_queries(client, titles):
    small_target, big_target = titles[30], titles[31]
    small_viewer = make_crowd(titles, 3, small_target)
    big_viewer = make_crowd(titles, 40, big_target)
    small_count, small_html = title_page_queries(client, small_viewer, small_target)
    big_count, big_html = title_page_queries(client, big_viewer, big_target)
    assert "How is this worked out?" in small_html and "How is this worked out?" in big_html
    small_n = len(selectors.probable_score(small_viewer, small_target).prediction.neighbours)
    big_n = len(selectors.probable_score(big_viewer, big_target).prediction.neighbours)
    assert 0 < small_n <= 3 < big_n <= 40
    assert f"from {big_n} compatible raters" in big_html
    assert f"from {small_n} compatible rater" in small_html
    assert small_count == big_count
    assert big_count <= 25


def test_title_page_records_the_shown_psi_and_then_says_what_it_was(client, titles):
    target = titles[30]
    viewer = make_crowd(titles, 5, target)
    client.force_login(viewer)
    html = client.get(target.get_absolute_url()).content.decode()
    shown = ShownPrediction.objects.get(user=viewer, title=target)
    psi = select_one(html, "p", class_="psi-value")
    assert (psi.text, psi.get("aria-describedby")) == (str(shown.rounded), "probable-score-help")
    rate(viewer, target, 20)
    html = client.get(target.get_absolute_url()).content.decode()
    assert f"Your PSI was {shown.rounded}; you rated it 20." in html


# A statement that writes or locks rows (column names such as updated_at do not count).
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?(UPDATE|SHARE)\b", re.I)


def writes_in(queries) -> list[str]:
    return [q["sql"] for q in queries if WRITE.search(q["sql"])]


def test_a_repeated_view_of_the_same_psi_writes_nothing(client, titles):
    """GETs do not write: the shown PSI is recorded on the first view, and a second view
    of the same PSI only reads (no upsert, no row lock); a changed PSI is written again."""
    target = titles[30]
    viewer = make_crowd(titles, 5, target)
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as first:
        client.get(target.get_absolute_url())
    assert any("INSERT" in sql and "shownprediction" in sql for sql in writes_in(first))
    shown = ShownPrediction.objects.get(user=viewer, title=target)

    with CaptureQueriesContext(connection) as second:
        html = client.get(target.get_absolute_url()).content.decode()
    assert "How is this worked out?" in html
    assert writes_in(second) == []
    assert ShownPrediction.objects.get(user=viewer, title=target).shown_at == shown.shown_at

    # The stored value is an older PSI: the next view records the one it showed.
    ShownPrediction.objects.filter(pk=shown.pk).update(score=shown.score + 5)
    with CaptureQueriesContext(connection) as third:
        client.get(target.get_absolute_url())
    assert len(writes_in(third)) == 1
    assert ShownPrediction.objects.get(user=viewer, title=target).score == shown.score


def test_title_page_psi_is_on_the_viewers_scale(client, titles):
    target = titles[30]
    viewer = make_crowd(titles, 5, target)
    viewer.rating_scale = "10"
    viewer.save()
    client.force_login(viewer)
    client.get(target.get_absolute_url())
    shown = ShownPrediction.objects.get(user=viewer, title=target)
    html = client.get(target.get_absolute_url()).content.decode()
    tenth = max(1, min(10, int(shown.rounded / 10 + 0.5)))
    psi = select_one(html, "p", class_="psi-value")
    assert (psi.text, psi.get("aria-describedby")) == (str(tenth), "probable-score-help")


def test_title_page_says_why_there_is_no_psi(client, titles):
    html = client.get(titles[1].get_absolute_url()).content.decode()
    assert "and rate at least 10 titles to get a probable score" in html
    newcomer = UserFactory()
    give(newcomer, {titles[1]: 50, titles[2]: 60})
    client.force_login(newcomer)
    html = client.get(titles[3].get_absolute_url()).content.decode()
    assert "Rate 8 more titles to get probable scores" in html


def test_psi_explanation_page_shows_the_arithmetic(client, titles):
    target = titles[30]
    viewer = make_crowd(titles, 4, target)
    client.force_login(viewer)
    response = client.get(reverse("taste:psi-explain", args=[target.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    psi = selectors.probable_score(viewer, target).prediction
    terms = {
        "term-title-offset": psi.title_offset,
        "term-user-offset": psi.user_offset,
        "term-factors": psi.factor_adjustment,
        "term-neighbour-adjustment": psi.neighbour_adjustment,
        "term-similar-adjustment": psi.similar_adjustment,
        "term-percentile": psi.percentile,
        "term-score": psi.score,
        "term-spread": psi.spread,
        "term-rank-key": psi.rank_key,
    }
    for element_id, value in terms.items():
        shown = select_one(html, id=element_id).text.replace("−", "-")
        assert f"{value:.2f}" in shown, element_id

    def rows(table_id):
        return select(select_one(select_one(html, "table", id=table_id), "tbody"), "tr")

    factors = rows("factors-table")
    assert len(psi.user_factors) == len(psi.title_factors) == 4
    assert [f"{x:+.2f}".replace("-", "−") for x in psi.user_factors] == [
        cell.text for cell in select(factors[0], "td")
    ]
    neighbours = rows("neighbours-table")
    assert len(neighbours) == len(psi.neighbours) > 0
    first = psi.neighbours[0]
    assert f"{first.agreement:.3f}" in neighbours[0].text
    assert f"{first.residual:+.2f}".replace("-", "−") in neighbours[0].text
    assert len(rows("smoothing-table")) == 3
    assert len(rows("range-table")) == 2
    assert html.count('href="/taste/tci/p4_') == len(psi.neighbours)


def test_explanation_pages_need_sign_in_and_404_for_unknown_things(client, titles):
    url = reverse("taste:psi-explain", args=[titles[1].pk])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse("taste:psi-explain", args=[999999])).status_code == 404
    assert client.get(reverse("taste:tci-explain", args=["nobody-here"])).status_code == 404
    assert client.get(url).status_code == 200


def test_soulmates_page_lists_compatible_raters_with_tci(client, trio):
    a, b, c, d, e = trio
    services.rebuild_all()
    client.force_login(c)
    html = client.get(reverse("taste:soulmates")).content.decode()
    assert html.index(">a</a>") < html.index(">b</a>")
    assert "11.2" in html and "46.0" in html
    assert reverse("taste:tci-explain", args=["a"]) in html
    assert client.get(reverse("taste:soulmates") + "?page=99").status_code == 200


def test_tci_explanation_page(client, trio):
    a, b, c, d, e = trio
    services.rebuild_all()
    client.force_login(a)
    html = client.get(reverse("taste:tci-explain", args=["c"])).content.decode()
    summary = select_one(html, "p", class_="tci-summary")
    assert summary.text == "Your TCI with them: 11.2 over 5 titles."
    assert select_one(summary, "strong", class_="stat").text == "11.2"
    assert "56 ÷ 5 = 11.20" in html
    html = client.get(reverse("taste:tci-explain", args=["d"])).content.decode()
    assert "Their position" in html and "They have fewer than 5 different scores" in html
    assert "160 ÷ 5 = 32.00" in html
    html = client.get(reverse("taste:tci-explain", args=["e"])).content.decode()
    assert "No TCI yet: you share 0 titles" in html
    assert client.get(reverse("taste:tci-explain", args=["a"])).status_code == 200


def test_recommendations_filter_by_kind_genre_and_year(client, titles):
    drama = GenreFactory(name="Drama", slug="drama")
    film = TitleFactory(name="Old Drama", year=1960, kind=TitleKind.FILM)
    film.genres.add(drama)
    series = TitleFactory(name="New Series", year=2020, kind=TitleKind.TV_SERIES)
    viewer = UserFactory(username="viewer")
    give(viewer, {titles[i]: 8 * i for i in range(1, 13)})
    for n in range(3):
        person = UserFactory(username=f"fan{n}")
        give(person, {**{titles[i]: 8 * i for i in range(1, 13)}, film: 90, series: 60})
    services.rebuild_all()
    client.force_login(viewer)
    url = reverse("taste:recommendations")
    html = client.get(url).content.decode()
    assert html.index("Old Drama") < html.index("New Series")
    only_series = client.get(url, {"kind": "tv_series"}).content.decode()
    assert "New Series" in only_series and "Old Drama" not in only_series
    dramas = client.get(url, {"genre": "drama", "year_max": 1999}).content.decode()
    assert "Old Drama" in dramas and "New Series" not in dramas
    assert "No recommendation matches" in client.get(url, {"year_min": 2030}).content.decode()


def test_recommendations_bad_filters_get_a_message_and_400(client):
    client.force_login(UserFactory())
    response = client.get(reverse("taste:recommendations"), {"year_min": 2000, "year_max": 1990})
    assert response.status_code == 400
    assert "must not be after" in response.content.decode()
    response = client.get(reverse("taste:recommendations"), {"year_min": "soon", "kind": "opera"})
    assert response.status_code == 400
    assert "Enter a whole number" in response.content.decode()


def test_recommendations_explain_an_empty_list(client):
    client.force_login(UserFactory())
    html = client.get(reverse("taste:recommendations")).content.decode()
    assert "Rate 10 more titles to get probable scores" in html


def test_nav_links_for_signed_in_users_only(client):
    assert reverse("taste:soulmates") not in client.get("/").content.decode()
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert reverse("taste:soulmates") in html and reverse("taste:recommendations") in html


def test_profile_shows_the_viewers_tci_and_the_members_prediction_accuracy(client, trio):
    a, b, c, d, e = trio
    services.rebuild_all()
    client.force_login(a)
    html = client.get(c.get_absolute_url()).content.decode()
    assert "Your TCI with them: 11.2 over 5 titles" in parse(html).text
    assert "11.2" in texts(html, "strong", class_="stat")
    assert reverse("taste:tci-explain", args=["c"]) in html
    assert "Prediction accuracy" in html
    own = client.get(a.get_absolute_url()).content.decode()
    assert "Your TCI with them" not in own
    assert "Once you rate a title after seeing its probable score" in own
    html = client.get(e.get_absolute_url()).content.decode()
    assert "No TCI with them yet" in html


def test_recommendations_visit_queues_a_refresh_when_none_or_stale(
    client, titles, settings, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    from taste.models import PendingRefresh

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    viewer = UserFactory()
    give(viewer, {titles[i]: 8 * i for i in range(1, 13)})
    client.force_login(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(reverse("taste:recommendations")).status_code == 200
        client.get(reverse("taste:recommendations"))
    assert [r.args for r in default_task_backend.results] == [[viewer.pk]]
    assert PendingRefresh.objects.filter(object_id=viewer.pk).exists()


def test_list_tags_show_psi_badges_in_three_queries(rf, titles, django_assert_num_queries):
    from django.template import Context, Template

    target = titles[30]
    viewer = make_crowd(titles, 4, target)
    request = rf.get("/titles/")
    request.user = viewer
    template = Template(
        "{% load taste_tags %}{% probable_scores_for titles as psis %}"
        "{% for title in titles %}[{{ title.name }} {% psi_badge title psis %}]{% endfor %}"
    )
    listed = [target, titles[39]]
    # the viewer's rated titles among these, their own scores, the neighbours
    with django_assert_num_queries(3):
        html = template.render(Context({"request": request, "titles": listed}))
    psi = selectors_probable(viewer, target)
    badge = f'<span class="badge psi-badge" title="Your probable score">PSI {psi}</span>'
    assert f"[{target.name} {badge}]" in html
    assert f"[{titles[39].name} ]" in html


def test_list_tags_leave_out_titles_the_viewer_rated(rf, titles):
    from django.template import Context, Template

    target = titles[30]
    viewer = make_crowd(titles, 4, target)
    rate(viewer, target, 55)
    request = rf.get("/titles/")
    request.user = viewer
    template = Template(
        "{% load taste_tags %}{% probable_scores_for titles as psis %}"
        "{% for title in titles %}[{% psi_badge title psis %}]{% endfor %}"
    )
    assert template.render(Context({"request": request, "titles": [target]})) == "[]"


def selectors_probable(user, title) -> int:
    from taste import selectors

    return selectors.probable_score(user, title).rounded

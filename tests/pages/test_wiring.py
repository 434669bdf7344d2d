"""pages/ serves the pages that read several apps under their old URLs and names, and
only pages/ (and config/) know it exists."""

import ast
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import resolve, reverse

from pages import views
from pages.management.commands.seed_demo import FILMS_CSV
from taste.engine import Prediction
from taste.models import ShownPrediction
from taste.selectors import OK, ProbableScore
from tests.factories import TitleFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ["accounts", "catalog", "collections_app", "moderation", "ratings", "taste"]


@pytest.mark.parametrize(
    ("name", "kwargs", "url", "view"),
    [
        ("home", {}, "/", views.home),
        ("catalog:title-detail", {"pk": 7, "slug": "heat"}, "/titles/7/heat/", views.title_detail),
        (
            "catalog:title-compact-view",
            {"pk": 7, "slug": "heat"},
            "/titles/7/heat/compact/",
            views.title_compact_view,
        ),
        (
            "catalog:title-similar",
            {"pk": 7, "slug": "heat"},
            "/titles/7/heat/similar/",
            views.title_similar,
        ),
        (
            "catalog:title-statistics",
            {"pk": 7, "slug": "heat"},
            "/titles/7/heat/statistics/",
            views.title_statistics,
        ),
        ("accounts:profile", {"username": "ann"}, "/u/ann/", views.profile),
    ],
)
def test_pages_keep_their_urls_and_names(name, kwargs, url, view):
    assert reverse(name, kwargs=kwargs) == url
    assert resolve(url).func is view


def test_the_apps_own_urls_still_resolve_in_the_same_namespaces():
    assert reverse("catalog:title-list") == "/titles/"
    assert reverse("accounts:settings") == "/account/"
    assert resolve("/titles/").view_name == "catalog:title-list"


def test_seed_demo_is_the_pages_command_and_finds_its_films():
    assert get_commands()["seed_demo"] == "pages"
    assert FILMS_CSV.is_file()
    assert FILMS_CSV.is_relative_to(ROOT / "pages")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("app", PROJECT_APPS)
def test_no_lower_app_imports_pages(app):
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / app).rglob("*.py")
        if any(m == "pages" or m.startswith("pages.") for m in _imported_modules(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("module", ["catalog/views.py", "catalog/urls.py", "accounts/urls.py"])
def test_catalog_and_accounts_urls_and_views_do_not_reach_up(module):
    higher = ("ratings", "taste", "moderation", "collections_app", "pages")
    imported = _imported_modules(ROOT / module)
    assert not [m for m in imported if m.split(".")[0] in higher]


@pytest.mark.django_db
def test_probable_score_tag_renders_a_loaded_card_without_reading_or_writing(
    django_assert_num_queries,
):
    """The card is loaded by the page's builder and the view records what was shown; the
    tag used to do both while the template rendered."""
    user, title = UserFactory(), TitleFactory(name="Heat")
    psi = ProbableScore(OK, title, prediction=Prediction(0.0, 0.0, score=71.0, low=60, high=80))
    card = {"title": title, "user": user, "psi": psi, "rated_score": None, "shown": None}
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load taste_tags %}{% probable_score card %}")
    with django_assert_num_queries(0):
        html = template.render(Context({"card": card, "request": request}))
    assert '<p class="score-card-value psi-value"' in html
    assert not ShownPrediction.objects.exists()

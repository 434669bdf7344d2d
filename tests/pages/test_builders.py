"""Each builder loads what its page shows, once, and hands loaded objects to the tags."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from pages import builders
from ratings.services import rate
from taste.selectors import SIGNED_OUT
from tests.factories import CollectionFactory, CollectionItemFactory, TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _request(user=None, path="/", **query):
    request = RequestFactory().get(path, query)
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    return request


def test_title_page_reads_the_viewers_rating_once_for_card_and_panel():
    title, viewer = TitleFactory(name="Heat"), UserFactory()
    rating = rate(viewer, title, 70, review="Tense.")
    request = _request(viewer, title.get_absolute_url())
    context = builders.title_page_context(request, title)
    own = context["viewer_rating"]
    assert own.pk == rating.pk
    assert context["rating_panel"]["my_rating"] is own
    assert context["probable_score_card"]["rated_score"] == 70
    assert context["probable_score_card"]["psi"] is None


def test_title_page_for_a_visitor_has_the_signed_out_card_and_the_collections_section():
    title = TitleFactory(name="Heat")
    CollectionItemFactory(collection=CollectionFactory(name="Crime"), title=title)
    context = builders.title_page_context(_request(path=title.get_absolute_url()), title)
    assert context["viewer_rating"] is None
    assert context["probable_score_card"]["psi"].status == SIGNED_OUT
    assert "Crime" in context["title_collections_html"]  # cached HTML (pages.sections)
    assert context["add_to_collection"]["next"] == title.get_absolute_url()
    assert context["reviews_page"].paginator.count == 0


def test_reviews_fragment_ignores_an_unknown_sort():
    title = TitleFactory(name="Heat")
    context = builders.title_reviews_context(_request(sort="sideways"), title)
    assert context["review_sort"] == "newest"


def _taste_queries(request, member, part=None) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        builders.profile_context(request, member, part=part)
    return [q["sql"] for q in queries if "taste_" in q["sql"]]


def test_profile_loads_the_tci_and_accuracy_only_for_the_full_page():
    member, viewer = UserFactory(username="maud"), UserFactory(username="vik")
    rate(member, TitleFactory(), 60)
    full = builders.profile_context(_request(viewer), member)
    assert full["prediction_accuracy"].count == 0
    assert len(_taste_queries(_request(viewer), member)) == 2  # TCI and accuracy
    fragment = builders.profile_context(_request(viewer), member, part="ratings")
    assert fragment["prediction_accuracy"] is None and fragment["tci_pair"] is None
    assert _taste_queries(_request(viewer), member, part="ratings") == []


def test_own_profile_has_no_tci_lookup():
    member = UserFactory(username="maud")
    rate(member, TitleFactory(), 60)
    assert len(_taste_queries(_request(member), member)) == 1  # accuracy only

"""Admin changelists keep a bounded query count, and objects have readable names."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import services
from moderation.models import Case
from moderation.selectors import target_for
from ratings.services import rate
from tests.factories import CollectionFactory, CollectionItemFactory, TitleFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:moderation_case_changelist",
    "admin:moderation_report_changelist",
    "admin:moderation_moderationaction_changelist",
    "admin:moderation_suspension_changelist",
    "admin:moderation_hiddencollection_changelist",
    "admin:ratings_rating_changelist",
    "admin:collections_app_collection_changelist",
    "admin:collections_app_collectionitem_changelist",
    "admin:accounts_user_changelist",
    "admin:catalog_title_changelist",
]


def add_rows(n: int, moderator) -> None:
    """n of everything: reviews with reports (half resolved), collections (some hidden),
    suspended members."""
    title = TitleFactory()
    for _ in range(n):
        author, reporter = UserFactory(), UserFactory()
        rating = rate(author, title, 50, review="Spam spam spam")
        services.report(reporter, target_for(rating), "spam", "Links")
        collection = CollectionFactory(owner=author)
        CollectionItemFactory(collection=collection, title=title, position=1)
        services.report(reporter, target_for(collection), "abuse")
        services.hide_collection(collection, moderator, "Abuse")
        services.dismiss_case(Case.objects.get(rating=rating), moderator, "Fine")
        services.suspend(UserFactory(), moderator, "Spam")
        TitleFactory()


def query_counts(client) -> dict[str, int]:
    counts = {}
    for name in CHANGELISTS:
        url = reverse(name) + ("?status=all" if "case" in name else "")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


def test_changelists_use_the_same_queries_for_10_and_100_rows(admin_client, admin_user):
    add_rows(10, admin_user)
    at_10 = query_counts(admin_client)
    add_rows(90, admin_user)
    at_100 = query_counts(admin_client)
    grew = {name: (at_10[name], at_100[name]) for name in CHANGELISTS if at_100[name] > at_10[name]}
    assert not grew, f"query counts grew with rows (10 rows, 100 rows): {grew}"
    assert max(at_100.values()) <= 15, at_100


@pytest.mark.parametrize("rows", [10, 100])
def test_moderation_queue_is_bounded(admin_client, admin_user, rows, django_assert_max_num_queries):
    add_rows(rows, admin_user)
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:moderation_case_changelist") + "?status=all")
    assert len(response.context["cl"].result_list) == min(rows * 2, 50)


def test_readable_names(review, collection, author, moderator, make_report):
    make_report(review, reason="spoilers")
    case = Case.objects.get()
    assert str(case) == "Review by ann on Interview (2007)"
    report = case.reports.get()
    assert (
        str(report)
        == f"Report by {report.reporter} on Review by ann on Interview (2007): Unmarked spoilers"
    )
    services.hide_case_item(case, moderator, "Spoilers")
    assert str(case.actions.get()) == "mod: Hid a review: Review by ann on Interview (2007)"
    assert str(services.suspend(author, moderator, "Spam")) == "Suspension of ann (active)"
    assert target_for(collection).label == "Collection “Best interviews” by ann"
    assert target_for(author).label == "Profile of ann"


def test_rating_names_read_well(review, author, title):
    assert str(review) == "Review by ann on Interview (2007)"
    assert (
        str(rate(author, TitleFactory(name="Heat", year=1995), 90))
        == "Rating by ann on Heat (1995): 90"
    )

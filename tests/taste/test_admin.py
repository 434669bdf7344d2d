import pytest
from django.urls import reverse
from django.utils import timezone

from taste import services
from taste.models import TitleSimilarity
from tests.html import select

pytestmark = pytest.mark.django_db


def _compatibility_mentions(row, query):
    return query in (row.user_a.username, row.user_b.username)


@pytest.mark.parametrize(
    ("model", "query", "matches"),
    [
        ("compatibility", "a", _compatibility_mentions),
        ("tasteprofile", "a", lambda row, query: row.user.username == query),
        ("titlesimilarity", "T5", lambda row, query: row.title.name == query),
    ],
)
def test_taste_tables_are_searchable_and_read_only_in_the_admin(
    staff_client, titles, trio, model, query, matches
):
    services.rebuild_all()
    # The trio is too small for title similarities: give the table a few rows by hand.
    for title, similar in [(5, 6), (5, 1), (6, 5), (1, 5)]:
        TitleSimilarity.objects.create(
            title=titles[title],
            similar=titles[similar],
            score=0.5,
            mean_difference=10,
            common_count=3,
            computed_at=timezone.now(),
        )
    changelist = reverse(f"admin:taste_{model}_changelist")
    everything = staff_client.get(changelist).context["cl"]
    found = staff_client.get(changelist, {"q": query}).context["cl"]
    # The search narrows the list to the rows about `query`, and finds all of them.
    assert 0 < found.result_count < everything.result_count
    assert all(matches(row, query) for row in found.result_list)
    assert found.result_count == sum(matches(row, query) for row in everything.queryset)
    # Read only: no add page, and a row's page has nothing to save.
    assert staff_client.get(reverse(f"admin:taste_{model}_add")).status_code == 403
    row = found.result_list[0]
    change = staff_client.get(reverse(f"admin:taste_{model}_change", args=[row.pk]))
    assert change.status_code == 200
    assert select(change, "input", name="_save") == []
    assert (
        staff_client.post(reverse(f"admin:taste_{model}_change", args=[row.pk]), {}).status_code
        == 403
    )

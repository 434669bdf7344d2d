"""A line of an import that the site could not match is fixed in place: the member
searches the catalog from the line (typos and accents forgiven), picks the title, and
the line is imported with the others on confirming."""

import re

import pytest
from django.urls import reverse

from accounts.models import ImportBatch
from ratings.models import Rating
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db

FILE = "title,year,score\nIntervew,2007,73\nHeat,1995,60\nNo Such Film,1999,40\nBroken,2000,abc\n"


@pytest.fixture
def batch(member, upload):
    TitleFactory(name="Heat", year=1995)
    upload("plain.csv", FILE)
    batch = ImportBatch.objects.get(user=member)
    assert [row["status"] for row in batch.rows] == ["unmatched", "matched", "unmatched", "invalid"]
    return batch


@pytest.fixture
def interview():
    return TitleFactory(name="Interview", year=2007)


def _pick(client, batch, line, title):
    url = reverse("accounts:import-pick", kwargs={"pk": batch.pk})
    return client.post(url, {"line": line, "title": title, "back": "unmatched:1"}, follow=True)


def test_search_from_the_line_then_pick_then_confirm_imports_it(client, member, batch, interview):
    page = client.get(batch.get_absolute_url(), {"show": "unmatched"}).content.decode()
    # Each unmatched line has a search box, filled with the name from the file.
    assert 'id="find-2" type="search" name="find" maxlength="200" value="Intervew"' in page

    found = client.get(
        batch.get_absolute_url(), {"show": "unmatched", "find_line": 2, "find": "intervew"}
    ).content.decode()
    assert "Use Interview (2007)" in found
    picked = re.search(
        r'name="line" value="2"><input type="hidden" name="title" value="(\d+)"', found
    )
    assert int(picked.group(1)) == interview.pk

    response = _pick(client, batch, 2, interview.pk)
    assert "Line 2: Interview (2007). It will be imported." in response.content.decode()
    batch.refresh_from_db()
    assert batch.counts["matched"] == 2 and batch.counts["unmatched"] == 1
    assert batch.rows[0]["method"] == "found by you"

    client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}))
    scores = dict(Rating.objects.filter(user=member).values_list("title__name", "score"))
    assert scores == {"Interview": 73, "Heat": 60}


def test_a_search_with_nothing_found_says_so(client, member, batch):
    page = client.get(
        batch.get_absolute_url(), {"show": "unmatched", "find_line": 4, "find": "zzqx"}
    ).content.decode()
    assert "Nothing in the catalog matches “zzqx”." in page


@pytest.mark.parametrize(
    ("line", "title", "message"),
    [
        (5, "interview", "Line 5 cannot be matched to a title."),  # unreadable score
        (99, "interview", "Line 99 cannot be matched to a title."),
        (2, "999999", "That title is not in the catalog any more."),
        (2, "abc", "Search the catalog for the line and choose one of the titles."),
    ],
)
def test_bad_picks_are_refused_with_a_message(
    client, member, batch, interview, line, title, message
):
    value = interview.pk if title == "interview" else title
    response = _pick(client, batch, line, value)
    assert message in response.content.decode()
    batch.refresh_from_db()
    assert batch.counts["matched"] == 1


def test_another_members_import_cannot_be_picked_for(client, member, batch, interview):
    client.force_login(UserFactory(username="someone-else"))
    url = reverse("accounts:import-pick", kwargs={"pk": batch.pk})
    assert client.post(url, {"line": 2, "title": interview.pk}).status_code == 404
    batch.refresh_from_db()
    assert batch.counts["matched"] == 1

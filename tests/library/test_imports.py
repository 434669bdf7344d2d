# ruff: noqa: E501 (export files have long lines, kept as the sites write them)
"""Letterboxd watchlist.csv and IMDb watchlist imports (with the preview; titles already
rated are reported, not added) and the Letterboxd diary keeping every entry."""

import datetime
import io

import pytest
from django.urls import reverse

from accounts.models import ImportBatch
from library.models import Viewing, WatchlistEntry
from ratings.models import Rating
from ratings.services import rate
from tests.factories import TitleFactory
from tests.html import select_one

pytestmark = pytest.mark.django_db

LETTERBOXD_WATCHLIST = """Date,Name,Year,Letterboxd URI
2021-02-03,Parasite,2019,https://boxd.it/hTha
2022-05-06,Heat,1995,https://boxd.it/29Qs
2022-05-07,Nowhere To Be Found,1901,https://boxd.it/zzzz
"""

IMDB_WATCHLIST = """Position,Const,Created,Modified,Description,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
1,tt6751668,2023-01-02,2023-01-02,,Parasite,Gisaengchung,https://www.imdb.com/title/tt6751668/,Movie,8.5,132,2019,Drama,900000,2019-05-30,Bong Joon Ho
2,tt0113277,2023-02-03,2023-02-03,,Heat,Heat,https://www.imdb.com/title/tt0113277/,Movie,8.3,170,1995,Crime,700000,1995-12-15,Michael Mann
"""

DIARY = """Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date
2020-01-11,Parasite,2019,https://letterboxd.com/maud/film/parasite-2019/,3.5,,,2020-01-10
2021-05-01,Parasite,2019,https://letterboxd.com/maud/film/parasite-2019/1/,4.5,Yes,,2021-04-30
2021-05-02,Parasite,2019,https://letterboxd.com/maud/film/parasite-2019/2/,4,Yes,,2021-04-30
2021-06-01,Heat,1995,https://letterboxd.com/maud/film/heat/,,,,2021-06-01
"""


@pytest.fixture
def catalog(db):
    return {
        "parasite": TitleFactory(name="Parasite", year=2019, imdb_id="tt6751668"),
        "heat": TitleFactory(name="Heat", year=1995, imdb_id="tt0113277"),
    }


def _upload(client, name: str, text: str):
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = name
    return client.post(reverse("accounts:import"), {"file": upload, "plain_scale": "100"})


def _batch(user) -> ImportBatch:
    return ImportBatch.objects.filter(user=user).latest("created_at")


def _confirm(client, batch):
    return client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}))


@pytest.mark.parametrize(
    ("filename", "text", "label", "added"),
    [
        ("watchlist.csv", LETTERBOXD_WATCHLIST, "Letterboxd watchlist", datetime.date(2021, 2, 3)),
        ("WATCHLIST.csv", IMDB_WATCHLIST, "IMDb watchlist", datetime.date(2023, 1, 2)),
    ],
)
def test_watchlist_import_previews_then_adds_and_reports_rated_titles(
    client, member, catalog, filename, text, label, added
):
    rate(member, catalog["heat"], 70)
    _upload(client, filename, text)
    batch = _batch(member)
    assert batch.get_format_display() == label
    preview = client.get(batch.get_absolute_url()).content.decode()
    assert select_one(preview, "p", **{"data-testid": "already-rated"}).text.startswith(
        "You have already rated 1 of these titles"
    )
    assert not WatchlistEntry.objects.exists()  # nothing before the confirmation

    response = _confirm(client, batch)
    assert response.status_code == 302
    entries = list(WatchlistEntry.objects.filter(user=member).values_list("title_id", "added_at"))
    assert [title_id for title_id, _ in entries] == [catalog["parasite"].pk]
    assert entries[0][1].date() == added
    batch.refresh_from_db()
    assert batch.result["already_rated"] == 1
    done = client.get(batch.get_absolute_url()).content.decode()
    reported = select_one(done, "p", **{"data-testid": "already-rated"})
    assert reported.text == "1 title you have rated was not added:"
    assert "Heat" in done.split('data-testid="already-rated"')[1]
    assert Rating.objects.get(user=member).score == 70  # the rating is untouched


def test_watched_csv_is_refused_with_advice(client, member, catalog):
    response = _upload(client, "watched.csv", LETTERBOXD_WATCHLIST)
    assert response.status_code == 400
    assert "watched.csv has no ratings" in response.content.decode()
    assert not WatchlistEntry.objects.exists()


def test_diary_import_keeps_every_entry_and_the_latest_rating(client, member, catalog):
    _upload(client, "diary.csv", DIARY)
    batch = _batch(member)
    assert batch.counts["matched"] == 4
    _confirm(client, batch)
    rating = Rating.objects.get(user=member)
    assert (rating.title_id, rating.score) == (catalog["parasite"].pk, 80)
    viewings = list(
        Viewing.objects.filter(user=member)
        .order_by("watched_on", "pk")
        .values_list("title__name", "watched_on", "rewatch")
    )
    assert viewings == [
        ("Parasite", datetime.date(2020, 1, 10), False),
        ("Parasite", datetime.date(2021, 4, 30), True),
        ("Parasite", datetime.date(2021, 4, 30), True),
        ("Heat", datetime.date(2021, 6, 1), False),
    ]
    page = client.get(batch.get_absolute_url()).content.decode()
    assert select_one(page, "p", **{"data-testid": "diary-viewings"}).text.startswith(
        "Logged 4 viewings"
    )
    # The same file again: the same four viewings, not eight.
    _upload(client, "diary.csv", DIARY)
    _confirm(client, _batch(member))
    assert Viewing.objects.filter(user=member).count() == 4

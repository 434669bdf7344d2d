"""The full export (/account/export/): one streamed ZIP of ratings, diary, watchlist,
collections and profile; importing it into a fresh account restores everything."""

import csv
import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.export import export_zip_chunks
from accounts.models import User
from accounts.site_import import account_import_zip
from collections_app.models import Collection
from collections_app.services import collection_add_title, collection_create
from library import services
from library.models import Viewing, WatchlistEntry
from ratings.models import Rating
from ratings.services import rate
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db

FILES = ["ratings.csv", "diary.csv", "watchlist.csv", "collections.csv", "profile.json"]


@pytest.fixture
def full_member():
    member = UserFactory(
        username="maud",
        display_name="Maud",
        bio="=HYPERLINK(evil) slow cinema",
        rating_scale="5",
        visibility="members",
        watchlist_public=True,
    )
    titles = [
        TitleFactory(name=f"Film {i}", year=1990 + i, imdb_id=f"tt{1000000 + i}") for i in range(8)
    ]
    titles.append(TitleFactory(name="Nameless, “quoted”", year=None, imdb_id=None))
    for i, title in enumerate(titles[:7]):
        rate(
            member,
            title,
            10 * i + 5,
            review="-1 twist\nsecond line" if i == 0 else "",
            rated_at=datetime.datetime(2020, 1, 1 + i, 20, 15, tzinfo=datetime.UTC),
        )
    services.viewing_create(
        user=member, title=titles[0], watched_on=datetime.date(2019, 3, 12), note="@home"
    )
    services.viewing_create(
        user=member, title=titles[0], watched_on=datetime.date(2019, 3, 12), rewatch=True
    )
    services.viewing_create(user=member, title=titles[8], watched_on=datetime.date(2021, 1, 2))
    services.watchlist_add(user=member, title=titles[7])
    services.watchlist_add(user=member, title=titles[8])
    best = collection_create(member, "Best", "+ my favourites", is_public=True)
    collection_add_title(best, titles[2], "=1+1")
    collection_add_title(best, titles[0], "second")
    collection_create(member, "Empty", "", is_public=False)
    return member


def _export(client, member) -> tuple:
    client.force_login(member)
    response = client.get(reverse("accounts:export"))
    return response, b"".join(response.streaming_content)


def test_export_is_a_streamed_zip_of_five_files(client, full_member):
    response, body = _export(client, full_member)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.namelist() == FILES
    ratings = list(csv.reader(io.StringIO(archive.read("ratings.csv").decode("utf-8"))))
    assert ratings[0] == [
        "Title", "Year", "IMDb ID", "Score", "Percentile", "Rated date", "Review", "Rated at",
    ]  # fmt: skip
    first = ratings[1]
    assert first[:4] == ["Film 0", "1990", "tt1000000", "5"]
    assert first[4] == str(Rating.objects.get(user=full_member, title__name="Film 0").percentile)
    # A formula-like review is escaped for spreadsheets; line breaks are kept.
    assert first[6] == "'-1 twist\nsecond line"
    assert first[7] == "2020-01-01T20:15:00+00:00"
    diary = list(csv.reader(io.StringIO(archive.read("diary.csv").decode("utf-8"))))
    assert diary[1:] == [
        ["Film 0", "1990", "tt1000000", "2019-03-12", "no", "'@home"],
        ["Film 0", "1990", "tt1000000", "2019-03-12", "yes", ""],
        ["Nameless, “quoted”", "", "", "2021-01-02", "no", ""],
    ]
    collections = list(csv.reader(io.StringIO(archive.read("collections.csv").decode("utf-8"))))
    assert collections[1:] == [
        ["Best", "'+ my favourites", "yes", "1", "Film 2", "1992", "tt1000002", "'=1+1"],
        ["Best", "'+ my favourites", "yes", "2", "Film 0", "1990", "tt1000000", "second"],
        ["Empty", "", "no", "", "", "", "", ""],
    ]
    profile = json.loads(archive.read("profile.json").decode("utf-8"))
    assert profile["visibility"] == "members" and profile["rating_scale"] == "5"
    assert profile["format"] == "movie-ratings-export"


def test_ratings_csv_export_stays_at_its_address(client, full_member):
    client.force_login(full_member)
    response = client.get("/account/export/ratings.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).startswith(b"Title,Year,IMDb ID,Score")


def _snapshot(user: User) -> dict:
    """Everything of an account that the export carries, keyed so two accounts compare."""
    return {
        "profile": {
            name: getattr(user, name)
            for name in (
                "display_name",
                "bio",
                "rating_scale",
                "prefers_compact",
                "visibility",
                "watchlist_public",
            )
        },  # fmt: skip
        "ratings": sorted(
            Rating.objects.filter(user=user).values_list(
                "title_id", "score", "percentile", "review", "rated_at"
            )
        ),
        "viewings": sorted(
            Viewing.objects.filter(user=user).values_list(
                "title_id", "watched_on", "rewatch", "note"
            )
        ),
        "watchlist": sorted(
            WatchlistEntry.objects.filter(user=user).values_list("title_id", "added_at")
        ),
        "collections": sorted(
            (
                c.name,
                c.description,
                c.is_public,
                c.items_count,
                tuple(c.items.order_by("position").values_list("position", "title_id", "note")),
            )
            for c in Collection.objects.filter(owner=user)
        ),
    }


def test_round_trip_into_a_fresh_account_restores_everything(client, full_member):
    _response, body = _export(client, full_member)
    fresh = UserFactory(username="newhome")
    client.force_login(fresh)
    upload = io.BytesIO(body)
    upload.name = "export.zip"
    response = client.post(reverse("accounts:import"), {"file": upload, "plain_scale": "100"})
    assert response.status_code == 302
    fresh.refresh_from_db()
    before, after = _snapshot(full_member), _snapshot(fresh)
    for key in before:
        assert after[key] == before[key], key
    assert after["ratings"] and after["viewings"] and after["watchlist"] and after["collections"]
    # A second import of the same file changes nothing.
    account_import_zip(fresh, body)
    fresh.refresh_from_db()
    assert _snapshot(fresh)["viewings"] == before["viewings"]
    assert _snapshot(fresh)["ratings"] == before["ratings"]


def _zip(files: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _upload(client, data: bytes, name="export.zip"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("accounts:import"), {"file": upload, "plain_scale": "100"})


def test_a_zip_over_20_mib_is_refused_with_a_message(client, settings):
    member = UserFactory()
    client.force_login(member)
    data = b"PK\x03\x04" + b"\0" * (settings.MAX_IMPORT_BYTES + 1)
    response = _upload(client, data)
    assert response.status_code == 400
    assert "the limit is 20 MB" in response.content.decode()
    assert not Rating.objects.exists()


def test_a_zip_that_is_not_an_export_is_refused(client):
    client.force_login(UserFactory())
    response = _upload(client, _zip({"ratings.csv": "Title\nX\n"}))
    assert response.status_code == 400
    assert "not an export of this site" in response.content.decode()
    response = _upload(client, b"PK\x03\x04garbage")
    assert response.status_code == 400
    assert "cannot be read" in response.content.decode()


def test_bad_lines_are_named_and_the_rest_imports(client):
    member = UserFactory()
    title = TitleFactory(name="Known", year=2001, imdb_id="tt7654321")
    profile = json.dumps({"format": "movie-ratings-export", "version": 1, "rating_scale": "9"})
    ratings = (
        "Title,Year,IMDb ID,Score,Percentile,Rated date,Review,Rated at\n"
        "Known,2001,tt7654321,70,,2020-01-01,,\n"
        "Unknown,1999,,50,,2020-01-01,,\n"
        "Known,2001,tt7654321,999,,2020-01-01,,\n"
    )
    diary = "Title,Year,IMDb ID,Watched date,Rewatch,Note\nKnown,2001,,2999-01-01,no,\n"
    client.force_login(member)
    response = _upload(client, _zip({"profile.json": profile, "ratings.csv": ratings}))
    assert response.status_code == 302
    assert list(Rating.objects.filter(user=member).values_list("title_id", "score")) == [
        (title.pk, 70)
    ]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("1 line(s) name titles this site does not have" in m for m in messages)
    assert any("ratings.csv line 4" in m for m in messages)
    member.refresh_from_db()
    assert member.rating_scale == "100"  # "9" is no scale: the saved one stays
    response = _upload(client, _zip({"profile.json": profile, "diary.csv": diary}))
    assert response.status_code == 400
    assert "future" in response.content.decode()
    assert not Viewing.objects.exists()


def test_export_is_written_piece_by_piece():
    """Streamed, not built in memory: a large diary comes out in many small pieces."""
    member = UserFactory()
    titles = TitleFactory.create_batch(20)
    Viewing.objects.bulk_create(
        Viewing(
            user=member,
            title=titles[i % 20],
            watched_on=datetime.date(2000, 1, 1) + datetime.timedelta(days=i),
            note=hashlib.sha256(str(i).encode()).hexdigest(),  # compresses little
        )
        for i in range(6000)
    )
    pieces = [piece for piece in export_zip_chunks(member) if piece]
    total = sum(len(piece) for piece in pieces)
    assert len(pieces) >= 4
    assert max(len(piece) for piece in pieces) < total / 2
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert len(archive.read("diary.csv").decode().splitlines()) == 6001


def test_a_zip_with_too_many_lines_is_refused_whole(client, monkeypatch):
    monkeypatch.setattr("accounts.site_import.MAX_ROWS", 3)
    member = UserFactory()
    client.force_login(member)
    title = TitleFactory(name="Known", year=2001)
    profile = json.dumps({"format": "movie-ratings-export", "version": 1})
    watchlist = "Title,Year,IMDb ID,Added at\n" + "Known,2001,,\n" * 4
    response = _upload(client, _zip({"profile.json": profile, "watchlist.csv": watchlist}))
    assert response.status_code == 400
    assert "watchlist.csv in the ZIP has more than 3 lines" in response.content.decode()
    assert not WatchlistEntry.objects.filter(title=title).exists()

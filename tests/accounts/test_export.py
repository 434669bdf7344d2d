import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import ImportBatch
from ratings.models import Rating
from ratings.services import rate
from tests.factories import TitleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _export(client) -> tuple:
    response = client.get(reverse("accounts:export-ratings"))
    body = b"".join(response.streaming_content)
    return response, body


def test_export_needs_sign_in(client):
    assert client.get(reverse("accounts:export-ratings")).status_code == 302


def test_export_streams_a_csv_of_all_my_ratings(client):
    member = UserFactory(username="maud")
    heat = TitleFactory(name="Heat", year=1995, imdb_id="tt0113277")
    odd = TitleFactory(name='Say "Anything", Again', year=None)
    rate(
        member, heat, 73, review="Long, tense.\nGreat.", rated_at=datetime(2014, 6, 22, tzinfo=UTC)
    )
    rate(member, odd, 40, rated_at=datetime(2015, 1, 1, tzinfo=UTC))
    rate(UserFactory(username="other"), heat, 10)
    client.force_login(member)
    response, body = _export(client)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ratings-maud-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows == [
        ["Title", "Year", "IMDb ID", "Score", "Percentile", "Rated date", "Review"],
        ['Say "Anything", Again', "", "", "40", "", "2015-01-01", ""],
        ["Heat", "1995", "tt0113277", "73", "", "2014-06-22", "Long, tense.\nGreat."],
    ]


def test_export_reads_the_database_in_chunks(client, django_assert_max_num_queries):
    member = UserFactory()
    titles = TitleFactory.create_batch(30)
    for n, title in enumerate(titles):
        rate(member, title, n * 3)
    client.force_login(member)
    # Session, user, and one server-side cursor whatever the number of rows.
    with django_assert_max_num_queries(6):
        _response, body = _export(client)
    assert body.decode().count("\n") == 31


def test_export_then_import_into_a_fresh_account_gives_the_same_ratings_and_percentiles(client):
    source = UserFactory(username="source")
    titles = [
        TitleFactory(name="Heat", year=1995, imdb_id="tt0113277"),
        TitleFactory(name="Amélie", year=2001, imdb_id="tt0211915"),
        TitleFactory(name="Crash", year=1996),  # no IMDb id: matched by title and year
        TitleFactory(name="Crash", year=2004),
        TitleFactory(name="The Matrix", year=1999),
        TitleFactory(name="Parasite", year=2019, imdb_id="tt6751668"),
        TitleFactory(name="Heat", year=1972),
    ]
    scores = [73, 90, 35, 35, 61, 88, 12]
    for n, (title, score) in enumerate(zip(titles, scores, strict=True)):
        rate(
            source,
            title,
            score,
            review="Seen twice, 'both' better\nthan \"expected\"" if n == 1 else "",
            rated_at=datetime(2020, 1, n + 1, 12, tzinfo=UTC),
        )
    client.force_login(source)
    _response, body = _export(client)

    fresh = UserFactory(username="fresh")
    client.force_login(fresh)
    upload = io.BytesIO(body)
    upload.name = "export.csv"
    client.post(reverse("accounts:import"), {"file": upload, "plain_scale": "100"})
    batch = ImportBatch.objects.get(user=fresh)
    assert batch.format == "site"
    assert batch.counts["matched"] == 7
    client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}))

    def snapshot(user):
        return sorted(
            Rating.objects.filter(user=user).values_list(
                "title_id", "score", "percentile", "review", "rated_at__date"
            )
        )

    assert snapshot(fresh) == snapshot(source)
    assert all(row[2] is not None for row in snapshot(fresh))


def test_export_escapes_cells_a_spreadsheet_would_run_and_is_not_cached(client):
    member = UserFactory(username="maud")
    rate(
        member,
        TitleFactory(name='=HYPERLINK("http://evil")', year=2001, imdb_id=None),
        60,
        review="@SUM(1+1)",
        rated_at=datetime(2015, 1, 1, tzinfo=UTC),
    )
    rate(
        member,
        TitleFactory(name="-Heat", year=1995, imdb_id=None),
        70,
        review="\tsneaky",
        rated_at=datetime(2014, 1, 1, tzinfo=UTC),
    )
    client.force_login(member)
    response, body = _export(client)
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert [(row[0], row[6]) for row in rows[1:]] == [
        ('\'=HYPERLINK("http://evil")', "'@SUM(1+1)"),
        ("'-Heat", "'\tsneaky"),
    ]


def test_an_escaped_export_imports_back_as_written(client, tmp_path):
    member = UserFactory(username="maud")
    heat = TitleFactory(name="-Heat", year=1995, imdb_id=None)
    rate(member, heat, 70, review="=great", rated_at=datetime(2014, 1, 1, tzinfo=UTC))
    client.force_login(member)
    _response, body = _export(client)
    fresh = UserFactory(username="fresh")
    client.force_login(fresh)
    path = tmp_path / "export.csv"
    path.write_bytes(body)
    with path.open("rb") as handle:
        client.post(reverse("accounts:import"), {"file": handle, "plain_scale": "100"})
    batch = ImportBatch.objects.get(user=fresh)
    assert batch.counts["matched"] == 1
    client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}))
    rating = Rating.objects.get(user=fresh)
    assert (rating.title, rating.review) == (heat, "=great")


def test_not_imported_csv_escapes_cells_and_is_not_cached(client, tmp_path):
    member = UserFactory(username="maud")
    client.force_login(member)
    path = tmp_path / "plain.csv"
    path.write_text("title,year,score,review\n\"=cmd|' /C calc'!A0\",2000,50,+1\n")
    with path.open("rb") as handle:
        client.post(reverse("accounts:import"), {"file": handle, "plain_scale": "100"})
    batch = ImportBatch.objects.get(user=member)
    response = client.get(reverse("accounts:import-unmatched", kwargs={"pk": batch.pk}))
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][:7] == ["2", "'=cmd|' /C calc'!A0", "2000", "", "50", "", "'+1"]

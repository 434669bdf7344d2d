"""Imports respect the hourly posting limits, and refuse per row what they cannot read
(dates out of range, huge or odd numbers) instead of failing the whole import."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.importers import parsing
from accounts.models import ImportBatch
from collections_app.models import Collection
from collections_app.services import collection_create
from ratings.models import Rating
from ratings.services import rate
from tests.accounts import samples
from tests.factories import TitleFactory
from tests.html import select_one

pytestmark = pytest.mark.django_db


def _batch(user) -> ImportBatch:
    return ImportBatch.objects.filter(user=user).latest("created_at")


def _confirm(client, batch, **data):
    return client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}), data)


# Limits -------------------------------------------------------------------------------


def test_reviews_past_the_hourly_limit_are_left_out_and_listed(client, member, upload, settings):
    settings.MODERATION_REVIEWS_PER_HOUR = 3
    films = [TitleFactory(name=f"Film {n}", year=2000) for n in range(5)]
    rate(member, TitleFactory(), 50, review="Written a minute ago.")
    text = "title,year,score,review\n" + "".join(
        f"Film {n},2000,{50 + n},Review {n}\n" for n in range(5)
    )
    upload("plain.csv", text)
    batch = _batch(member)
    response = _confirm(client, batch)
    follow = client.get(response["Location"])
    batch.refresh_from_db()
    # Every score is written; two reviews fit under the limit (one was written already).
    stored = dict(Rating.objects.filter(title__in=films).values_list("title__name", "review"))
    assert stored == {
        "Film 0": "Review 0",
        "Film 1": "Review 1",
        "Film 2": "",
        "Film 3": "",
        "Film 4": "",
    }
    assert batch.result["written"] == 5
    assert batch.result["reviews_skipped"] == 3
    assert [line for line, _label in batch.result["reviews_skipped_rows"]] == [4, 5, 6]
    assert "3 reviews left out: you reached the hourly review limit" in follow.text
    skipped = select_one(follow, "ul", class_="skipped-reviews")
    assert [li.text for li in skipped.iter()] == [
        "Line 4: Film 2 (2000)",
        "Line 5: Film 3 (2000)",
        "Line 6: Film 4 (2000)",
    ]


def test_a_skipped_review_keeps_the_review_already_there(client, member, upload, settings):
    settings.MODERATION_REVIEWS_PER_HOUR = 0
    heat = TitleFactory(name="Heat", year=1995)
    rate(member, heat, 40, review="My old words.", limit_reviews=False)
    upload("plain.csv", "title,year,score,review\nHeat,1995,90,New words\n")
    _confirm(client, _batch(member), replace_existing="on")
    rating = Rating.objects.get(user=member, title=heat)
    assert (rating.score, rating.review) == (90, "My old words.")
    assert _batch(member).result["reviews_skipped"] == 1


def test_list_import_past_the_hourly_collection_limit_creates_nothing_and_says_so(
    client, member, upload, settings
):
    settings.MODERATION_COLLECTIONS_PER_HOUR = 1
    TitleFactory(name="Amélie", year=2001)
    collection_create(member, "Made this hour")
    upload("list.csv", samples.LETTERBOXD_LIST)
    response = _confirm(client, _batch(member))
    batch = _batch(member)
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.result["collection_skipped"] == "Rainy Sunday films"
    assert list(Collection.objects.values_list("name", flat=True)) == ["Made this hour"]
    page = client.get(response["Location"])
    assert (
        "“Rainy Sunday films” was not created" in select_one(page, "p", class_="row-warning").text
    )
    assert "1 collections in the last hour" in page.text


# Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "1869-12-31", "3000-01-01"],
)
def test_dates_outside_1870_to_tomorrow_are_refused_on_their_row(client, member, upload, text):
    TitleFactory(name="Heat", year=1995)
    TitleFactory(name="Parasite", year=2019)
    upload(
        "plain.csv", f"title,year,score,date\nHeat,1995,80,{text}\nParasite,2019,90,2020-01-02\n"
    )
    batch = _batch(member)
    assert batch.counts["invalid"] == 1 and batch.counts["matched"] == 1
    (bad,) = [row for row in batch.rows if row["status"] == "invalid"]
    assert bad["error"] == f"Date “{text}” is outside 1870 to tomorrow"
    page = client.get(batch.get_absolute_url() + "?show=invalid")
    assert select_one(page, "span", class_="row-problem").text == bad["error"]
    response = _confirm(client, batch)
    assert response.status_code == 302
    assert list(Rating.objects.values_list("title__name", flat=True)) == ["Parasite"]


def test_today_and_tomorrow_are_accepted_the_day_after_is_not():
    now = timezone.now()
    assert parsing.parse_datetime(now.date().isoformat()).date() == now.date()
    tomorrow = (now + timedelta(days=1)).date()
    assert parsing.parse_datetime(tomorrow.isoformat() + "T00:00:00+00:00").date() == tomorrow
    with pytest.raises(parsing.DateOutOfRange):
        parsing.parse_datetime((now + timedelta(days=2)).date().isoformat())
    assert parsing.parse_datetime("1870-01-01T00:00:00Z") == datetime(1870, 1, 1, tzinfo=UTC)
    with pytest.raises(parsing.DateOutOfRange):
        parsing.parse_datetime("1870-01-01T00:00:00+05:00")


# Numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", ["1e50", "-1e50", "1e-50", "7.0000001", "²", "1e999999"])
def test_imdb_ratings_that_are_not_scores_are_refused_on_their_row(client, member, upload, rating):
    TitleFactory(name="Amélie", year=2001, imdb_id="tt0211915")
    TitleFactory(name="Parasite", year=2019, imdb_id="tt6751668")
    header, amelie, parasite = samples.IMDB_RATINGS_OLD.strip().splitlines()
    amelie = amelie.replace("tt0211915,7,", f"tt0211915,{rating},")
    response = upload("ratings.csv", f"{header}\n{amelie}\n{parasite}\n")
    assert response.status_code == 302
    batch = _batch(member)
    (bad,) = [row for row in batch.rows if row["status"] == "invalid"]
    assert bad["name"] == "Amélie" and rating in bad["error"]
    _confirm(client, batch)
    assert list(Rating.objects.values_list("title__name", "score")) == [("Parasite", 100)]


@pytest.mark.parametrize("position", ["²", "٣", "9" * 5000, "-1", "0"])
def test_odd_letterboxd_list_positions_fall_back_to_the_file_order(
    client, member, upload, position
):
    TitleFactory(name="Amélie", year=2001)
    TitleFactory(name="Heat", year=1995)
    text = samples.LETTERBOXD_LIST.replace("\n1,Amélie", f"\n{position},Amélie")
    assert upload("list.csv", text).status_code == 302
    batch = _batch(member)
    assert [row["position"] for row in batch.rows] == [None, 2, 3]
    _confirm(client, batch)
    collection = Collection.objects.get(owner=member)
    assert list(collection.items.order_by("position").values_list("title__name", flat=True)) == [
        "Amélie",
        "Heat",
    ]


@pytest.mark.parametrize("title", ["²", "9" * 5000, "1" * 19, "-3"])
def test_resolving_with_a_title_that_is_not_a_number_is_refused(client, member, upload, title):
    TitleFactory(name="Crash", year=1996)
    TitleFactory(name="Crash", year=2004)
    upload("plain.csv", "title,score\nCrash,80\n")
    batch = _batch(member)
    response = client.post(
        reverse("accounts:import-resolve", kwargs={"pk": batch.pk}),
        {"line": "2", "title": title, "back": "ambiguous:²"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?show=ambiguous#import-rows")
    page = client.get(response["Location"])
    assert "Choose one of the titles listed" in page.text
    assert _batch(member).counts["ambiguous"] == 1


@pytest.mark.parametrize("line", ["²", "9" * 5000])
def test_resolving_an_unreadable_line_is_refused(client, member, upload, line):
    TitleFactory(name="Crash", year=1996)
    crash = TitleFactory(name="Crash", year=2004)
    upload("plain.csv", "title,score\nCrash,80\n")
    batch = _batch(member)
    response = client.post(
        reverse("accounts:import-resolve", kwargs={"pk": batch.pk}),
        {"line": line, "title": str(crash.pk)},
    )
    assert response.status_code == 302
    assert _batch(member).counts["ambiguous"] == 1

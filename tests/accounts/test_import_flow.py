"""Upload -> preview -> confirm, for every format, through the views."""

import pytest
from django.urls import reverse

from accounts.models import ImportBatch
from collections_app.models import Collection
from ratings.models import Rating
from ratings.services import rate
from tests.accounts import samples
from tests.factories import TitleFactory, UserFactory
from tests.html import parse, select, select_one, texts, top_level

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    return {
        "amelie": TitleFactory(
            name="Amélie",
            original_name="Le fabuleux destin d'Amélie Poulain",
            year=2001,
            imdb_id="tt0211915",
        ),
        "gbu": TitleFactory(name="The Good, the Bad and the Ugly", year=1966, imdb_id="tt0060196"),
        "parasite": TitleFactory(name="Parasite", year=2019, imdb_id="tt6751668"),
        "heat": TitleFactory(name="Heat", year=1995, imdb_id="tt0113277"),
        "leon": TitleFactory(name="Léon: The Professional", year=1994, imdb_id="tt0110413"),
    }


def _batch(user) -> ImportBatch:
    return ImportBatch.objects.filter(user=user).latest("created_at")


def _confirm(client, batch, **data):
    return client.post(reverse("accounts:import-confirm", kwargs={"pk": batch.pk}), data)


def test_import_pages_need_sign_in(client):
    response = client.get(reverse("accounts:import"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_letterboxd_upload_shows_a_preview_and_writes_nothing(client, member, catalog, upload):
    response = upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    assert response["Location"] == batch.get_absolute_url()
    assert batch.counts == {"matched": 5, "ambiguous": 0, "unmatched": 1, "invalid": 0, "total": 6}
    page = client.get(batch.get_absolute_url())
    content = page.content.decode()
    assert "Check before importing" in content
    mapping = [
        (select_one(li, class_="mapping-from").text, select_one(li, class_="mapping-to").text)
        for li in select(select_one(content, "ul", class_="mapping-list"), "li")
    ]
    assert ("3.5★", "70") in mapping
    assert "Import 5 ratings" in content
    assert not Rating.objects.exists()


def test_confirming_writes_all_matched_ratings_with_dates_and_percentiles(
    client, member, catalog, upload
):
    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    response = _confirm(client, batch)
    assert response.status_code == 302
    scores = dict(Rating.objects.filter(user=member).values_list("title__name", "score"))
    assert scores == {
        "Amélie": 90,
        "The Good, the Bad and the Ugly": 100,
        "Parasite": 70,
        "Heat": 60,
        "Léon: The Professional": 50,
    }
    ratings = Rating.objects.filter(user=member)
    assert all(r.percentile is not None for r in ratings)  # 5 distinct scores
    amelie = ratings.get(title=catalog["amelie"])
    assert amelie.rated_at.date().isoformat() == "2019-03-02"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.result["written"] == 5
    catalog["heat"].refresh_from_db()
    assert catalog["heat"].ratings_count == 1


def test_confirming_twice_writes_once_and_says_so(client, member, catalog, upload):
    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    _confirm(client, batch)
    response = _confirm(client, batch)
    assert response.status_code == 302
    messages = [m.message for m in response.wsgi_request._messages]
    assert "already been imported" in messages[-1]
    assert Rating.objects.filter(user=member).count() == 5


def test_existing_ratings_are_kept_unless_replacing_is_asked(client, member, catalog, upload):
    rate(member, catalog["heat"], 12)
    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    content = client.get(batch.get_absolute_url()).content.decode()
    assert "You have already rated 1" in parse(content).text
    assert "1" in texts(content, "strong")
    _confirm(client, batch)
    assert Rating.objects.get(user=member, title=catalog["heat"]).score == 12
    batch.refresh_from_db()
    assert batch.result["kept_existing"] == 1

    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    _confirm(client, _batch(member), replace_existing="on")
    assert Rating.objects.get(user=member, title=catalog["heat"]).score == 60


def test_diary_keeps_the_latest_rating_of_a_rewatched_film(client, member, catalog, upload):
    upload("diary.csv", samples.LETTERBOXD_DIARY)
    batch = _batch(member)
    # The Heat line has no rating: a viewing only.
    assert batch.counts["matched"] == 3
    assert batch.counts["invalid"] == 0
    _confirm(client, batch)
    rating = Rating.objects.get(user=member)
    assert rating.score == 90
    assert rating.rated_at.date().isoformat() == "2021-04-30"


def test_letterboxd_reviews_import_with_review_text(client, member, catalog, upload):
    upload("reviews.csv", samples.LETTERBOXD_REVIEWS)
    _confirm(client, _batch(member))
    rating = Rating.objects.get(user=member)
    assert rating.title == catalog["parasite"]
    assert rating.review == "Even better the second time.\nThe stairs!"


def test_imdb_rows_match_by_id_and_unknown_ids_fall_back_to_title(client, member, catalog, upload):
    upload("ratings.csv", samples.IMDB_RATINGS)
    batch = _batch(member)
    methods = {row["name"]: (row["status"], row.get("method")) for row in batch.rows}
    assert methods["Amélie"] == ("matched", "IMDb id")
    assert methods["Something Else Entirely"] == ("unmatched", None)
    _confirm(client, batch)
    assert dict(Rating.objects.filter(user=member).values_list("title__name", "score")) == {
        "Amélie": 80,
        "Heat": 90,
    }


def test_imdb_older_form_imports(client, member, catalog, upload):
    upload("ratings.csv", samples.IMDB_RATINGS_OLD)
    _confirm(client, _batch(member))
    assert Rating.objects.filter(user=member).count() == 2


def test_criticker_import_keeps_scores_dates_and_mini_reviews(client, member, catalog, upload):
    upload("criticker.csv", samples.CRITICKER)
    _confirm(client, _batch(member))
    amelie = Rating.objects.get(user=member, title=catalog["amelie"])
    assert amelie.score == 86
    assert amelie.review == "Charming, if a little sugary."
    assert amelie.rated_at.isoformat() == "2014-06-21T22:06:00+00:00"
    assert Rating.objects.filter(user=member).count() == 3


def test_plain_csv_with_stated_scale(client, member, catalog, upload):
    upload("mine.csv", samples.PLAIN_TEN, plain_scale="10")
    batch = _batch(member)
    assert batch.counts["matched"] == 2 and batch.counts["invalid"] == 1
    _confirm(client, batch)
    assert dict(Rating.objects.filter(user=member).values_list("title__name", "score")) == {
        "Amélie": 75,
        "Heat": 90,
    }


def test_letterboxd_list_becomes_a_collection_in_order(client, member, catalog, upload):
    upload("rainy-sunday-films.csv", samples.LETTERBOXD_LIST)
    batch = _batch(member)
    assert batch.is_list
    content = client.get(batch.get_absolute_url()).content.decode()
    assert "Rainy Sunday films" in content and "Create collection" in content
    _confirm(client, batch)
    collection = Collection.objects.get(owner=member)
    assert collection.name == "Rainy Sunday films"
    assert collection.description == "Slow, warm, a bit sad."
    items = list(collection.items.order_by("position").values_list("title__name", "note"))
    assert items == [("Amélie", "Paris!"), ("Heat", "")]
    assert not Rating.objects.exists()


def test_title_and_year_matching_tolerates_accents_articles_and_a_year_off(client, member, upload):
    TitleFactory(name="Amélie", year=2001)
    TitleFactory(name="The Matrix", year=1999)
    TitleFactory(name="Heat", year=1995)
    TitleFactory(name="Heat", year=1972)
    text = 'title,year,score\nAmelie,2001,50\n"Matrix, The",2000,60\nheat,1995,70\n'
    upload("plain.csv", text)
    batch = _batch(member)
    matched = {row["name"]: row["title_label"] for row in batch.rows}
    assert matched == {
        "Amelie": "Amélie (2001)",
        "Matrix, The": "The Matrix (1999)",
        "heat": "Heat (1995)",
    }


def test_same_name_without_year_is_ambiguous_and_can_be_settled(client, member, upload):
    old = TitleFactory(name="Crash", year=1996)
    new = TitleFactory(name="Crash", year=2004)
    upload("plain.csv", "title,score\nCrash,80\n")
    batch = _batch(member)
    (row,) = batch.rows
    assert row["status"] == "ambiguous"
    assert [pk for pk, _label in row["candidates"]] == [old.pk, new.pk]
    content = client.get(batch.get_absolute_url()).content.decode()
    assert "Crash (1996)" in content and "Crash (2004)" in content

    resolve = reverse("accounts:import-resolve", kwargs={"pk": batch.pk})
    response = client.post(resolve, {"line": 2, "title": str(new.pk), "back": "ambiguous:1"})
    assert response.status_code == 302
    assert "show=ambiguous&page=1" in response["Location"]
    batch.refresh_from_db()
    assert batch.counts["matched"] == 1
    _confirm(client, batch)
    assert Rating.objects.get(user=member).title == new


def test_settling_with_a_title_not_offered_is_refused(client, member, upload):
    TitleFactory(name="Crash", year=1996)
    TitleFactory(name="Crash", year=2004)
    other = TitleFactory(name="Other", year=2000)
    upload("plain.csv", "title,score\nCrash,80\n")
    batch = _batch(member)
    resolve = reverse("accounts:import-resolve", kwargs={"pk": batch.pk})
    response = client.post(resolve, {"line": 2, "title": str(other.pk)}, follow=True)
    assert "Choose one of the titles listed" in response.content.decode()
    batch.refresh_from_db()
    assert batch.counts["ambiguous"] == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The submitted file is empty"),
        ("blank.csv", b"\n\n  \n", "The file is empty"),
        ("header.csv", b"Date,Name,Year,Letterboxd URI,Rating\n", "no rows"),
        ("latin1.csv", "Name,Score\nAmélie,50\n".encode("latin-1"), "not UTF-8"),
        ("photo.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "not UTF-8"),
        ("other.csv", b"a,b,c\n1,2,3\n", "do not match a supported format"),
    ],
)
def test_bad_files_get_a_clear_message_and_change_nothing(
    client, member, catalog, upload, name, content, message
):
    rate(member, catalog["heat"], 40)
    response = upload(name, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert list(Rating.objects.values_list("score", flat=True)) == [40]


def test_oversized_file_is_refused(client, member, settings, upload):
    settings.MAX_IMPORT_BYTES = 100
    response = upload("big.csv", samples.LETTERBOXD_RATINGS)
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_missing_file_is_a_form_error(client, member):
    response = client.post(reverse("accounts:import"), {"plain_scale": "100"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_unmatched_rows_download_as_csv_with_reasons(client, member, catalog, upload):
    upload("diary.csv", samples.LETTERBOXD_DIARY.replace("Heat,1995", "Unknown Film,1980"))
    batch = _batch(member)
    response = client.get(reverse("accounts:import-unmatched", kwargs={"pk": batch.pk}))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "Line,Title,Year,IMDb ID,Score,Date,Review,Reason"
    assert lines[1] == (
        "4,Unknown Film,1980,,,2021-06-01,,No title with this name and year in the catalog"
    )
    assert len(lines) == 2


def test_another_members_import_is_not_found(client, member, catalog, upload):
    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    client.force_login(UserFactory(username="someone-else"))
    assert client.get(batch.get_absolute_url()).status_code == 404
    assert _confirm(client, batch).status_code == 404
    assert not Rating.objects.exists()


def test_cancelled_import_writes_nothing_and_cannot_be_confirmed(client, member, catalog, upload):
    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    client.post(reverse("accounts:import-cancel", kwargs={"pk": batch.pk}))
    _confirm(client, batch)
    assert not Rating.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED


def test_a_title_deleted_after_the_preview_is_skipped(client, member, catalog, upload):
    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    catalog["heat"].delete()
    _confirm(client, batch)
    assert Rating.objects.filter(user=member).count() == 4
    batch.refresh_from_db()
    assert batch.result["missing_titles"] == 1


def test_preview_rows_are_paginated_and_tabbed(client, member, upload):
    TitleFactory(name="Heat", year=1995)
    text = "title,year,score\n" + "".join(f"Film {n},2000,50\n" for n in range(120))
    upload("plain.csv", text)
    batch = _batch(member)
    response = client.get(batch.get_absolute_url() + "?show=unmatched&page=3")
    content = response.content.decode()
    assert "Page 3 of 3" in content
    assert "Film 119" in content and "Film 0<" not in content
    response = client.get(
        batch.get_absolute_url() + "?show=unmatched&page=2",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="import-rows",
    )
    assert top_level(response) == ["section"]
    assert {"section", "import-rows"} <= select_one(response, "section").classes


def test_unknown_preview_tab_and_bad_page_fall_back(client, member, catalog, upload):
    upload("ratings.csv", samples.LETTERBOXD_RATINGS)
    batch = _batch(member)
    response = client.get(batch.get_absolute_url() + "?show=nonsense&page=abc")
    assert response.status_code == 200
    # The first tab that has lines (Matched here), at its first page.
    tabs = select_one(response, "nav", class_="import-tabs")
    assert select_one(tabs, "a", aria_current="page").text == "Matched (5)"
    assert response.context["rows_page"].number == 1
    # Nothing matched: the fallback is the first non-empty tab, not always Matched.
    upload("plain.csv", "title,year,score\n" + "".join(f"Film {n},2000,50\n" for n in range(120)))
    response = client.get(_batch(member).get_absolute_url() + "?show=nonsense&page=abc")
    tabs = select_one(response, "nav", class_="import-tabs")
    assert select_one(tabs, "a", aria_current="page").text == "Not found (120)"
    assert "Page 1 of 3" in response.content.decode()


def test_preview_page_query_count_does_not_grow_with_rows(
    client, member, upload, django_assert_max_num_queries
):
    TitleFactory(name="Film 1", year=2000)
    text = "title,year,score\n" + "".join(f"Film {n},2000,{n % 100}\n" for n in range(2000))
    upload("plain.csv", text)
    batch = _batch(member)
    with django_assert_max_num_queries(7):  # 6 + the header's unread notifications
        assert client.get(batch.get_absolute_url() + "?show=unmatched&page=7").status_code == 200


def test_upload_matching_uses_a_bounded_number_of_queries(
    client, member, upload, django_assert_max_num_queries
):
    for n in range(50):
        TitleFactory(name=f"Film {n}", year=2000, imdb_id=f"tt{n + 1000000}")
    text = samples.IMDB_RATINGS_OLD.splitlines()[0] + "\n"
    text += "".join(
        f"tt{n + 1000000},7,2020-01-01,Film {n},u,movie,7,90,2000,Drama,10,2000-01-01,X\n"
        for n in range(3000)
    )
    # Storing the file and queueing (6), then the parse run at once (tasks are immediate
    # in tests): clean-up, read, progress, the matching queries, the final save.
    with django_assert_max_num_queries(18):
        upload("ratings.csv", text)
    assert _batch(member).counts["matched"] == 50

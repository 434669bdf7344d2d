"""Parsing every supported file format from real-shaped files written to disk."""

from datetime import UTC, datetime

import pytest

from accounts.importers import ImportFileError, parse_upload
from accounts.importers.normalise import normalise_title
from accounts.importers.parsing import (
    CRITICKER,
    IMDB,
    LETTERBOXD,
    LETTERBOXD_DIARY,
    LETTERBOXD_LIST,
    PLAIN,
    SITE,
    parse_datetime,
)
from tests.accounts import samples

LIMIT = 1024 * 1024


@pytest.fixture
def write(tmp_path):
    """write(name, text or bytes) -> the bytes of a file saved on disk, as uploaded."""

    def save(name, content, encoding="utf-8"):
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding=encoding, newline="")
        else:
            path.write_bytes(content)
        return path.read_bytes()

    return save


def test_letterboxd_ratings_map_half_stars_to_scores(write):
    parsed = parse_upload(write("ratings.csv", samples.LETTERBOXD_RATINGS), LIMIT)
    assert parsed.format == LETTERBOXD
    assert parsed.scale_label == "0.5-5 stars"
    rows = {row.name: row for row in parsed.rows}
    assert rows["Amélie"].score == 90
    assert rows["Parasite"].raw_score == "3.5"
    assert rows["Parasite"].score == 70
    assert rows["The Good, the Bad and the Ugly"].score == 100
    assert rows["Heat"].year == 1995
    assert rows["Amélie"].rated_at == datetime(2019, 3, 2, 12, tzinfo=UTC)
    assert all(not row.error for row in parsed.rows)


def test_letterboxd_reviews_keep_text_without_html_and_flag_unrated_rows(write):
    parsed = parse_upload(write("reviews.csv", samples.LETTERBOXD_REVIEWS), LIMIT)
    assert parsed.format == LETTERBOXD
    parasite, heat = parsed.rows
    assert parasite.review == "Even better the second time.\nThe stairs!"
    assert parasite.score == 80
    assert parasite.rated_at.date().isoformat() == "2021-04-30"  # the watched date
    assert heat.error == "No score"


def test_letterboxd_diary_is_detected_and_rows_without_rating_are_viewings(write):
    parsed = parse_upload(write("diary.csv", samples.LETTERBOXD_DIARY), LIMIT)
    assert parsed.format == LETTERBOXD_DIARY
    assert [row.score for row in parsed.rows] == [70, 90, None]
    assert [row.error for row in parsed.rows] == ["", "", ""]
    assert [row.rewatch for row in parsed.rows] == [False, True, False]


def test_letterboxd_watched_file_is_refused_with_advice(write):
    with pytest.raises(ImportFileError, match="watched.csv has no ratings.*ratings.csv"):
        parse_upload(
            write("watched.csv", samples.LETTERBOXD_WATCHED), LIMIT, filename="watched.csv"
        )


def test_imdb_export_current_form_reads_ids_original_titles_and_tenths(write):
    parsed = parse_upload(write("ratings.csv", samples.IMDB_RATINGS), LIMIT)
    assert parsed.format == IMDB
    amelie = parsed.rows[0]
    assert amelie.imdb_id == "tt0211915"
    assert amelie.score == 80
    assert amelie.alt_name == "Le fabuleux destin d'Amélie Poulain"
    assert amelie.rated_at.date().isoformat() == "2014-06-21"
    assert parsed.rows[1].alt_name == ""  # same as the title


def test_imdb_export_older_13_column_form(write):
    parsed = parse_upload(write("ratings.csv", samples.IMDB_RATINGS_OLD), LIMIT)
    assert parsed.format == IMDB
    assert [(row.imdb_id, row.score, row.year) for row in parsed.rows] == [
        ("tt0211915", 70, 2001),
        ("tt6751668", 100, 2019),
    ]


def test_criticker_export_with_spaces_after_commas_and_dates_with_commas(write):
    parsed = parse_upload(write("criticker.csv", samples.CRITICKER), LIMIT)
    assert parsed.format == CRITICKER
    amelie, heat, parasite = parsed.rows
    assert amelie.name == "Amélie"
    assert amelie.score == 86
    assert amelie.review == "Charming, if a little sugary."
    assert amelie.rated_at == datetime(2014, 6, 21, 22, 6, tzinfo=UTC)
    # The unquoted "Jun 22 2014, 09:15" is put back together.
    assert heat.rated_at == datetime(2014, 6, 22, 9, 15, tzinfo=UTC)
    assert heat.imdb_id == "tt0113277"
    assert heat.review == ""
    assert parasite.imdb_id == "tt6751668"  # a bare number is padded


def test_letterboxd_list_export_gives_name_description_and_positions(write):
    parsed = parse_upload(write("rainy-sunday-films.csv", samples.LETTERBOXD_LIST), LIMIT)
    assert parsed.format == LETTERBOXD_LIST
    assert parsed.list_name == "Rainy Sunday films"
    assert parsed.list_description == "Slow, warm, a bit sad."
    assert [(row.position, row.name, row.note) for row in parsed.rows] == [
        (1, "Amélie", "Paris!"),
        (2, "Heat", ""),
        (3, "Nonexistent Film", ""),
    ]
    assert all(row.score is None and not row.error for row in parsed.rows)


def test_letterboxd_list_export_without_items_is_refused(write):
    text = samples.LETTERBOXD_LIST.split("Position")[0]
    with pytest.raises(ImportFileError, match="lists no films"):
        parse_upload(write("list.csv", text), LIMIT)


def test_own_export_is_recognised():
    text = (
        "Title,Year,IMDb ID,Score,Percentile,Rated date,Review\n"
        'Heat,1995,tt0113277,73,41,2014-06-22,"Long, tense, great."\n'
    )
    parsed = parse_upload(text.encode(), LIMIT)
    assert parsed.format == SITE
    (row,) = parsed.rows
    assert (row.imdb_id, row.score, row.review) == ("tt0113277", 73, "Long, tense, great.")


def test_plain_csv_uses_the_stated_scale_and_flags_out_of_range_scores(write):
    parsed = parse_upload(write("mine.csv", samples.PLAIN_TEN), LIMIT, plain_scale="10")
    assert parsed.format == PLAIN
    assert parsed.score_suffix == "/10"
    amelie, heat, parasite = parsed.rows
    assert amelie.score == 75
    assert amelie.review == "Lovely."
    assert heat.score == 90
    assert parasite.error == "Score “11” is outside 0-10"


def test_plain_csv_on_the_star_scale():
    parsed = parse_upload(b"Name,Rating\nHeat,3.5\nAmelie,5\n", LIMIT, plain_scale="5")
    assert [row.score for row in parsed.rows] == [70, 100]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"   \n\n", "The file is empty"),
        (b"Date,Name,Year,Letterboxd URI,Rating\n", "no rows"),
        (
            "Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Amélie,2001,x,4\n".encode("latin-1"),
            "not UTF-8",
        ),
        (b"PK\x03\x04\x14\x00\x00\x00", "ZIP archive"),
        (b"Name,Score\x00\x00\nx,1\n", "binary"),
        (b"foo,bar,baz\n1,2,3\n", r"columns of this file \(foo, bar, baz\)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8|binary"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(write, content, message):
    with pytest.raises(ImportFileError, match=message):
        parse_upload(write("upload.csv", content), LIMIT)


def test_oversized_file_is_refused_before_reading_rows():
    data = samples.LETTERBOXD_RATINGS.encode() * 10
    with pytest.raises(ImportFileError, match=r"too large .* the limit is"):
        parse_upload(data, max_bytes=200)


def test_utf8_file_with_byte_order_mark_from_excel_is_read():
    data = "\ufeff" + samples.LETTERBOXD_RATINGS
    parsed = parse_upload(data.encode("utf-8"), LIMIT)
    assert parsed.format == LETTERBOXD
    assert parsed.rows[0].name == "Amélie"


def test_windows_line_endings_are_read():
    data = samples.IMDB_RATINGS.replace("\n", "\r\n").encode()
    parsed = parse_upload(data, LIMIT)
    assert len(parsed.rows) == 3


def test_malformed_rows_are_kept_with_their_problem_and_line_number():
    text = (
        "Date,Name,Year,Letterboxd URI,Rating\n"
        "2019-03-02,Amélie,2001,https://boxd.it/29Aw,4.5\n"
        "2019-03-02,Heat,nineteen95,https://boxd.it/x,3.3\n"
        "not a date,Parasite,2019,https://boxd.it/y,6\n"
        ",,,,\n"
        "2019-03-04,,,,3\n"
        "2019-03-05,Short Row\n"
    )
    parsed = parse_upload(text.encode(), LIMIT)
    by_line = {row.line: row for row in parsed.rows}
    assert not by_line[2].error
    assert by_line[3].error == "“nineteen95” is not a year; rating “3.3” is not 0.5-5 in half stars"
    assert by_line[4].error == "Rating “6” is not 0.5-5 in half stars"
    assert "not recognised" in by_line[4].warning
    assert 5 not in by_line  # a blank record is skipped
    assert by_line[6].error == "No title"
    assert by_line[7].error == "No score"


def test_unterminated_quote_is_read_to_the_end_not_crash():
    text = 'Name,Score\n"Heat,70\nParasite,80\n'
    parsed = parse_upload(text.encode(), LIMIT)
    assert parsed.rows[0].error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-06-21", datetime(2014, 6, 21, 12, tzinfo=UTC)),
        ("2014-06-21 22:06:00", datetime(2014, 6, 21, 22, 6, tzinfo=UTC)),
        ("2014-06-21T22:06:00Z", datetime(2014, 6, 21, 22, 6, tzinfo=UTC)),
        ("Jun 21 2014, 22:06", datetime(2014, 6, 21, 22, 6, tzinfo=UTC)),
        ("21 June 2014", datetime(2014, 6, 21, 12, tzinfo=UTC)),
        ("Sat Jun 21 00:00:00 2014", datetime(2014, 6, 21, 0, 0, tzinfo=UTC)),
        ("", None),
    ],
)
def test_dates_in_the_forms_exports_use(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Matrix", "Matrix, The"),
        ("Amélie", "AMELIE"),
        ("Léon: The Professional", "Leon - the professional"),
        ("Fast & Furious", "Fast and Furious"),
        ("L'Avventura", "L’avventura"),
        ("Das Boot", "Boot"),
    ],
)
def test_normalised_titles_match(a, b):
    assert normalise_title(a) == normalise_title(b)


def test_normalised_titles_keep_different_films_apart():
    assert normalise_title("Heat") != normalise_title("The Heat Is On")
    assert normalise_title("Alien") != normalise_title("Aliens")

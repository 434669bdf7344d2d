"""The IMDb import's parsing (``catalog.imdb_import``), without a database."""

import pytest

from catalog.imdb_import import (
    BASICS_COLUMNS,
    BadRow,
    FileStats,
    ImdbFileError,
    SkipRow,
    parse_basics,
    parse_crew,
    parse_principal,
    read_rows,
)
from catalog.models import TitleKind


def test_parse_basics_maps_kind_nulls_slug_and_genres():
    row = parse_basics(
        ["tt0000001", "movie", "Amélie", "Amélie", "0", "2001", "\\N", "\\N", "Comedy,Romance"]
    )
    imdb_id, kind, name, original, year, minutes, slug, search, trigrams, genres = row
    assert (imdb_id, kind, name, original, year, minutes) == (
        "tt0000001",
        TitleKind.FILM,
        "Amélie",
        "",  # the same as the name: not kept twice
        2001,
        None,
    )
    assert slug == "amelie-2001" and search == "amelie"
    assert "ame" in trigrams
    assert genres == ["Comedy", "Romance"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (["x1", "movie", "A", "A", "0", "2001", "\\N", "90", "\\N"], "not an IMDb title id"),
        (["tt1", "movie", "\\N", "A", "0", "2001", "\\N", "90", "\\N"], "no primaryTitle"),
        (["tt1", "movie", "A", "A", "0", "1200", "\\N", "90", "\\N"], "outside 1850..2100"),
        (["tt1", "movie", "A", "A", "2", "2001", "\\N", "90", "\\N"], "isAdult"),
    ],
)
def test_parse_basics_refuses_bad_rows(fields, message):
    with pytest.raises(BadRow, match=message):
        parse_basics(fields)


def test_read_rows_checks_the_header(tmp_path):
    path = tmp_path / "title.basics.tsv"
    path.write_text("tconst\tname\ntt1\tA\n", encoding="utf-8")
    with pytest.raises(ImdbFileError, match="unexpected header"):
        list(read_rows(path, BASICS_COLUMNS, FileStats(path.name)))
    with pytest.raises(ImdbFileError, match="No such file"):
        list(read_rows(tmp_path / "missing.tsv", BASICS_COLUMNS, FileStats("missing.tsv")))


def test_parse_crew_and_principal_rows():
    assert parse_crew(["tt1", "nm1,nm2", "\\N"]) == [
        ("tt1", "nm1", "director", 1, ""),
        ("tt1", "nm2", "director", 2, ""),
    ]
    with pytest.raises(BadRow, match="not an IMDb name id"):
        parse_crew(["tt1", "nm1,x2", "\\N"])
    assert parse_principal(["tt1", "3", "nm7", "actress", "\\N", '["Katya", "Kat"]']) == [
        ("tt1", "nm7", "cast", 3, "Katya, Kat")
    ]
    with pytest.raises(SkipRow, match="category producer"):
        parse_principal(["tt1", "3", "nm7", "producer", "\\N", "\\N"])

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Credit, Genre, Person, Title, TitleKind
from catalog.selectors import person_search
from tests.catalog.imdb_files import (
    BASICS_HEADER,
    generated_basics_rows,
    write_tsv,
)

pytestmark = pytest.mark.django_db

BASICS = [
    "tt0000001\tmovie\tInterview\tInterview\t0\t2007\t\\N\t84\tDrama",
    "tt0000002\tmovie\tAmélie\tLe Fabuleux Destin d'Amélie Poulain\t0\t2001\t\\N\t122"
    "\tComedy,Romance",
    "tt0000003\ttvSeries\tThe Wire\tThe Wire\t0\t2002\t2008\t59\tCrime,Drama,Thriller",
    "tt0000004\ttvMiniSeries\tChernobyl\tChernobyl\t0\t2019\t2019\t\\N\tDrama",
    "tt0000005\tshort\tA Trip\tA Trip\t0\t\\N\t\\N\t\\N\t\\N",
    "tt0000006\ttvMovie\tDuel\tDuel\t0\t1971\t\\N\t90\tThriller",
    "tt0000007\ttvEpisode\tPilot\tPilot\t0\t2002\t\\N\t60\tDrama",
    "tt0000008\tvideoGame\tSome Game\tSome Game\t0\t2010\t\\N\t\\N\tAction",
    "tt0000009\tmovie\tBad Year\tBad Year\t0\tnineteen\t\\N\t90\tDrama",
    "tt0000010\tmovie\tToo Few Columns",
    "xx0000011\tmovie\tBad Id\tBad Id\t0\t2000\t\\N\t90\tDrama",
    "tt0000012\tmovie\tAdult\tAdult\t1\t2000\t\\N\t90\tDrama",
]
CREW_HEADER = "tconst\tdirectors\twriters"
PRINCIPALS_HEADER = "tconst\tordering\tnconst\tcategory\tjob\tcharacters"
NAMES_HEADER = "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles"


def _run(*args) -> str:
    out = StringIO()
    call_command("import_imdb", *[str(a) for a in args], stdout=out)
    return out.getvalue()


@pytest.fixture
def basics(tmp_path) -> Path:
    return write_tsv(tmp_path / "title.basics.tsv", BASICS_HEADER, BASICS)


def test_imports_titles_mapping_kinds_and_nulls(basics):
    _run(basics)
    titles = {t.imdb_id: t for t in Title.objects.all()}
    assert set(titles) == {f"tt000000{n}" for n in range(1, 7)}
    assert titles["tt0000001"].kind == TitleKind.FILM
    assert titles["tt0000003"].kind == TitleKind.TV_SERIES
    assert titles["tt0000004"].kind == TitleKind.MINI_SERIES
    assert titles["tt0000005"].kind == TitleKind.SHORT
    assert titles["tt0000006"].kind == TitleKind.TV_FILM
    trip = titles["tt0000005"]
    assert trip.year is None and trip.runtime_minutes is None and not trip.genres.exists()
    amelie = titles["tt0000002"]
    assert amelie.original_name == "Le Fabuleux Destin d'Amélie Poulain"
    assert titles["tt0000001"].original_name == ""
    assert sorted(amelie.genres.values_list("name", flat=True)) == ["Comedy", "Romance"]
    assert Genre.objects.get(name="Comedy").slug == "comedy"
    assert amelie.slug == "amelie-2001"
    assert amelie.search_name.startswith("amelie le fabuleux")
    assert Title.objects.filter(search_vector="fabuleux").get() == amelie


def test_imported_titles_are_found_by_typo_search(basics, client):
    _run(basics)
    response = client.get("/titles/", {"q": "chernobil"})
    assert [t.name for t in response.context["page_obj"]] == ["Chernobyl"]


def test_skips_and_counts_other_types_adult_and_bad_rows_with_examples(basics):
    output = _run(basics)
    assert "12 rows read" in output
    assert "6 kept, 3 bad" in output
    assert "skipped (titleType tvEpisode): 1" in output
    assert "skipped (titleType videoGame): 1" in output
    assert "skipped (adult): 1" in output
    assert "startYear 'nineteen' is not a whole number" in output
    assert "3 columns, expected 9" in output
    assert "tconst 'xx0000011' is not an IMDb title id" in output


def test_rerun_changes_nothing(basics):
    _run(basics)
    before = {t.imdb_id: (t.updated_at, t.pk) for t in Title.objects.all()}
    output = _run(basics)
    assert "titles: 0 new, 0 changed, 6 unchanged" in output
    assert "genre links: 0 added, 0 removed" in output
    assert {t.imdb_id: (t.updated_at, t.pk) for t in Title.objects.all()} == before


def test_changed_rows_update_titles_and_their_genres(basics, tmp_path):
    _run(basics)
    amelie = Title.objects.get(imdb_id="tt0000002")
    slug = amelie.slug
    changed = [
        "tt0000002\tmovie\tAmelie\tLe Fabuleux Destin\t0\t2001\t\\N\t123\tComedy,Drama",
    ]
    output = _run(write_tsv(tmp_path / "update.tsv", BASICS_HEADER, changed))
    assert "titles: 0 new, 1 changed, 0 unchanged" in output
    amelie.refresh_from_db()
    assert (amelie.name, amelie.runtime_minutes) == ("Amelie", 123)
    assert sorted(amelie.genres.values_list("name", flat=True)) == ["Comedy", "Drama"]
    assert amelie.slug == slug  # URLs stay stable
    assert amelie.search_name == "amelie le fabuleux destin"


def test_gzip_files_and_small_batches(tmp_path):
    path = write_tsv(tmp_path / "title.basics.tsv.gz", BASICS_HEADER, generated_basics_rows(250))
    output = _run(path, "--batch-size", 40, "--progress-every", 100)
    assert "100 rows read" in output  # a progress line
    kept = Title.objects.count()
    assert 150 < kept < 250
    assert f"titles: {kept} new" in output


def test_repeated_id_in_a_file_keeps_the_last_row(tmp_path):
    rows = [
        "tt0000001\tmovie\tFirst\tFirst\t0\t2000\t\\N\t90\tDrama",
        "tt0000001\tmovie\tSecond\tSecond\t0\t2000\t\\N\t90\tDrama",
    ]
    _run(write_tsv(tmp_path / "b.tsv", BASICS_HEADER, rows))
    assert Title.objects.get(imdb_id="tt0000001").name == "Second"


def test_wrong_header_is_refused(tmp_path):
    path = write_tsv(tmp_path / "b.tsv", "a\tb\tc", ["1\t2\t3"])
    with pytest.raises(CommandError, match="unexpected header"):
        _run(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        _run(tmp_path / "nope.tsv")


def test_imports_people_and_credits_from_crew_principals_and_names(basics, tmp_path):
    crew = write_tsv(
        tmp_path / "title.crew.tsv",
        CREW_HEADER,
        ["tt0000001\tnm0000001\tnm0000001,nm0000003", "tt0000007\tnm0000009\t\\N"],
    )
    principals = write_tsv(
        tmp_path / "title.principals.tsv.gz",
        PRINCIPALS_HEADER,
        [
            'tt0000001\t1\tnm0000002\tactress\t\\N\t["Katya"]',
            'tt0000001\t2\tnm0000001\tactor\t\\N\t["Pierre Peders"]',
            "tt0000001\t3\tnm0000004\tproducer\tproducer\t\\N",
            "tt0000001\t4\tnm0000005\tactor\t\\N\tnot json",
        ],
    )
    names = write_tsv(
        tmp_path / "name.basics.tsv",
        NAMES_HEADER,
        [
            "nm0000001\tSteve Buscemi\t1957\t\\N\tactor,director\ttt0000001",
            "nm0000002\tSienna Miller\t1981\t\\N\tactress\ttt0000001",
            "nm0000003\tTheodoor Holman\t\\N\t\\N\twriter\ttt0000001",
            "nm0000008\tNobody Credited\t1900\t1990\tactor\t\\N",
        ],
    )
    args = [basics, "--crew", crew, "--principals", principals, "--names", names]
    output = _run(*args)
    interview = Title.objects.get(imdb_id="tt0000001")
    credits = {
        (c.person.name, c.role): (c.order, c.character)
        for c in Credit.objects.filter(title=interview).select_related("person")
    }
    assert credits == {
        ("Steve Buscemi", "director"): (1, ""),
        ("Steve Buscemi", "writer"): (1, ""),
        ("Theodoor Holman", "writer"): (2, ""),
        ("Sienna Miller", "cast"): (1, "Katya"),
        ("Steve Buscemi", "cast"): (2, "Pierre Peders"),
    }
    assert not Person.objects.filter(name="Nobody Credited").exists()
    assert Person.objects.get(name="Steve Buscemi").birth_year == 1957
    # Imported people are searchable like people saved one by one (typo and all).
    assert [p.name for p in person_search("steve buscemy")] == ["Steve Buscemi"]
    assert "skipped (category producer): 1" in output
    assert "1 bad" in output
    again = _run(*args)
    assert "credits: 0 new or changed" in again
    assert "people: 0 new, 0 changed, 3 unchanged" in again

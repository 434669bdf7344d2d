"""The IMDb dataset import: parse the TSV files and merge them into titles, genres, people
and credits (``manage.py import_imdb`` parses its arguments and reports; the work is here).

Files are streamed (plain or gzip), `\\N` is null. Titles are upserted by IMDb id in
batches: each batch is COPYed into a temporary table and merged with
INSERT ... ON CONFLICT DO UPDATE ... WHERE IS DISTINCT FROM, so a rerun on the same
files rewrites nothing. Bad rows are skipped, counted and kept as examples.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.db import connection, transaction
from django.utils.text import slugify

from catalog.models import Credit, Genre, Person, Title, TitleKind
from catalog.search import name_trigrams, normalise_name, search_text

NULL = "\\N"
KINDS = {
    "movie": TitleKind.FILM,
    "tvSeries": TitleKind.TV_SERIES,
    "tvMiniSeries": TitleKind.MINI_SERIES,
    "short": TitleKind.SHORT,
    "tvMovie": TitleKind.TV_FILM,
}
CAST_CATEGORIES = {"actor", "actress", "self"}
BASICS_COLUMNS = [
    "tconst", "titleType", "primaryTitle", "originalTitle", "isAdult",
    "startYear", "endYear", "runtimeMinutes", "genres",
]  # fmt: skip
PRINCIPALS_COLUMNS = ["tconst", "ordering", "nconst", "category", "job", "characters"]
CREW_COLUMNS = ["tconst", "directors", "writers"]
NAMES_COLUMNS = [
    "nconst", "primaryName", "birthYear", "deathYear", "primaryProfession", "knownForTitles",
]  # fmt: skip
TCONST = re.compile(r"^tt\d{1,10}$")
NCONST = re.compile(r"^nm\d{1,10}$")
MAX_EXAMPLES = 5

TITLES = Title._meta.db_table
TITLE_GENRES = Title.genres.through._meta.db_table
PEOPLE = Person._meta.db_table
CREDITS = Credit._meta.db_table
# Staging tables: temporary, so each connection has its own and nothing is left behind.
STAGED_TITLES = "import_title"
STAGED_CREDITS = "import_credit"
STAGED_PEOPLE = "import_person"

# SQL -------------------------------------------------------------------------------------

# Staging tables for COPY (far faster than INSERTs from Python). Titles and people are
# staged one batch at a time (emptied at commit); credits are staged for the whole run,
# since they can only be merged once their titles and people exist.
CREATE_STAGING_SQL = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGED_TITLES} (
    imdb_id varchar(12) PRIMARY KEY, kind varchar(12), name varchar(300),
    original_name varchar(300), year smallint, runtime smallint,
    slug varchar(120), search_name varchar(610), trigrams varchar(3)[]
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS {STAGED_CREDITS} (
    tconst varchar(12), nconst varchar(12), role varchar(10),
    ord smallint, character varchar(300)
);
CREATE TEMP TABLE IF NOT EXISTS {STAGED_PEOPLE} (
    imdb_id varchar(12) PRIMARY KEY, name varchar(200),
    birth_year smallint, death_year smallint,
    search_name varchar(200), trigrams varchar(3)[]
) ON COMMIT DELETE ROWS;
TRUNCATE {STAGED_CREDITS};
"""

# ON COMMIT empties the batch tables too, but not inside an outer transaction (tests,
# callers), so each batch starts by emptying its table.
TRUNCATE_STAGED_TITLES_SQL = f"TRUNCATE {STAGED_TITLES}"
TRUNCATE_STAGED_CREDITS_SQL = f"TRUNCATE {STAGED_CREDITS}"
TRUNCATE_STAGED_PEOPLE_SQL = f"TRUNCATE {STAGED_PEOPLE}"

COPY_TITLES_SQL = (
    f"COPY {STAGED_TITLES} (imdb_id, kind, name, original_name, year, runtime, slug,"
    " search_name, trigrams) FROM STDIN"
)
COPY_CREDITS_SQL = f"COPY {STAGED_CREDITS} (tconst, nconst, role, ord, character) FROM STDIN"
COPY_PEOPLE_SQL = (
    f"COPY {STAGED_PEOPLE} (imdb_id, name, birth_year, death_year, search_name, trigrams)"
    " FROM STDIN"
)

# Merge a batch of titles by IMDb id. Only rows whose imported fields changed are
# rewritten (a rerun writes nothing); fields the site owns (synopsis, posters, trailer,
# rating aggregates) are set only on insert. Returns the ids of the written rows and
# whether each was inserted (xmax = 0) or updated.
UPSERT_TITLES_SQL = f"""
INSERT INTO {TITLES} AS t (
    imdb_id, kind, name, original_name, year, runtime_minutes, slug,
    search_name, name_trigrams, synopsis, poster, poster_list, poster_page,
    trailer_url, created_at, updated_at
)
SELECT imdb_id, kind, name, original_name, year, runtime, slug, search_name,
       trigrams, '', '', '', '', '', now(), now()
FROM {STAGED_TITLES}
ON CONFLICT (imdb_id) DO UPDATE SET
    kind = EXCLUDED.kind, name = EXCLUDED.name,
    original_name = EXCLUDED.original_name, year = EXCLUDED.year,
    runtime_minutes = EXCLUDED.runtime_minutes,
    search_name = EXCLUDED.search_name, name_trigrams = EXCLUDED.name_trigrams,
    updated_at = now()
WHERE (t.kind, t.name, t.original_name, t.year, t.runtime_minutes)
      IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.name, EXCLUDED.original_name,
                        EXCLUDED.year, EXCLUDED.runtime_minutes)
RETURNING imdb_id, id, (xmax = 0)
"""

# The ids of the batch's unchanged titles, which the upsert did not return.
TITLE_IDS_SQL = f"SELECT imdb_id, id FROM {TITLES} WHERE imdb_id = ANY(%s)"

# Genre links are synced as a difference (read, then delete the stale and insert the
# missing pairs): index lookups only, and a rerun writes nothing.
TITLE_GENRES_SQL = f"SELECT title_id, genre_id FROM {TITLE_GENRES} WHERE title_id = ANY(%s)"
DELETE_TITLE_GENRES_SQL = f"""
DELETE FROM {TITLE_GENRES}
WHERE (title_id, genre_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))
"""
INSERT_TITLE_GENRES_SQL = f"""
INSERT INTO {TITLE_GENRES} (title_id, genre_id)
SELECT * FROM unnest(%s::bigint[], %s::bigint[])
ON CONFLICT DO NOTHING
"""

# Merge every staged credit whose title and person exist, one row per (title, person,
# role) (IMDb lists a person once per job), rewriting only changed rows.
UPSERT_CREDITS_SQL = f"""
INSERT INTO {CREDITS} AS c (title_id, person_id, role, "order", character)
SELECT t.id, p.id, i.role, min(i.ord), max(i.character)
FROM {STAGED_CREDITS} i
JOIN {TITLES} t ON t.imdb_id = i.tconst
JOIN {PEOPLE} p ON p.imdb_id = i.nconst
GROUP BY t.id, p.id, i.role
ON CONFLICT (title_id, person_id, role) DO UPDATE SET
    "order" = EXCLUDED."order", character = EXCLUDED.character
WHERE (c."order", c.character) IS DISTINCT FROM (EXCLUDED."order", EXCLUDED.character)
"""

# Staged credits left out because their person is unknown, to report how many.
MISSING_PEOPLE_SQL = f"""
SELECT count(*) FROM (
    SELECT DISTINCT tconst, nconst, role FROM {STAGED_CREDITS} i
    WHERE NOT EXISTS (SELECT 1 FROM {PEOPLE} p WHERE p.imdb_id = i.nconst)
) missing
"""

# Merge a batch of people by IMDb id, rewriting only changed rows; says which were new.
UPSERT_PEOPLE_SQL = f"""
INSERT INTO {PEOPLE} AS p (imdb_id, name, birth_year, death_year, photo, search_name,
                          name_trigrams)
SELECT imdb_id, name, birth_year, death_year, '', search_name, trigrams FROM {STAGED_PEOPLE}
ON CONFLICT (imdb_id) DO UPDATE SET
    name = EXCLUDED.name, birth_year = EXCLUDED.birth_year, death_year = EXCLUDED.death_year,
    search_name = EXCLUDED.search_name, name_trigrams = EXCLUDED.name_trigrams
WHERE (p.name, p.birth_year, p.death_year)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.birth_year, EXCLUDED.death_year)
RETURNING (xmax = 0)
"""


# Reading the files -----------------------------------------------------------------------


class ImdbFileError(Exception):
    """A file that cannot be imported at all (missing, or not the expected IMDb file)."""


class BadRow(ValueError):
    """A row that cannot be imported: counted, and kept as an example."""


class SkipRow(Exception):
    """A good row the import leaves out (another category): counted by reason."""


@dataclass
class FileStats:
    name: str
    read: int = 0
    kept: int = 0
    bad: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def bad_row(self, line_number: int, reason: str, line: str) -> None:
        self.bad += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"line {line_number}: {reason}: {line[:120]!r}")


class Reporter(Protocol):
    """What the import tells whoever runs it (the command writes it out)."""

    def progress(self, stats: FileStats, started: float) -> None: ...

    def file_done(self, stats: FileStats, elapsed: float) -> None: ...

    def say(self, message: str) -> None: ...


def _open(path: Path):
    if not path.exists():
        raise ImdbFileError(f"No such file: {path}")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return path.open(encoding="utf-8", errors="replace", newline="")


def read_rows(
    path: Path, columns: list[str], stats: FileStats
) -> Iterator[tuple[int, list[str], str]]:
    """(line number, fields, raw line) for each data row; checks the header first."""
    with _open(path) as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if header != columns:
            raise ImdbFileError(
                f"{path.name}: unexpected header {header!r}; expected {columns!r}. "
                "Is this the right IMDb file?"
            )
        for line_number, line in enumerate(handle, start=2):
            line = line.rstrip("\r\n")
            if not line:
                continue
            stats.read += 1
            fields = line.split("\t")
            if len(fields) != len(columns):
                stats.bad_row(line_number, f"{len(fields)} columns, expected {len(columns)}", line)
                continue
            yield line_number, fields, line


def _int_or_none(value: str, low: int, high: int, what: str) -> int | None:
    if value == NULL or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRow(f"{what} {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise BadRow(f"{what} {number} is outside {low}..{high}")
    return number


def _text(value: str) -> str:
    return "" if value == NULL else value


def parse_basics(fields: list[str]) -> tuple:
    """One title.basics row as the staged title (first nine values) and its genre names."""
    tconst, title_type, primary, original, adult, start_year, _end, runtime, genres = fields
    if not TCONST.match(tconst):
        raise BadRow(f"tconst {tconst!r} is not an IMDb title id")
    name = _text(primary).strip()
    if not name:
        raise BadRow("no primaryTitle")
    original = _text(original).strip()
    if original == name:
        original = ""
    year = _int_or_none(start_year, 1850, 2100, "startYear")
    minutes = _int_or_none(runtime, 0, 32767, "runtimeMinutes")
    if adult not in ("0", "1", NULL):
        raise BadRow(f"isAdult {adult!r} is not 0 or 1")
    genre_names = [] if genres in (NULL, "") else [g.strip()[:60] for g in genres.split(",")]
    normalised = search_text(name[:300], original[:300])
    # The slug from the normalised name: like slugify(), without a second Unicode pass.
    name_words = normalise_name(name[:300]).split()[:20]
    slug = "-".join([*name_words, str(year)] if year else name_words)[:120].strip("-")
    return (
        tconst,
        KINDS[title_type],
        name[:300],
        original[:300],
        year,
        minutes,
        slug or "title",
        normalised,
        name_trigrams(normalised),
        [g for g in genre_names if g],
    )


def parse_crew(fields: list[str]) -> list[tuple]:
    """The staged credits (tconst, nconst, role, order, character) of a title.crew row."""
    tconst, directors, writers = fields
    people = []
    for role, column in (("director", directors), ("writer", writers)):
        if column == NULL:
            continue
        for order, nconst in enumerate(column.split(","), start=1):
            people.append((tconst, nconst, role, min(order, 32767), ""))
    if any(not NCONST.match(person[1]) for person in people):
        raise BadRow("a person id is not an IMDb name id")
    return people


def parse_principal(fields: list[str]) -> list[tuple]:
    """The staged credit of a title.principals row (a list of one)."""
    tconst, ordering, nconst, category, _job, characters = fields
    if category in CAST_CATEGORIES:
        role = "cast"
    elif category in ("director", "writer"):
        role = category
    else:
        raise SkipRow(f"category {category}")
    if not NCONST.match(nconst):
        raise BadRow(f"nconst {nconst!r} is not an IMDb name id")
    order = _int_or_none(ordering, 0, 32767, "ordering") or 0
    character = ""
    if characters != NULL:
        parsed = json.loads(characters)
        if not isinstance(parsed, list):
            raise BadRow("characters is not a JSON list")
        character = ", ".join(str(item) for item in parsed)[:300]
    return [(tconst, nconst, role, order, character)]


# The import ------------------------------------------------------------------------------


class ImdbImport:
    """One run of the import: titles from title.basics, then optionally credits (crew,
    principals) and the people they name."""

    def __init__(self, reporter: Reporter, batch_size: int = 5000, progress_every: int = 100_000):
        self.reporter = reporter
        self.batch_size = batch_size
        self.progress_every = max(1, progress_every)
        self.genre_ids: dict[str, int] = dict(Genre.objects.values_list("name", "id"))
        with connection.cursor() as cursor:
            cursor.execute(CREATE_STAGING_SQL)

    # Titles -------------------------------------------------------------------------------

    def import_basics(self, path: Path, include_adult: bool) -> set[str]:
        """Import the titles of a title.basics file; returns the IMDb ids kept."""
        stats = FileStats(path.name)
        counts = Counter()
        imported: set[str] = set()
        batch: dict[str, tuple] = {}
        started = time.perf_counter()
        for line_number, fields, line in read_rows(path, BASICS_COLUMNS, stats):
            if stats.read % self.progress_every == 0:
                self.reporter.progress(stats, started)
            if fields[1] not in KINDS:
                stats.skipped[f"titleType {fields[1]}"] += 1
                continue
            if fields[4] == "1" and not include_adult:
                stats.skipped["adult"] += 1
                continue
            try:
                row = parse_basics(fields)
            except BadRow as exc:
                stats.bad_row(line_number, str(exc), line)
                continue
            stats.kept += 1
            batch[row[0]] = row  # a repeated id in one batch: the last row wins
            imported.add(row[0])
            if len(batch) >= self.batch_size:
                counts.update(self._flush_titles(list(batch.values())))
                batch.clear()
        if batch:
            counts.update(self._flush_titles(list(batch.values())))
        self.reporter.file_done(stats, max(time.perf_counter() - started, 1e-9))
        self.reporter.say(
            f"  titles: {counts['inserted']:,} new, {counts['updated']:,} changed, "
            f"{stats.kept - counts['inserted'] - counts['updated']:,} unchanged; "
            f"genre links: {counts['genres_added']:,} added, {counts['genres_removed']:,} removed"
        )
        return imported

    def _ensure_genres(self, rows: list[tuple]) -> None:
        missing = {name for row in rows for name in row[9]} - self.genre_ids.keys()
        if not missing:
            return
        Genre.objects.bulk_create(
            [Genre(name=name, slug=slugify(name)[:60] or f"genre-{name}") for name in missing],
            ignore_conflicts=True,
        )
        self.genre_ids = dict(Genre.objects.values_list("name", "id"))

    @transaction.atomic
    def _flush_titles(self, rows: list[tuple]) -> Counter:
        self._ensure_genres(rows)
        counts = Counter()
        with connection.cursor() as cursor:
            cursor.execute(TRUNCATE_STAGED_TITLES_SQL)
            with cursor.cursor.copy(COPY_TITLES_SQL) as copy:
                for row in rows:
                    copy.write_row(row[:9])
            cursor.execute(UPSERT_TITLES_SQL)
            title_ids: dict[str, int] = {}
            for imdb_id, title_id, inserted in cursor.fetchall():
                title_ids[imdb_id] = title_id
                counts["inserted" if inserted else "updated"] += 1
            unchanged = [row[0] for row in rows if row[0] not in title_ids]
            if unchanged:
                cursor.execute(TITLE_IDS_SQL, [unchanged])
                title_ids.update(cursor.fetchall())
            counts.update(self._sync_genres(cursor, rows, title_ids))
        return counts

    def _sync_genres(self, cursor, rows: list[tuple], title_ids: dict[str, int]) -> Counter:
        """Make each title's genres exactly those of its row (index lookups only)."""
        wanted = {(title_ids[row[0]], self.genre_ids[name]) for row in rows for name in row[9]}
        cursor.execute(TITLE_GENRES_SQL, [list(title_ids.values())])
        existing = set(cursor.fetchall())
        stale, missing = existing - wanted, wanted - existing
        if stale:
            cursor.execute(
                DELETE_TITLE_GENRES_SQL, [[pair[0] for pair in stale], [pair[1] for pair in stale]]
            )
        if missing:
            cursor.execute(
                INSERT_TITLE_GENRES_SQL,
                [[pair[0] for pair in missing], [pair[1] for pair in missing]],
            )
        return Counter(genres_removed=len(stale), genres_added=len(missing))

    # People and credits -------------------------------------------------------------------

    def import_credits(self, imported_ids: set[str], principals, crew, names) -> None:
        """Stage the credits of the imported titles, import the people they name (when a
        names file is given), then merge the credits whose person exists."""
        needed_people: set[str] = set()
        if crew:
            self._stage_credits(crew, CREW_COLUMNS, parse_crew, imported_ids, needed_people)
        if principals:
            self._stage_credits(
                principals, PRINCIPALS_COLUMNS, parse_principal, imported_ids, needed_people
            )
        if names:
            self._import_people(names, needed_people)
        else:
            self.reporter.say("  no --names file: credits only for people already known")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(UPSERT_CREDITS_SQL)
            changed = cursor.rowcount
            cursor.execute(MISSING_PEOPLE_SQL)
            (missing,) = cursor.fetchone()
            cursor.execute(TRUNCATE_STAGED_CREDITS_SQL)
        self.reporter.say(f"  credits: {changed:,} new or changed")
        if missing:
            self.reporter.say(f"  credits skipped, person not in the database: {missing:,}")

    def _copy_credits(self, rows: list[tuple]) -> None:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(COPY_CREDITS_SQL) as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def _stage_credits(self, path: Path, columns: list[str], parse, imported_ids, needed) -> None:
        """COPY the credits of one file (crew or principals) into the staging table:
        ``parse(fields)`` gives a line's credits, or raises SkipRow or BadRow."""
        stats = FileStats(path.name)
        started = time.perf_counter()
        rows: list[tuple] = []
        for line_number, fields, line in read_rows(path, columns, stats):
            if fields[0] not in imported_ids:
                stats.skipped["title not imported"] += 1
                continue
            try:
                credits = parse(fields)
            except SkipRow as skip:
                stats.skipped[str(skip)] += 1
                continue
            except (BadRow, json.JSONDecodeError) as exc:
                stats.bad_row(line_number, str(exc), line)
                continue
            stats.kept += 1
            rows.extend(credits)
            needed.update(credit[1] for credit in credits)
            if len(rows) >= self.batch_size:
                self._copy_credits(rows)
                rows = []
            if stats.read % self.progress_every == 0:
                self.reporter.progress(stats, started)
        if rows:
            self._copy_credits(rows)
        self.reporter.file_done(stats, max(time.perf_counter() - started, 1e-9))

    def _import_people(self, path: Path, needed: set[str]) -> None:
        stats = FileStats(path.name)
        started = time.perf_counter()
        counts = Counter()
        batch: dict[str, tuple] = {}
        for line_number, fields, line in read_rows(path, NAMES_COLUMNS, stats):
            nconst, name, birth, death = fields[:4]
            if nconst not in needed:
                stats.skipped["not credited in an imported title"] += 1
                continue
            try:
                if not _text(name).strip():
                    raise BadRow("no primaryName")
                row = (
                    nconst,
                    name.strip()[:200],
                    _int_or_none(birth, 1, 2100, "birthYear"),
                    _int_or_none(death, 1, 2100, "deathYear"),
                )
            except BadRow as exc:
                stats.bad_row(line_number, str(exc), line)
                continue
            stats.kept += 1
            batch[nconst] = row
            if len(batch) >= self.batch_size:
                counts.update(self._flush_people(list(batch.values())))
                batch.clear()
            if stats.read % self.progress_every == 0:
                self.reporter.progress(stats, started)
        if batch:
            counts.update(self._flush_people(list(batch.values())))
        self.reporter.file_done(stats, max(time.perf_counter() - started, 1e-9))
        self.reporter.say(
            f"  people: {counts['inserted']:,} new, {counts['updated']:,} changed, "
            f"{stats.kept - counts['inserted'] - counts['updated']:,} unchanged"
        )

    @transaction.atomic
    def _flush_people(self, rows: list[tuple]) -> Counter:
        counts = Counter()
        with connection.cursor() as cursor:
            cursor.execute(TRUNCATE_STAGED_PEOPLE_SQL)
            with cursor.cursor.copy(COPY_PEOPLE_SQL) as copy:
                for row in rows:
                    search_name = search_text(row[1])[:200]
                    copy.write_row((*row, search_name, name_trigrams(search_name)))
            cursor.execute(UPSERT_PEOPLE_SQL)
            for (inserted,) in cursor.fetchall():
                counts["inserted" if inserted else "updated"] += 1
        return counts

"""Reading rating files people already have: Letterboxd, IMDb, Criticker, this site's
own export, Letterboxd list exports and plain CSV files.

Everything here is pure: bytes in, ParsedFile out (or ImportFileError with a message
fit to show the person who uploaded the file). Matching to catalog titles is done by
accounts.importers.matching.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.html import strip_tags

from core.spreadsheet import unescape_cell

LETTERBOXD = "letterboxd"
LETTERBOXD_DIARY = "letterboxd_diary"
LETTERBOXD_LIST = "letterboxd_list"
LETTERBOXD_WATCHLIST = "letterboxd_watchlist"
IMDB = "imdb"
IMDB_WATCHLIST = "imdb_watchlist"
CRITICKER = "criticker"
SITE = "site"
PLAIN = "plain"

FORMAT_LABELS = {
    LETTERBOXD: "Letterboxd ratings or reviews",
    LETTERBOXD_DIARY: "Letterboxd diary",
    LETTERBOXD_LIST: "Letterboxd list",
    LETTERBOXD_WATCHLIST: "Letterboxd watchlist",
    IMDB: "IMDb ratings",
    IMDB_WATCHLIST: "IMDb watchlist",
    CRITICKER: "Criticker export",
    SITE: "Movie Ratings export",
    PLAIN: "Plain CSV",
}

# The columns of this site's own export (accounts.selectors.EXPORT_HEADER uses these).
SITE_HEADER = ["Title", "Year", "IMDb ID", "Score", "Percentile", "Rated date", "Review"]
# Files that fill the watchlist: no scores; the date is when the title was added.
WATCHLIST_FORMATS = (LETTERBOXD_WATCHLIST, IMDB_WATCHLIST)

MAX_ROWS = 100_000
# ratings.services refuses longer reviews; a longer one is cut rather than the row lost.
MAX_REVIEW_CHARS = 10_000

_IMDB_ID = re.compile(r"\btt(\d{7,10})\b", re.ASCII)
_TIME_ONLY = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
# Numbers in files are scores and list positions: anything beyond these bounds is a
# typo or a probe ("1e50"), refused on its row before Decimal arithmetic can overflow.
MAX_NUMBER = Decimal(1000)
MAX_DECIMAL_PLACES = 6
MAX_POSITION = 1_000_000
# Rated dates: nothing was rated before films existed, nor after tomorrow (a day of
# slack for timezones).
EARLIEST_RATED = datetime(1870, 1, 1, tzinfo=UTC)
_DATE_FORMATS = (
    "%b %d %Y, %H:%M",
    "%b %d %Y %H:%M",
    "%b %d %Y",
    "%B %d %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%a %b %d %H:%M:%S %Y",
    "%Y/%m/%d",
)


class ImportFileError(Exception):
    """The whole file cannot be imported; str(error) says why and what to do."""


class DateOutOfRange(ValueError):
    """A rated date before 1870 or after tomorrow: the row is refused, not re-dated."""


@dataclass
class ParsedRow:
    line: int
    name: str
    year: int | None = None
    alt_name: str = ""
    imdb_id: str = ""
    raw_score: str = ""
    score: int | None = None
    rated_at: datetime | None = None
    review: str = ""
    position: int | None = None
    note: str = ""
    # A Letterboxd diary line: watched before (the date is rated_at's day).
    rewatch: bool = False
    error: str = ""
    warning: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["rated_at"] = self.rated_at.isoformat() if self.rated_at else None
        return data


@dataclass
class ParsedFile:
    format: str
    rows: list[ParsedRow]
    scale_label: str = "0-100"
    score_suffix: str = ""
    list_name: str = ""
    list_description: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS[self.format]


# Reading and decoding ---------------------------------------------------------------


def decode_upload(data: bytes, max_bytes: int) -> str:
    """The text of an uploaded file, or ImportFileError for empty, huge or binary data."""
    if len(data) > max_bytes:
        raise ImportFileError(
            f"The file is too large ({_megabytes(len(data))}); the limit is "
            f"{_megabytes(max_bytes)}. Split it into smaller files and import each."
        )
    if not data.strip():
        raise ImportFileError("The file is empty: choose the CSV file your export produced.")
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "This is a ZIP archive. Unzip it first and upload the CSV inside "
            "(for Letterboxd: ratings.csv, reviews.csv or diary.csv)."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (unreadable byte at position {exc.start}). "
            "Save it as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file looks binary, not like a CSV text file.")
    return text


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) for each non-blank CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=False)
    records: list[tuple[int, list[str]]] = []
    try:
        line = reader.line_num + 1
        for fields in reader:
            if any(value.strip() for value in fields):
                records.append((line, fields))
                if len(records) > MAX_ROWS + 10:
                    raise ImportFileError(
                        f"The file has more than {MAX_ROWS:,} rows: split it and import each part."
                    )
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num} could not be read as CSV: {exc}.") from None
    return records


def _first_record(text: str) -> list[str]:
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=False)
    try:
        for fields in reader:
            if any(value.strip() for value in fields):
                return [value.strip() for value in fields]
    except csv.Error as exc:
        raise ImportFileError(f"The first line could not be read as CSV: {exc}.") from None
    raise ImportFileError("The file has no header line.")


# Detection --------------------------------------------------------------------------


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.casefold()).strip()


_PLAIN_COLUMNS = {
    "name": ("title", "name", "film", "movie", "film name", "movie title"),
    "year": ("year", "release year"),
    "score": ("score", "rating", "your rating", "my rating", "stars"),
    "date": ("date", "rated", "rated at", "rated date", "date rated", "watched date", "watched"),
    "review": ("review", "comment", "comments", "notes", "note"),
    "imdb": ("imdb", "imdb id", "imdb_id", "const", "tconst"),
}


def _plain_columns(header: list[str]) -> dict[str, int]:
    keys = [_key(h) for h in header]
    found: dict[str, int] = {}
    for column, aliases in _PLAIN_COLUMNS.items():
        for alias in aliases:
            if _key(alias) in keys:
                found[column] = keys.index(_key(alias))
                break
    return found


def detect_format(text: str, filename: str = "") -> str:
    """The format of a file from its first lines (and, for Letterboxd's files without
    ratings, its name), or ImportFileError naming its columns."""
    first_line = text.lstrip().split("\n", 1)[0].strip()
    if re.match(r"^\"?Letterboxd list export v\d+", first_line):
        return LETTERBOXD_LIST
    header = _first_record(text)
    keys = {_key(h) for h in header}
    if {"const", "your rating"} <= keys:
        return IMDB
    if {"const", "created"} <= keys:
        return IMDB_WATCHLIST
    if "letterboxd uri" in keys:
        if "rating" not in keys:
            if "watched" in filename.casefold():
                raise ImportFileError(
                    "Letterboxd's watched.csv has no ratings. Upload ratings.csv, "
                    "reviews.csv or diary.csv, or watchlist.csv for your watchlist."
                )
            return LETTERBOXD_WATCHLIST
        return LETTERBOXD_DIARY if "rewatch" in keys and "review" not in keys else LETTERBOXD
    if {"score", "film name"} <= keys:
        return CRITICKER
    if [_key(h) for h in header] == [_key(h) for h in SITE_HEADER]:
        return SITE
    columns = _plain_columns(header)
    if "name" in columns and "score" in columns:
        return PLAIN
    shown = ", ".join(header[:8]) + (", …" if len(header) > 8 else "")
    raise ImportFileError(
        f"The columns of this file ({shown}) do not match a supported format. "
        "Supported: Letterboxd, IMDb ratings, Criticker, Letterboxd lists, this site's "
        "export, or a plain CSV with title and score columns."
    )


# Field parsers ----------------------------------------------------------------------


def _decimal(text: str) -> Decimal:
    """A number as written in a file, within ±MAX_NUMBER and MAX_DECIMAL_PLACES places;
    ValueError (a message for the row) for anything else."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"“{text}” is not a number") from None
    if not value.is_finite():
        raise ValueError(f"“{text}” is not a number")
    if abs(value) > MAX_NUMBER or value.as_tuple().exponent < -MAX_DECIMAL_PLACES:
        raise ValueError(f"“{text}” is not a score")
    return value


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def parse_year(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text, re.ASCII) or not 1870 <= int(text) <= 2100:
        raise ValueError(f"“{text}” is not a year")
    return int(text)


def parse_imdb_id(*texts: str) -> str:
    """tt1234567 from an id, a bare number or an IMDb URL; "" when there is none."""
    for text in texts:
        text = (text or "").strip()
        if not text:
            continue
        found = _IMDB_ID.search(text)
        if found:
            return f"tt{found.group(1)}"
        if re.fullmatch(r"\d{1,10}", text, re.ASCII) and int(text) > 0:
            return f"tt{int(text):07d}"
    return ""


def parse_datetime(text: str) -> datetime | None:
    """A rated date in any of the forms exports use; naive values are read as UTC.

    A date without a time is taken at noon so it shows as the same day in any timezone
    a few hours either side of UTC.
    """
    text = (text or "").strip()
    if not text:
        return None
    value: datetime | None = None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if len(text) <= 10:
            value = datetime.combine(value.date(), time(12, 0))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if "%H" not in fmt:
                value = value.replace(hour=12)
            break
    if value is None:
        raise ValueError(f"date “{text}” not recognised (use YYYY-MM-DD)")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Compared as instants (no conversion, so 9999-12-31T23:59:59-05:00 cannot overflow
    # here); a date refused here would overflow when written as UTC.
    if not EARLIEST_RATED <= value <= timezone.now() + timedelta(days=1):
        raise DateOutOfRange(f"date “{text}” is outside 1870 to tomorrow")
    return value


def parse_position(text: str) -> int | None:
    """A list position: ASCII digits up to MAX_POSITION, else None (the file's order)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdecimal() or len(text) > 7:
        return None
    position = int(text)
    return position if 0 < position <= MAX_POSITION else None


def score_on_scale(text: str, scale: str) -> int:
    """A score written on a scale ("100", "10" or "5") mapped linearly to 0-100."""
    value = _decimal(text)
    top = {"100": 100, "10": 10, "5": 5}[scale]
    if not 0 <= value <= top:
        raise ValueError(f"score “{text}” is outside 0-{top}")
    return _half_up(value * 100 / top)


def _letterboxd_score(text: str) -> int:
    value = _decimal(text)
    if not Decimal("0.5") <= value <= 5 or (value * 2) % 1:
        raise ValueError(f"rating “{text}” is not 0.5-5 in half stars")
    return int(value * 20)


def _imdb_score(text: str) -> int:
    value = _decimal(text)
    if value % 1 or not 1 <= value <= 10:
        raise ValueError(f"rating “{text}” is not a whole number from 1 to 10")
    return int(value) * 10


def _hundred_score(text: str) -> int:
    value = _decimal(text)
    if not 0 <= value <= 100:
        raise ValueError(f"score “{text}” is outside 0-100")
    return _half_up(value)


# Row building -----------------------------------------------------------------------


def _get(fields: list[str], index: int | None) -> str:
    if index is None or index >= len(fields):
        return ""
    return fields[index].strip()


def _row(
    line: int,
    *,
    name: str,
    year: str = "",
    alt_name: str = "",
    imdb_id: str = "",
    score_text: str = "",
    score_parser=None,
    date_text: str = "",
    review: str = "",
) -> ParsedRow:
    row = ParsedRow(line=line, name=name.strip(), alt_name=alt_name.strip(), imdb_id=imdb_id)
    row.raw_score = score_text.strip()
    row.review = review.strip()[:MAX_REVIEW_CHARS]
    problems: list[str] = []
    if not row.name and not row.imdb_id:
        problems.append("no title")
    try:
        row.year = parse_year(year)
    except ValueError as exc:
        problems.append(str(exc))
    if score_parser is not None:
        if not row.raw_score:
            problems.append("no score")
        else:
            try:
                row.score = score_parser(row.raw_score)
            except ValueError as exc:
                problems.append(str(exc))
    try:
        row.rated_at = parse_datetime(date_text)
    except DateOutOfRange as exc:
        problems.append(str(exc))
    except ValueError as exc:
        row.warning = f"{exc}; the import date is used"
    if problems:
        message = "; ".join(problems)
        # Upper-case the first letter only: the values quoted stay as written.
        row.error = message[:1].upper() + message[1:]
    return row


def _header_index(header: list[str]) -> dict[str, int]:
    return {_key(h): i for i, h in enumerate(header)}


def _parse_letterboxd(records, diary: bool = False) -> list[ParsedRow]:
    """Ratings, reviews or diary lines. A diary keeps every line (a viewing each, with
    its rewatch mark); a diary line without a rating is a viewing only."""
    header, body = records[0][1], records[1:]
    col = _header_index(header)
    rows = []
    for line, fields in body:
        date = _get(fields, col.get("watched date")) or _get(fields, col.get("date"))
        score_text = _get(fields, col.get("rating"))
        row = _row(
            line,
            name=_get(fields, col.get("name")),
            year=_get(fields, col.get("year")),
            score_text=score_text,
            score_parser=_letterboxd_score if score_text or not diary else None,
            date_text=date,
            # Letterboxd writes reviews with a little HTML (<i>, <b>, <br />).
            review=strip_tags(_get(fields, col.get("review")).replace("<br />", "\n")),
        )
        row.rewatch = diary and _get(fields, col.get("rewatch")).casefold() == "yes"
        rows.append(row)
    return rows


def _parse_letterboxd_watchlist(records) -> list[ParsedRow]:
    col = _header_index(records[0][1])
    return [
        _row(
            line,
            name=_get(fields, col.get("name")),
            year=_get(fields, col.get("year")),
            date_text=_get(fields, col.get("date")),
        )
        for line, fields in records[1:]
    ]


def _parse_imdb_watchlist(records) -> list[ParsedRow]:
    col = _header_index(records[0][1])
    rows = []
    for line, fields in records[1:]:
        name = _get(fields, col.get("title"))
        original = _get(fields, col.get("original title"))
        rows.append(
            _row(
                line,
                name=name,
                alt_name=original if original != name else "",
                year=_get(fields, col.get("year")),
                imdb_id=parse_imdb_id(_get(fields, col.get("const")), _get(fields, col.get("url"))),
                date_text=_get(fields, col.get("created")),
            )
        )
    return rows


def _parse_imdb(records) -> list[ParsedRow]:
    header, body = records[0][1], records[1:]
    col = _header_index(header)
    rows = []
    for line, fields in body:
        name = _get(fields, col.get("title"))
        original = _get(fields, col.get("original title"))
        rows.append(
            _row(
                line,
                name=name,
                alt_name=original if original != name else "",
                year=_get(fields, col.get("year")),
                imdb_id=parse_imdb_id(_get(fields, col.get("const")), _get(fields, col.get("url"))),
                score_text=_get(fields, col.get("your rating")),
                score_parser=_imdb_score,
                date_text=_get(fields, col.get("date rated")),
            )
        )
    return rows


def _parse_criticker(records) -> list[ParsedRow]:
    header, body = records[0][1], records[1:]
    col = _header_index(header)
    date_at = col.get("date rated")
    review_at = col.get("mini review")
    rows = []
    for line, fields in body:
        fields = list(fields)
        # Criticker writes dates as "Jun 21 2014, 22:06"; an unquoted one splits in two.
        if (
            len(fields) > len(header)
            and date_at is not None
            and _TIME_ONLY.fullmatch(_get(fields, date_at + 1))
        ):
            fields[date_at : date_at + 2] = [f"{fields[date_at]}, {fields[date_at + 1]}"]
        # Commas in an unquoted mini review: the review takes every extra field.
        if len(fields) > len(header) and review_at is not None:
            extra = len(fields) - len(header)
            fields[review_at : review_at + extra + 1] = [
                ", ".join(fields[review_at : review_at + extra + 1])
            ]
        rows.append(
            _row(
                line,
                name=_get(fields, col.get("film name")),
                year=_get(fields, col.get("year")),
                imdb_id=parse_imdb_id(_get(fields, col.get("imdb id"))),
                score_text=_get(fields, col.get("score")),
                score_parser=_hundred_score,
                date_text=_get(fields, date_at),
                review=_get(fields, review_at),
            )
        )
    return rows


def _parse_site(records) -> list[ParsedRow]:
    rows = []
    for line, raw_fields in records[1:]:
        # This site's export escapes formula-like cells (core.spreadsheet): undo it.
        fields = [unescape_cell(value.strip()) for value in raw_fields]
        rows.append(
            _row(
                line,
                name=_get(fields, 0),
                year=_get(fields, 1),
                imdb_id=parse_imdb_id(_get(fields, 2)),
                score_text=_get(fields, 3),
                score_parser=_hundred_score,
                date_text=_get(fields, 5),
                review=_get(fields, 6),
            )
        )
    return rows


def _parse_plain(records, scale: str) -> list[ParsedRow]:
    col = _plain_columns([h.strip() for h in records[0][1]])
    rows = []
    for line, fields in records[1:]:
        rows.append(
            _row(
                line,
                name=_get(fields, col.get("name")),
                year=_get(fields, col.get("year")),
                imdb_id=parse_imdb_id(_get(fields, col.get("imdb"))),
                score_text=_get(fields, col.get("score")),
                score_parser=lambda text: score_on_scale(text, scale),
                date_text=_get(fields, col.get("date")),
                review=_get(fields, col.get("review")),
            )
        )
    return rows


def _parse_letterboxd_list(text: str) -> ParsedFile:
    records = _csv_rows(text)
    list_name = list_description = ""
    items_header_at = None
    for index, (_line, fields) in enumerate(records):
        keys = [_key(f) for f in fields]
        if keys[:2] == ["date", "name"] and index + 1 < len(records):
            meta = dict(zip(keys, records[index + 1][1], strict=False))
            list_name = (meta.get("name") or "").strip()
            list_description = (meta.get("description") or "").strip()
        if keys[:2] == ["position", "name"]:
            items_header_at = index
            break
    if items_header_at is None:
        raise ImportFileError(
            "This Letterboxd list export has no “Position,Name,Year,URL,Description” "
            "section, so it lists no films."
        )
    col = _header_index(records[items_header_at][1])
    rows = []
    for line, fields in records[items_header_at + 1 :]:
        row = _row(line, name=_get(fields, col.get("name")), year=_get(fields, col.get("year")))
        row.note = strip_tags(_get(fields, col.get("description")))[:300]
        row.position = parse_position(_get(fields, col.get("position")))
        rows.append(row)
    return ParsedFile(
        format=LETTERBOXD_LIST,
        rows=rows,
        scale_label="",
        list_name=list_name[:120] or "Imported Letterboxd list",
        list_description=list_description[:2000],
    )


SCALE_SUFFIX = {"100": "", "10": "/10", "5": "★"}
SCALE_LABELS = {"100": "0-100", "10": "0-10", "5": "0-5 stars"}


def parse_text(text: str, plain_scale: str = "100", filename: str = "") -> ParsedFile:
    """Detect the format of a decoded file and parse every row."""
    fmt = detect_format(text, filename)
    if fmt == LETTERBOXD_LIST:
        parsed = _parse_letterboxd_list(text)
    else:
        records = _csv_rows(text)
        if fmt in (LETTERBOXD, LETTERBOXD_DIARY):
            diary = fmt == LETTERBOXD_DIARY
            parsed = ParsedFile(fmt, _parse_letterboxd(records, diary), "0.5-5 stars", "★")
        elif fmt == LETTERBOXD_WATCHLIST:
            parsed = ParsedFile(fmt, _parse_letterboxd_watchlist(records), "")
        elif fmt == IMDB_WATCHLIST:
            parsed = ParsedFile(fmt, _parse_imdb_watchlist(records), "")
        elif fmt == IMDB:
            parsed = ParsedFile(fmt, _parse_imdb(records), "1-10", "/10")
        elif fmt == CRITICKER:
            parsed = ParsedFile(fmt, _parse_criticker(records), "0-100", "")
        elif fmt == SITE:
            parsed = ParsedFile(fmt, _parse_site(records), "0-100", "")
        else:
            parsed = ParsedFile(
                fmt,
                _parse_plain(records, plain_scale),
                SCALE_LABELS[plain_scale],
                SCALE_SUFFIX[plain_scale],
            )
    if not parsed.rows:
        raise ImportFileError("The file has a header but no rows: there is nothing to import.")
    if len(parsed.rows) > MAX_ROWS:
        raise ImportFileError(
            f"The file has more than {MAX_ROWS:,} rows: split it and import each part."
        )
    return parsed


def parse_upload(
    data: bytes, max_bytes: int, plain_scale: str = "100", filename: str = ""
) -> ParsedFile:
    """Parse uploaded bytes; ImportFileError says what is wrong with the file."""
    return parse_text(decode_upload(data, max_bytes), plain_scale, filename)

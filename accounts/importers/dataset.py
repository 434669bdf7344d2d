"""Loading a public ratings dataset (MovieLens-like) for benchmarks and evaluation.

    ratings CSV: user,item,score,timestamp   (timestamp: Unix seconds or ISO date, optional)
    items CSV:   id,title,year[,imdb_id]

Items match existing titles by IMDb id, else by normalised title and year (the same rules
as file imports); the rest are created in bulk. Dataset users become members named
``<prefix><user>`` with unusable passwords. Scores are rescaled linearly from the
dataset's range (read from the data, or given) to 0-100, and every member's ratings are
written with one ratings.services.rate_many call: one percentile recompute per user.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify

from accounts.importers.matching import AMBIGUOUS, MATCHED, match_rows
from accounts.importers.parsing import ParsedRow, parse_datetime, parse_imdb_id
from accounts.models import User
from catalog.models import Title
from ratings.services import RatingInput, rate_many

RATINGS_COLUMNS = ("user", "item", "score")
ITEMS_COLUMNS = ("id", "title")
BATCH = 5_000
_YEAR_IN_TITLE = re.compile(r"^(?P<name>.*\S)\s*\((?P<year>\d{4})(?:[-–]\d{0,4})?\)\s*$")


class DatasetError(Exception):
    """The dataset cannot be loaded; the message says why."""


@dataclass
class DatasetReport:
    rows: int = 0
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    users_created: int = 0
    users_existing: int = 0
    titles_matched: int = 0
    titles_created: int = 0
    ratings_written: int = 0
    scale: tuple[Decimal, Decimal] = (Decimal(0), Decimal(100))

    def skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        if len(self.skipped_examples) < 5:
            self.skipped_examples.append(f"line {line}: {reason}")


def parse_scale(text: str) -> tuple[Decimal, Decimal]:
    """ "0.5-5" -> (0.5, 5); DatasetError unless MIN-MAX with MIN < MAX."""
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*", text or "")
    if not match:
        raise DatasetError(f"--scale must look like MIN-MAX (for example 0.5-5), not {text!r}.")
    low, high = Decimal(match.group(1)), Decimal(match.group(2))
    if low >= high:
        raise DatasetError(f"--scale: the minimum must be below the maximum ({text}).")
    return low, high


def _reader(path: Path, required: tuple[str, ...]) -> tuple[csv.DictReader, object]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DatasetError(f"Cannot open {path}: {exc.strerror}.") from None
    reader = csv.DictReader(handle)
    try:
        header = [h.strip().lower() for h in reader.fieldnames or []]
    except UnicodeDecodeError:
        handle.close()
        raise DatasetError(f"{path} is not UTF-8 text.") from None
    missing = [column for column in required if column not in header]
    if missing:
        handle.close()
        raise DatasetError(
            f"{path.name} needs the columns {', '.join(required)}; "
            f"missing {', '.join(missing)} (found: {', '.join(header) or 'nothing'})."
        )
    reader.fieldnames = header
    return reader, handle


def read_items(path: Path) -> dict[str, ParsedRow]:
    """item id -> the item as a ParsedRow (name, year, imdb_id) for matching."""
    reader, handle = _reader(path, ITEMS_COLUMNS)
    items: dict[str, ParsedRow] = {}
    with handle:
        try:
            for line, record in enumerate(reader, start=2):
                item_id = (record.get("id") or "").strip()
                name = (record.get("title") or "").strip()
                if not item_id or not name:
                    continue
                year_text = (record.get("year") or "").strip()
                found = _YEAR_IN_TITLE.match(name)
                if found and not year_text:
                    # MovieLens writes "Toy Story (1995)" with no year column.
                    name, year_text = found["name"], found["year"]
                year = (
                    int(year_text)
                    if year_text.isascii()
                    and year_text.isdecimal()
                    and 1870 <= int(year_text) <= 2100
                    else None
                )
                items[item_id] = ParsedRow(
                    line=line,
                    name=name[:300],
                    year=year,
                    imdb_id=parse_imdb_id(record.get("imdb_id") or ""),
                )
        except UnicodeDecodeError:
            raise DatasetError(f"{path} is not UTF-8 text.") from None
    if not items:
        raise DatasetError(f"{path.name} has no items.")
    return items


def _timestamp(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdecimal():
        try:
            return datetime.fromtimestamp(int(text), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def read_ratings(path: Path, items: dict[str, ParsedRow], report: DatasetReport):
    """user -> [(item id, raw score, rated_at)] plus the lowest and highest score seen."""
    reader, handle = _reader(path, RATINGS_COLUMNS)
    by_user: dict[str, list[tuple[str, Decimal, datetime | None]]] = defaultdict(list)
    low = high = None
    with handle:
        try:
            for line, record in enumerate(reader, start=2):
                report.rows += 1
                user = (record.get("user") or "").strip()
                item = (record.get("item") or "").strip()
                if not user or not item:
                    report.skip(line, "no user or item")
                    continue
                if item not in items:
                    report.skip(line, f"item {item} is not in the items file")
                    continue
                try:
                    score = Decimal((record.get("score") or "").strip())
                    if not score.is_finite():
                        raise ArithmeticError
                except ArithmeticError:
                    report.skip(line, f"score {record.get('score')!r} is not a number")
                    continue
                low = score if low is None or score < low else low
                high = score if high is None or score > high else high
                by_user[user].append((item, score, _timestamp(record.get("timestamp") or "")))
        except UnicodeDecodeError:
            raise DatasetError(f"{path} is not UTF-8 text.") from None
        except csv.Error as exc:
            raise DatasetError(f"{path.name} line {reader.line_num}: {exc}") from None
    return by_user, low, high


def _rescale(score: Decimal, low: Decimal, high: Decimal) -> int | None:
    if score < low or score > high:
        return None
    value = (score - low) * 100 / (high - low)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _resolve_titles(items: dict[str, ParsedRow], needed: set[str], report) -> dict[str, int]:
    """item id -> title id, matching existing titles and creating the others in bulk."""
    ids = sorted(needed)
    rows = [items[item] for item in ids]
    matches = match_rows(rows)
    title_of: dict[str, int] = {}
    to_create: list[tuple[str, Title]] = []
    claimed_imdb = set(
        Title.objects.filter(imdb_id__in=[r.imdb_id for r in rows if r.imdb_id]).values_list(
            "imdb_id", flat=True
        )
    )
    for item, row, match in zip(ids, rows, matches, strict=True):
        if match["status"] == MATCHED:
            title_of[item] = match["title_id"]
        elif match["status"] == AMBIGUOUS:
            title_of[item] = match["candidates"][0][0]
        else:
            imdb_id = row.imdb_id if row.imdb_id and row.imdb_id not in claimed_imdb else None
            if imdb_id:
                claimed_imdb.add(imdb_id)
            title = Title(
                name=row.name,
                year=row.year,
                imdb_id=imdb_id,
                slug=slugify(f"{row.name} {row.year or ''}")[:120] or "title",
            )
            title.refresh_search_fields()
            to_create.append((item, title))
    report.titles_matched = len(title_of)
    for start in range(0, len(to_create), BATCH):
        chunk = to_create[start : start + BATCH]
        created = Title.objects.bulk_create([title for _item, title in chunk])
        for (item, _title), title in zip(chunk, created, strict=True):
            title_of[item] = title.pk
    report.titles_created = len(to_create)
    return title_of


def _resolve_users(names: list[str], prefix: str, report) -> dict[str, User]:
    usernames = {name: f"{prefix}{name}"[:150] for name in names}
    existing = {u.username: u for u in User.objects.filter(username__in=usernames.values())}
    unusable = make_password(None)
    new = [
        User(username=username, password=unusable)
        for username in usernames.values()
        if username not in existing
    ]
    for start in range(0, len(new), BATCH):
        User.objects.bulk_create(new[start : start + BATCH])
    report.users_existing = len(existing)
    report.users_created = len(new)
    found = {u.username: u for u in User.objects.filter(username__in=usernames.values())}
    return {name: found[username] for name, username in usernames.items()}


def load_dataset(
    ratings_path: Path,
    items_path: Path,
    scale: tuple[Decimal, Decimal] | None = None,
    user_prefix: str = "dataset-",
    progress: Callable[[int, int], None] | None = None,
) -> DatasetReport:
    """Load the files; see the module docstring. Raises DatasetError for unusable files."""
    report = DatasetReport()
    items = read_items(Path(items_path))
    by_user, low, high = read_ratings(Path(ratings_path), items, report)
    if not by_user:
        raise DatasetError(f"{Path(ratings_path).name} has no usable ratings.")
    if scale is None:
        if low == high:
            raise DatasetError(
                f"Every score is {low}, so the scale cannot be read from the data: "
                "give it with --scale MIN-MAX."
            )
        scale = (low, high)
    report.scale = scale
    needed = {item for entries in by_user.values() for item, _s, _t in entries}
    with transaction.atomic():
        title_of = _resolve_titles(items, needed, report)
        users = _resolve_users(sorted(by_user), user_prefix, report)
    total = len(by_user)
    for done, (name, entries) in enumerate(sorted(by_user.items()), start=1):
        inputs = []
        for item, raw, rated_at in entries:
            score = _rescale(raw, *scale)
            if score is None:
                report.skip(0, f"score {raw} of user {name} is outside {scale[0]}-{scale[1]}")
                continue
            inputs.append(RatingInput(title_of[item], score, "", rated_at))
        if inputs:
            report.ratings_written += rate_many(users[name], inputs)
        if progress:
            progress(done, total)
    return report

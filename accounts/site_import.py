"""Reading this site's full export (accounts.export) back into an account, on this or
another instance: ratings (through the percentile service), the diary, the watchlist,
collections with their positions and notes, and the profile settings.

Read in the request (each file at most MAX_ROWS lines, as any import). Titles are
found by IMDb id, else by exact name and year (ignoring case); lines whose
title this instance does not have, and lines that cannot be read, are counted and
named in the result, the rest is written. Imports count toward the hourly limits like
every import (reviews, collections). A file over MAX_IMPORT_BYTES, one that is not a
ZIP, or a ZIP that is not this site's export is refused with a message
(importers.ImportFileError) before anything is written.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.dateparse import parse_date, parse_datetime

from accounts import export
from accounts.importers import ImportFileError
from accounts.importers.parsing import MAX_ROWS
from accounts.models import RatingScale, User
from accounts.services import profile_update
from catalog.models import Title
from collections_app.services import collection_add_title, collection_create
from core.parsing import parse_int
from core.spreadsheet import unescape_cell
from library.services import ViewingInput, viewings_create_many, watchlist_add_many
from ratings.services import RatingInput, rate_many_within_limits

ZIP_MAGIC = b"PK\x03\x04"
# Unpacked, the files may be larger than the ZIP (text compresses about 5 to 10 times);
# anything beyond this is refused rather than read (a "ZIP bomb").
MAX_UNPACKED_FACTOR = 12
PROBLEMS_SHOWN = 50


def is_zip(data: bytes) -> bool:
    return data[:4] == ZIP_MAGIC


@dataclass
class SiteImportResult:
    ratings: int = 0
    reviews_skipped: int = 0
    viewings: int = 0
    watchlist: int = 0
    collections: int = 0
    collection_items: int = 0
    collections_skipped: list[str] = field(default_factory=list)
    not_found: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, message: str) -> None:
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(message)

    @property
    def summary(self) -> str:
        parts = [
            f"{self.ratings} rating{'s' if self.ratings != 1 else ''}",
            f"{self.viewings} viewing{'s' if self.viewings != 1 else ''}",
            f"{self.watchlist} watchlist title{'s' if self.watchlist != 1 else ''}",
            f"{self.collections} collection{'s' if self.collections != 1 else ''} "
            f"({self.collection_items} titles)",
        ]
        text = "Imported " + ", ".join(parts) + ", and your profile settings."
        if self.reviews_skipped:
            text += (
                f" {self.reviews_skipped} review(s) left out: the hourly review limit was "
                "reached (the scores are saved)."
            )
        if self.collections_skipped:
            text += (
                f" {len(self.collections_skipped)} collection(s) not created: the hourly "
                "collection limit was reached; import the file again later for those."
            )
        if self.not_found:
            text += f" {self.not_found} line(s) name titles this site does not have."
        return text


def _read_members(data: bytes) -> dict[str, bytes]:
    if len(data) > settings.MAX_IMPORT_BYTES:
        raise ImportFileError(
            f"The file is too large; the limit is {settings.MAX_IMPORT_BYTES // 1048576} MB."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = {info.filename: info for info in archive.infolist()}
        if "profile.json" not in infos:
            raise ImportFileError(
                "This ZIP is not an export of this site (it has no profile.json)."
            )
        limit = settings.MAX_IMPORT_BYTES * MAX_UNPACKED_FACTOR
        wanted = ("ratings.csv", "diary.csv", "watchlist.csv", "collections.csv", "profile.json")
        if sum(infos[name].file_size for name in wanted if name in infos) > limit:
            raise ImportFileError("The files in this ZIP are too large to import.")
        members = {}
        for name in wanted:
            if name in infos:
                with archive.open(infos[name]) as handle:
                    content = handle.read(limit + 1)
                if len(content) > limit:
                    raise ImportFileError("The files in this ZIP are too large to import.")
                members[name] = content
        return members
    # zipfile raises NotImplementedError for a compression method or encryption it cannot
    # read (not a missing feature of ours): the file is refused like any unreadable ZIP.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise ImportFileError(f"This ZIP file cannot be read ({error}).") from None


def _rows(content: bytes | None, name: str) -> list[dict]:
    if not content:
        return []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{name} in the ZIP is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(
                    f"{name} in the ZIP has more than {MAX_ROWS:,} lines, more than one "
                    "import takes; it is read in the request, so it is refused whole."
                )
            rows.append(
                {key: unescape_cell(value or "") for key, value in row.items() if key is not None}
            )
    except csv.Error as error:
        raise ImportFileError(f"{name} in the ZIP cannot be read as CSV ({error}).") from None
    return rows


class _Titles:
    """Finds this instance's titles by IMDb id, else exact name and year."""

    def __init__(self, rows: list[dict]) -> None:
        imdb_ids = {row.get("IMDb ID", "") for row in rows} - {""}
        names = {row.get("Title", "").lower() for row in rows} - {""}
        self.by_imdb = dict(Title.objects.filter(imdb_id__in=imdb_ids).values_list("imdb_id", "pk"))
        self.by_name: dict[tuple[str, int | None], list[int]] = {}
        found = (
            Title.objects.annotate(lower_name=Lower("name"))
            .filter(lower_name__in=names)
            .values_list("lower_name", "year", "pk")
        )
        for lower_name, year, pk in found:
            self.by_name.setdefault((lower_name, year), []).append(pk)

    def find(self, row: dict) -> int | None:
        imdb_id = row.get("IMDb ID", "")
        if imdb_id and imdb_id in self.by_imdb:
            return self.by_imdb[imdb_id]
        year = parse_int(row.get("Year", ""), min=1800, max=2200)
        matches = self.by_name.get((row.get("Title", "").lower(), year), [])
        return matches[0] if len(matches) == 1 else None


def _when(text: str) -> datetime.datetime | None:
    value = parse_datetime(text or "")
    if value is None:
        day = parse_date(text or "")
        if day is None:
            return None
        value = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    return value


def _label(row: dict) -> str:
    year = row.get("Year", "")
    return f"{row.get('Title', '')}{f' ({year})' if year else ''}"


def _profile(user: User, content: bytes) -> None:
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ImportFileError("profile.json in the ZIP cannot be read.") from None
    if not isinstance(data, dict) or data.get("format") != export.FORMAT:
        raise ImportFileError("This ZIP is not an export of this site (unknown profile.json).")
    scale = data.get("rating_scale")
    visibility = data.get("visibility")
    profile_update(
        user,
        display_name=str(data.get("display_name") or "")[:60],
        bio=str(data.get("bio") or "")[:500],
        rating_scale=scale if scale in RatingScale.values else user.rating_scale,
        prefers_compact=bool(data.get("prefers_compact")),
        visibility=visibility if visibility in User.Visibility.values else None,
        watchlist_public=bool(data.get("watchlist_public")),
    )


def account_import_zip(user: User, data: bytes) -> SiteImportResult:
    """Restore a full export into ``user``'s account (see the module doc). Profile,
    ratings, diary and watchlist are written in one transaction; collections one by one
    after it (each counts toward the hourly limit)."""
    members = _read_members(data)
    result = SiteImportResult()
    ratings_rows = _rows(members.get("ratings.csv"), "ratings.csv")
    diary_rows = _rows(members.get("diary.csv"), "diary.csv")
    watchlist_rows = _rows(members.get("watchlist.csv"), "watchlist.csv")
    collection_rows = _rows(members.get("collections.csv"), "collections.csv")
    titles = _Titles(ratings_rows + diary_rows + watchlist_rows + collection_rows)

    def title_of(row: dict, name: str, line: int) -> int | None:
        title_id = titles.find(row)
        if title_id is None:
            result.not_found += 1
            result.problem(f"{name} line {line}: no title {_label(row)} on this site.")
        return title_id

    ratings: dict[int, RatingInput] = {}
    for line, row in enumerate(ratings_rows, start=2):
        score = parse_int(row.get("Score", ""), min=0, max=100)
        rated_at = _when(row.get("Rated at") or row.get("Rated date", ""))
        if score is None or rated_at is None:
            result.problem(f"ratings.csv line {line}: the score or date cannot be read.")
            continue
        title_id = title_of(row, "ratings.csv", line)
        if title_id is not None:
            ratings[title_id] = RatingInput(title_id, score, row.get("Review", ""), rated_at)
    viewings = []
    for line, row in enumerate(diary_rows, start=2):
        watched_on = parse_date(row.get("Watched date", "") or "")
        if watched_on is None:
            result.problem(f"diary.csv line {line}: the date cannot be read.")
            continue
        title_id = title_of(row, "diary.csv", line)
        if title_id is not None:
            viewing = ViewingInput(
                title_id, watched_on, row.get("Rewatch", "") == "yes", row.get("Note", "")
            )
            viewings.append(viewing)
    watchlist = []
    for line, row in enumerate(watchlist_rows, start=2):
        title_id = title_of(row, "watchlist.csv", line)
        if title_id is not None:
            watchlist.append((title_id, _when(row.get("Added at", ""))))

    with transaction.atomic():
        if "profile.json" in members:
            _profile(user, members["profile.json"])
        if ratings:
            written = rate_many_within_limits(user, ratings.values())
            result.ratings = written.written
            result.reviews_skipped = len(written.reviews_skipped)
        try:
            result.viewings = viewings_create_many(user=user, entries=viewings, replace=True)
        except ValidationError as error:
            raise ImportFileError(f"diary.csv: {error.messages[0]}") from None
        result.watchlist = watchlist_add_many(user=user, entries=watchlist)

    _collections(user, collection_rows, title_of, result)
    return result


def _collections(user: User, rows: list[dict], title_of, result: SiteImportResult) -> None:
    grouped: dict[tuple[str, str, str], list[tuple[int, dict]]] = {}
    for line, row in enumerate(rows, start=2):
        key = (row.get("Collection", ""), row.get("Description", ""), row.get("Public", ""))
        grouped.setdefault(key, []).append((line, row))
    for (name, description, public), items in grouped.items():
        with transaction.atomic():
            try:
                collection = collection_create(user, name, description, is_public=public == "yes")
            except ValidationError as error:
                if error.code == "too_many_collections":
                    result.collections_skipped.append(name)
                else:
                    result.problem(f"collections.csv: “{name}” {error.messages[0]}")
                continue
            result.collections += 1
            ordered = sorted(
                (
                    (parse_int(row.get("Position", ""), min=1) or 0, line, row)
                    for line, row in items
                ),
                key=lambda item: (item[0], item[1]),
            )
            found = {}
            for position, line, row in ordered:
                if position:
                    title_id = title_of(row, "collections.csv", line)
                    if title_id is not None:
                        found[line] = title_id
            title_objects = Title.objects.in_bulk(set(found.values()))
            for _position, line, row in ordered:
                if line not in found:
                    continue
                title = title_objects[found[line]]
                try:
                    collection_add_title(collection, title, row.get("Note", ""))
                except ValidationError as error:
                    result.problem(f"collections.csv line {line}: {error.messages[0]}")
                    continue
                result.collection_items += 1

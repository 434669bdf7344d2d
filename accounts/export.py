"""The full export: one ZIP of everything a member put on the site, streamed.

Reads only. ``export_zip_chunks`` yields the archive in pieces as it is written
(zipfile on an unseekable stream writes each member's sizes after its data), and every
table is read in chunks from the database, so memory stays flat however many ratings,
viewings or collection items there are. The files:

- ``ratings.csv``: Title, Year, IMDb ID, Score (0-100), Percentile, Rated date, Review,
  Rated at (ISO 8601 with the time);
- ``diary.csv``: Title, Year, IMDb ID, Watched date, Rewatch (yes/no), Note;
- ``watchlist.csv``: Title, Year, IMDb ID, Added at;
- ``collections.csv``: Collection, Description, Public (yes/no), Position, Title, Year,
  IMDb ID, Note (one line per item; an empty collection has one line without a title);
- ``profile.json``: the account's settings (UTF-8 JSON).

CSV files are UTF-8 and their cells are spreadsheet-safe (core.spreadsheet); the
import (accounts.site_import) reads them back.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator

from django.utils import timezone

from accounts.models import User
from accounts.selectors import rating_export_rows
from collections_app.models import Collection, CollectionItem
from core.spreadsheet import csv_line
from library.models import Viewing, WatchlistEntry

CHUNK = 2_000
FORMAT = "movie-ratings-export"
VERSION = 1

RATINGS_HEADER = [
    "Title", "Year", "IMDb ID", "Score", "Percentile", "Rated date", "Review", "Rated at",
]  # fmt: skip
DIARY_HEADER = ["Title", "Year", "IMDb ID", "Watched date", "Rewatch", "Note"]
WATCHLIST_HEADER = ["Title", "Year", "IMDb ID", "Added at"]
COLLECTIONS_HEADER = [
    "Collection", "Description", "Public", "Position", "Title", "Year", "IMDb ID", "Note",
]  # fmt: skip
PROFILE_FIELDS = (
    "username", "display_name", "bio", "rating_scale", "prefers_compact", "visibility",
    "watchlist_public",
)  # fmt: skip


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def ratings_lines(member: User) -> Iterator[str]:
    """The ratings CSV export's columns, oldest first, with the exact time of each."""
    yield csv_line(RATINGS_HEADER)
    for cells, rated_at in rating_export_rows(member, newest_first=False):
        yield csv_line([*cells, rated_at.isoformat()])


def diary_lines(member: User) -> Iterator[str]:
    yield csv_line(DIARY_HEADER)
    rows = (
        Viewing.objects.filter(user=member)
        .order_by("watched_on", "pk")
        .values_list(
            "title__name", "title__year", "title__imdb_id", "watched_on", "rewatch", "note"
        )
    )
    for name, year, imdb_id, watched_on, rewatch, note in rows.iterator(CHUNK):
        yield csv_line(
            [name, year or "", imdb_id or "", watched_on.isoformat(), _yes(rewatch), note]
        )


def watchlist_lines(member: User) -> Iterator[str]:
    yield csv_line(WATCHLIST_HEADER)
    rows = (
        WatchlistEntry.objects.filter(user=member)
        .order_by("added_at", "pk")
        .values_list("title__name", "title__year", "title__imdb_id", "added_at")
    )
    for name, year, imdb_id, added_at in rows.iterator(CHUNK):
        yield csv_line([name, year or "", imdb_id or "", added_at.isoformat()])


def collections_lines(member: User) -> Iterator[str]:
    yield csv_line(COLLECTIONS_HEADER)
    collections = Collection.objects.filter(owner=member).order_by("created_at", "pk")
    for collection in collections.iterator(CHUNK):
        head = [collection.name, collection.description, _yes(collection.is_public)]
        items = (
            CollectionItem.objects.filter(collection=collection)
            .order_by("position")
            .values_list("position", "title__name", "title__year", "title__imdb_id", "note")
        )
        empty = True
        for position, name, year, imdb_id, note in items.iterator(CHUNK):
            empty = False
            yield csv_line([*head, position, name, year or "", imdb_id or "", note])
        if empty:
            yield csv_line([*head, "", "", "", "", ""])


def profile_json(member: User) -> str:
    data = {"format": FORMAT, "version": VERSION, "exported_at": timezone.now().isoformat()}
    data.update({name: getattr(member, name) for name in PROFILE_FIELDS})
    data["date_joined"] = member.date_joined.isoformat()
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


class _Stream:
    """Where zipfile writes: keeps what was written until the generator takes it.
    No tell() or seek(), so zipfile writes a streamable archive (data descriptors)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def export_zip_chunks(member: User) -> Iterator[bytes]:
    """The member's full export as ZIP bytes, piece by piece (see the module doc)."""
    stream = _Stream()
    files = [
        ("ratings.csv", ratings_lines(member)),
        ("diary.csv", diary_lines(member)),
        ("watchlist.csv", watchlist_lines(member)),
        ("collections.csv", collections_lines(member)),
        ("profile.json", iter([profile_json(member)])),
    ]
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, lines in files:
            with archive.open(name, "w", force_zip64=True) as member_file:
                buffer: list[str] = []
                size = 0
                for line in lines:
                    buffer.append(line)
                    size += len(line)
                    if size >= 64 * 1024:
                        member_file.write("".join(buffer).encode("utf-8"))
                        buffer, size = [], 0
                        chunk = stream.take()
                        if chunk:
                            yield chunk
                member_file.write("".join(buffer).encode("utf-8"))
            yield stream.take()
    yield stream.take()

"""Writes of the watchlist and the diary: plain functions with keyword arguments, each
in one transaction. A refusal is a ValidationError with a ``code``:

- ``unknown_title``: no such title;
- ``future_date``: a viewing dated after today (the site's time zone);
- ``too_early``: a viewing dated before 1870 (no film is older);
- ``note_too_long``: a note over NOTE_MAX_LENGTH characters.

Several viewings of one title on one day are allowed (a double bill of the same film).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Title
from core import cache as section_cache
from core.text import stripped_within
from library.models import NOTE_MAX_LENGTH, Viewing, WatchlistEntry

EARLIEST_VIEWING = datetime.date(1870, 1, 1)


def _title_id(title) -> int:
    """The id of an existing title (given as a Title or an id), or ValidationError."""
    title_id = title.pk if isinstance(title, Title) else title
    if isinstance(title_id, int) and Title.objects.filter(pk=title_id).exists():
        return title_id
    raise ValidationError("There is no such title.", code="unknown_title")


def check_watched_on(watched_on) -> datetime.date:
    """The date of a viewing, or ValidationError (not a date, after today, before 1870)."""
    if isinstance(watched_on, datetime.datetime) or not isinstance(watched_on, datetime.date):
        raise ValidationError("Give the day you watched it.", code="bad_date")
    if watched_on > timezone.localdate():
        raise ValidationError(
            "That date is in the future: log a viewing once you have watched it.",
            code="future_date",
        )
    if watched_on < EARLIEST_VIEWING:
        raise ValidationError("Viewings start in 1870; check the year.", code="too_early")
    return watched_on


def check_note(note: str) -> str:
    return stripped_within(note, NOTE_MAX_LENGTH, "A note", "note_too_long")


@transaction.atomic
def watchlist_add(*, user, title) -> WatchlistEntry:
    """Put a title on the member's watchlist; adding it again keeps its first date."""
    title_id = _title_id(title)
    entry, _created = WatchlistEntry.objects.get_or_create(user_id=user.pk, title_id=title_id)
    return entry


@transaction.atomic
def watchlist_remove(*, user, title) -> bool:
    """Take a title off the member's watchlist; False when it was not on it."""
    title_id = title.pk if isinstance(title, Title) else title
    deleted, _ = WatchlistEntry.objects.filter(user_id=user.pk, title_id=title_id).delete()
    return bool(deleted)


@transaction.atomic
def viewing_create(*, user, title, watched_on, rewatch=False, note="") -> Viewing:
    """Log one viewing of a title (many per title are allowed, on any past day)."""
    title_id = _title_id(title)
    return Viewing.objects.create(
        user_id=user.pk,
        title_id=title_id,
        watched_on=check_watched_on(watched_on),
        rewatch=bool(rewatch),
        note=check_note(note),
    )


@transaction.atomic
def viewing_delete(*, user, viewing_id: int) -> bool:
    """Remove one of the member's own viewings; False when there is none with that id."""
    deleted, _ = Viewing.objects.filter(user_id=user.pk, pk=viewing_id).delete()
    return bool(deleted)


# Imports: many rows at once, checked before anything is written -------------------------


@dataclass(frozen=True)
class ViewingInput:
    title_id: int
    watched_on: datetime.date
    rewatch: bool = False
    note: str = ""


@transaction.atomic
def watchlist_add_many(*, user, entries: Iterable[tuple[int, datetime.datetime | None]]) -> int:
    """Add (title id, date added or None) pairs; titles already on the list keep their
    date. Returns how many were added. Unknown title ids are refused (``unknown_title``)."""
    wanted = {}
    for title_id, added_at in entries:
        wanted.setdefault(int(title_id), added_at)
    known = set(Title.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if set(wanted) - known:
        raise ValidationError("There is no such title.", code="unknown_title")
    now = timezone.now()
    created = WatchlistEntry.objects.bulk_create(
        [
            WatchlistEntry(user_id=user.pk, title_id=title_id, added_at=added_at or now)
            for title_id, added_at in wanted.items()
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    # bulk_create sends no model signals (pages/signals.py): the profile is marked here.
    section_cache.members_changed([user.pk])
    return len(created)


@transaction.atomic
def viewings_create_many(*, user, entries: Iterable[ViewingInput], replace: bool = False) -> int:
    """Log many viewings (an import). Every entry is checked first; ``replace`` drops the
    member's viewings of the same title on the same day first, so importing a file twice
    does not double its entries. Returns how many were written."""
    rows = [
        Viewing(
            user_id=user.pk,
            title_id=int(entry.title_id),
            watched_on=check_watched_on(entry.watched_on),
            rewatch=bool(entry.rewatch),
            note=check_note(entry.note),
        )
        for entry in entries
    ]
    title_ids = {row.title_id for row in rows}
    if title_ids - set(Title.objects.filter(pk__in=title_ids).values_list("pk", flat=True)):
        raise ValidationError("There is no such title.", code="unknown_title")
    if replace and rows:
        existing = Viewing.objects.filter(user_id=user.pk, title_id__in=title_ids)
        days = {(row.title_id, row.watched_on) for row in rows}
        stale = [
            v.pk
            for v in existing.only("title_id", "watched_on")
            if (v.title_id, v.watched_on) in days
        ]
        Viewing.objects.filter(pk__in=stale).delete()
    section_cache.members_changed([user.pk])  # bulk_create sends no model signals
    return len(Viewing.objects.bulk_create(rows, batch_size=1000))

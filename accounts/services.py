"""Writes for accounts: profile settings, avatars, and importing ratings and lists.

Every rating write goes through ratings.services (rate_many for imports), which keeps
percentiles and title aggregates right and recomputes them once per user.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps

from accounts import importers
from accounts.models import ImportBatch, RatingScale, User
from catalog.images import open_checked_image
from catalog.models import Title
from collections_app.models import Collection
from collections_app.services import collection_add_title, collection_create
from core import cache as section_cache
from library.models import WatchlistEntry
from library.services import ViewingInput, viewings_create_many, watchlist_add_many
from ratings.models import Rating
from ratings.services import RatingInput, delete_user_ratings, rate_many_within_limits

AVATAR_SIZE = 400


# Avatars ----------------------------------------------------------------------------


def avatar_process(upload) -> ContentFile:
    """A square WebP avatar from an uploaded JPEG, PNG or WebP image.

    Raises ValidationError (with a message for the form) for anything too large, not an
    image, in another format, or with too many pixels. The picture is turned upright
    from its EXIF orientation and centre-cropped to AVATAR_SIZE square.
    """
    image = open_checked_image(upload)
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=85, method=4)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex[:12]}.webp")


@transaction.atomic
def profile_update(
    user: User,
    *,
    display_name: str,
    bio: str,
    rating_scale: str,
    prefers_compact: bool,
    avatar: ContentFile | None = None,
    remove_avatar: bool = False,
    visibility: str | None = None,
    watchlist_public: bool | None = None,
) -> User:
    """Save a member's settings. A new avatar replaces (and deletes) the old file.
    ``visibility`` and ``watchlist_public`` left at None keep their saved values."""
    if rating_scale not in RatingScale.values:
        raise ValidationError(f"Unknown rating scale {rating_scale!r}.", code="bad_scale")
    if visibility is not None and visibility not in User.Visibility.values:
        raise ValidationError(f"Unknown visibility {visibility!r}.", code="bad_visibility")
    if visibility is not None:
        user.visibility = visibility
    if watchlist_public is not None:
        user.watchlist_public = watchlist_public
    old_avatar = user.avatar.name if user.avatar else ""
    user.display_name = " ".join(display_name.split())
    user.bio = bio.strip()
    user.rating_scale = rating_scale
    user.prefers_compact = prefers_compact
    if avatar is not None:
        user.avatar.save(f"{user.pk}-{avatar.name}", avatar, save=False)
    elif remove_avatar:
        user.avatar = ""
    user.save(
        update_fields=[
            "display_name",
            "bio",
            "rating_scale",
            "prefers_compact",
            "avatar",
            "visibility",
            "watchlist_public",
        ]
    )
    # Names (and who may be seen) are shown beside ratings and reviews in cached lists.
    section_cache.bump(section_cache.MEMBERS)
    new_avatar = user.avatar.name if user.avatar else ""
    if old_avatar and old_avatar != new_avatar:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


# Imports ----------------------------------------------------------------------------
#
# An import is a background job (accounts.tasks): the upload request stores the file
# (import_batch_store), the worker parses and matches it (import_batch_parse), the
# member settles ambiguous lines and confirms (import_batch_resolve,
# import_batch_start_apply), and the worker writes it in chunks (import_batch_write).
# Each worker step commits its progress, so the preview page can show it.

# Batches (and the files in them) are removed this long after their last change.
IMPORT_LIFETIME = timedelta(days=1)
# A running import whose worker has not reported for this long has stopped (the worker
# died): it no longer blocks the member's next upload.
STALE_IMPORT_AFTER = timedelta(minutes=30)
# Rows matched, and ratings written (each chunk one rate_many), between progress reports.
# Every chunk recomputes all of the member's percentiles (and so touches every title
# they rated), so a large file is written in at most WRITE_STEPS chunks.
MATCH_CHUNK = 5_000
WRITE_CHUNK = 2_000
WRITE_STEPS = 10
LIST_CHUNK = 500
# How many skipped reviews the result names (the count is always exact).
SKIPPED_SHOWN = 200


def _counts(rows: Iterable[dict]) -> dict[str, int]:
    counts = {
        importers.MATCHED: 0,
        importers.AMBIGUOUS: 0,
        importers.UNMATCHED: 0,
        importers.INVALID: 0,
    }
    for row in rows:
        counts[row["status"]] += 1
    counts["total"] = sum(counts.values())
    return counts


def _lock_member(user: User) -> None:
    """Serialise one member's import starts (FOR NO KEY UPDATE, as ratings.services)."""
    list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk"))


def _refuse_if_running(user: User, exclude_pk: int | None = None) -> None:
    """One running import per member (call under _lock_member). A running import that
    has not reported for STALE_IMPORT_AFTER is marked failed instead of blocking."""
    now = timezone.now()
    running = ImportBatch.objects.filter(user=user, status__in=ImportBatch.RUNNING).exclude(
        pk=exclude_pk
    )
    running.filter(updated_at__lt=now - STALE_IMPORT_AFTER).update(
        status=ImportBatch.Status.FAILED,
        error="This import stopped before it finished. Upload the file again.",
        upload_data=None,
        updated_at=now,
    )
    if running.filter(updated_at__gte=now - STALE_IMPORT_AFTER).exists():
        raise ValidationError(
            "Another of your imports is still running. Wait until it has finished (its "
            "page shows the progress), then try again.",
            code="import_running",
        )


def import_batches_clear_old() -> int:
    """Delete every member's imports (with their files) untouched for IMPORT_LIFETIME;
    returns how many. Run by the worker before each parse."""
    deleted, _ = ImportBatch.objects.filter(
        updated_at__lt=timezone.now() - IMPORT_LIFETIME
    ).delete()
    return deleted


@transaction.atomic
def import_batch_store(
    user: User, *, data: bytes, filename: str = "", plain_scale: str = "100"
) -> ImportBatch:
    """Keep an uploaded file for the worker to parse; reads none of it.

    Raises ValidationError (code ``import_running``) while another of the member's
    imports is being parsed or written, and importers.ImportFileError for a file over
    MAX_IMPORT_BYTES.
    """
    if len(data) > settings.MAX_IMPORT_BYTES:
        raise importers.ImportFileError(
            f"The file is too large; the limit is {settings.MAX_IMPORT_BYTES // 1048576} MB. "
            "Split it into smaller files and import each."
        )
    _lock_member(user)
    _refuse_if_running(user)
    return ImportBatch.objects.create(
        user=user,
        status=ImportBatch.Status.PARSING,
        filename=(filename or "")[:200],
        plain_scale=plain_scale,
        upload_data=data,
    )


def _report(batch_id: int, running: str, **fields) -> bool:
    """Save progress of a running step; False when the batch has left the ``running``
    status (cancelled, or removed) and the step should stop."""
    return bool(
        ImportBatch.objects.filter(pk=batch_id, status=running).update(
            updated_at=timezone.now(), **fields
        )
    )


def _fail(batch_id: int, running: str, message: str) -> None:
    _report(batch_id, running, status=ImportBatch.Status.FAILED, error=message, upload_data=None)


class _Cancelled(Exception):
    """The batch left its running status (cancelled or removed) while a step ran."""


def import_batch_parse(batch_id: int) -> dict:
    """The worker's first step: parse and match a stored file, reporting progress, and
    keep the rows for the preview (status pending), or say why the file cannot be read
    (status failed). Writes no rating; does nothing for a batch no longer parsing."""
    import_batches_clear_old()
    parsing = ImportBatch.Status.PARSING
    batch = ImportBatch.objects.filter(pk=batch_id, status=parsing).first()
    if batch is None:
        return {"batch": batch_id, "skipped": True}
    try:
        parsed = importers.parse_upload(
            bytes(batch.upload_data or b""),
            settings.MAX_IMPORT_BYTES,
            batch.plain_scale,
            filename=batch.filename,
        )
    except importers.ImportFileError as error:
        _fail(batch_id, parsing, str(error))
        return {"batch": batch_id, "error": str(error)}
    except Exception:
        _fail(batch_id, parsing, "Something went wrong reading this file.")
        raise
    total = len(parsed.rows)
    if not _report(batch_id, parsing, progress_done=0, progress_total=total):
        return {"batch": batch_id, "cancelled": True}

    def report(done: int) -> None:
        if not _report(batch_id, parsing, progress_done=done):
            raise _Cancelled

    try:
        rows = importers.match_rows(parsed.rows, progress=report, every=MATCH_CHUNK)
    except _Cancelled:
        return {"batch": batch_id, "cancelled": True}
    except Exception:
        _fail(batch_id, parsing, "Something went wrong matching this file's titles.")
        raise
    _report(
        batch_id,
        parsing,
        status=ImportBatch.Status.PENDING,
        format=parsed.format,
        scale_label=parsed.scale_label,
        score_suffix=parsed.score_suffix,
        list_name=parsed.list_name,
        list_description=parsed.list_description,
        rows=rows,
        counts=_counts(rows),
        upload_data=None,
    )
    return {"batch": batch_id, "rows": total}


def _locked_pending(batch: ImportBatch, *, with_rows: bool = True) -> ImportBatch:
    batches = ImportBatch.objects.defer("upload_data")
    if not with_rows:
        batches = batches.defer("upload_data", "rows")
    locked = batches.select_for_update().get(pk=batch.pk)
    if locked.status != ImportBatch.Status.PENDING:
        raise ValidationError(
            {
                ImportBatch.Status.APPLIED: "This import has already been imported.",
                ImportBatch.Status.CANCELLED: "This import has already been cancelled.",
                ImportBatch.Status.APPLYING: "This import is already being imported.",
                ImportBatch.Status.PARSING: "This file is still being read.",
            }.get(locked.status, "This import cannot be imported."),
            code="not_pending",
        )
    return locked


@transaction.atomic
def import_batch_resolve(batch: ImportBatch, line: int, title_id: int | None) -> dict:
    """Settle an ambiguous (or re-open a settled) row: pick one of its candidates, or
    None to leave it out. Returns the updated row."""
    locked = _locked_pending(batch)
    for row in locked.rows:
        if row["line"] == line and row.get("candidates"):
            break
    else:
        raise ValidationError(f"Line {line} has no titles to choose from.", code="no_choice")
    choices = {candidate[0]: candidate[1] for candidate in row["candidates"]}
    if title_id is None:
        row.update(status=importers.AMBIGUOUS, title_id=None, title_label="", method="")
    elif title_id in choices:
        row.update(
            status=importers.MATCHED,
            title_id=title_id,
            title_label=choices[title_id],
            method="chosen by you",
        )
    else:
        raise ValidationError("Choose one of the titles listed for that line.", "bad_choice")
    locked.counts = _counts(locked.rows)
    locked.save(update_fields=["rows", "counts", "updated_at"])
    batch.rows, batch.counts = locked.rows, locked.counts
    return row


@transaction.atomic
def import_batch_pick_title(batch: ImportBatch, line: int, title_id: int) -> dict:
    """Match a row the site could not match (status "unmatched", or ambiguous, or matched
    to the wrong film) to a title the member found in the catalog. Rows that could not be
    read (no usable score or date) stay as they are. Returns the updated row."""
    locked = _locked_pending(batch)
    row = next((row for row in locked.rows if row["line"] == line), None)
    if row is None or row["status"] == importers.INVALID:
        raise ValidationError(f"Line {line} cannot be matched to a title.", code="no_choice")
    title = Title.objects.filter(pk=title_id).values("name", "year").first()
    if title is None:
        raise ValidationError("That title is not in the catalog any more.", code="bad_choice")
    label = f"{title['name']} ({title['year']})" if title["year"] else title["name"]
    row.update(
        status=importers.MATCHED, title_id=title_id, title_label=label, method="found by you"
    )
    locked.counts = _counts(locked.rows)
    locked.save(update_fields=["rows", "counts", "updated_at"])
    batch.rows, batch.counts = locked.rows, locked.counts
    return row


def _latest_per_title(rows: list[dict]) -> dict[int, dict]:
    """One row per title: the most recently rated (a diary lists rewatches), or the last
    in the file when dates are equal or missing. Diary lines without a rating (viewings
    only) are left out."""
    chosen: dict[int, dict] = {}
    for row in rows:
        if row["status"] != importers.MATCHED or row.get("score") is None:
            continue
        current = chosen.get(row["title_id"])
        if current is None or (row.get("rated_at") or "") >= (current.get("rated_at") or ""):
            chosen[row["title_id"]] = row
    return chosen


@transaction.atomic
def import_batch_start_apply(batch: ImportBatch, *, replace_existing: bool = False) -> None:
    """Confirm a pending batch: mark it applying for the worker (import_batch_write).

    Raises ValidationError when it is not pending (code ``not_pending``) or another of
    the member's imports is running (``import_running``).
    """
    _lock_member(batch.user)
    _refuse_if_running(batch.user, exclude_pk=batch.pk)
    _locked_pending(batch, with_rows=False)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.APPLYING,
        replace_existing=replace_existing,
        progress_done=0,
        progress_total=batch.counts.get(importers.MATCHED, 0),
        result={},
        error="",
        updated_at=timezone.now(),
    )
    batch.status = ImportBatch.Status.APPLYING


def import_batch_write(batch_id: int) -> dict:
    """The worker's second step: write an applying batch in chunks, each its own
    transaction with its progress, then mark it applied with its result. Ratings go
    through ratings.services.rate_many_within_limits (reviews past the hourly limit are
    left out and listed); a list becomes a collection, unless the member is past the
    hourly collection limit (then it is skipped and the result says so).

    Safe to run again after a crash: it goes on after the last chunk committed.
    """
    applying = ImportBatch.Status.APPLYING
    batch = ImportBatch.objects.defer("upload_data").filter(pk=batch_id, status=applying).first()
    if batch is None:
        return {"batch": batch_id, "skipped": True}
    try:
        if batch.is_list:
            result = _write_list(batch)
        elif batch.is_watchlist:
            result = _write_watchlist(batch)
        else:
            result = _write_ratings(batch)
            if result is not None and batch.is_diary:
                result = _write_viewings(batch, result)
    except ValidationError as error:
        done = ImportBatch.objects.filter(pk=batch_id).values_list("progress_done", flat=True)
        written = next(iter(done), 0)
        _fail(
            batch_id,
            applying,
            f"The import stopped after {written:,} line{'s' if written != 1 else ''}: "
            + " ".join(error.messages),
        )
        return {"batch": batch_id, "error": " ".join(error.messages)}
    except Exception:
        _fail(batch_id, applying, "Something went wrong while importing.")
        raise
    if result is None:
        return {"batch": batch_id, "cancelled": True}
    _report(
        batch_id,
        applying,
        status=ImportBatch.Status.APPLIED,
        applied_at=timezone.now(),
        result=result,
    )
    return {"batch": batch_id, **{k: v for k, v in result.items() if isinstance(v, int)}}


def _save_step(batch: ImportBatch, result: dict, done: int) -> bool:
    """Commit one chunk's result and progress with the chunk (caller's transaction)."""
    return _report(batch.pk, ImportBatch.Status.APPLYING, result=result, progress_done=done)


def _write_ratings(batch: ImportBatch) -> dict | None:
    chosen = _latest_per_title(batch.rows)
    existing_titles = set(Title.objects.filter(pk__in=chosen).values_list("pk", flat=True))
    rated = set(
        Rating.objects.filter(user=batch.user, title_id__in=existing_titles).values_list(
            "title_id", flat=True
        )
    )
    result = dict(batch.result)
    if "written" not in result:
        matched = sum(1 for row in batch.rows if row["status"] == importers.MATCHED)
        result = {
            "written": 0,
            "kept_existing": 0 if batch.replace_existing else len(rated),
            "duplicates": matched - len(chosen),
            "missing_titles": len(chosen) - len(existing_titles),
            "not_imported": batch.counts.get("total", 0) - matched,
            "reviews_skipped": 0,
            "reviews_skipped_rows": [],
            "last_title_id": 0,
        }
    # Titles are written in id order, so after a crash the run goes on after the last
    # title of the last chunk committed.
    skip = set() if batch.replace_existing else rated
    todo = [
        title_id
        for title_id in sorted(existing_titles)
        if title_id > result["last_title_id"] and title_id not in skip
    ]
    done = result["written"]
    size = max(WRITE_CHUNK, -(-len(todo) // WRITE_STEPS))
    for start in range(0, len(todo), size):
        chunk = todo[start : start + size]
        entries = [
            RatingInput(
                title_id=title_id,
                score=chosen[title_id]["score"],
                review=chosen[title_id].get("review") or "",
                rated_at=datetime.fromisoformat(chosen[title_id]["rated_at"])
                if chosen[title_id].get("rated_at")
                else None,
            )
            for title_id in chunk
        ]
        with transaction.atomic():
            written = rate_many_within_limits(batch.user, entries)
            done += written.written
            result["written"] = done
            result["last_title_id"] = chunk[-1]
            result["reviews_skipped"] += len(written.reviews_skipped)
            room = SKIPPED_SHOWN - len(result["reviews_skipped_rows"])
            result["reviews_skipped_rows"] += [
                [chosen[title_id]["line"], chosen[title_id].get("title_label") or ""]
                for title_id in written.reviews_skipped[: max(room, 0)]
            ]
            if not _save_step(batch, result, done):
                transaction.set_rollback(True)
                return None
    return result


def _write_viewings(batch: ImportBatch, result: dict) -> dict | None:
    """A Letterboxd diary keeps every line: one viewing each (with its rewatch mark),
    after the ratings. Viewings of the same title on the same day as a line are
    replaced, so importing the file again does not double them."""
    if "viewings" in result:
        return result
    existing = set(
        Title.objects.filter(
            pk__in={row["title_id"] for row in batch.rows if row["status"] == importers.MATCHED}
        ).values_list("pk", flat=True)
    )
    entries = [
        ViewingInput(
            title_id=row["title_id"],
            watched_on=datetime.fromisoformat(row["rated_at"]).date(),
            rewatch=bool(row.get("rewatch")),
        )
        for row in batch.rows
        if row["status"] == importers.MATCHED
        and row.get("rated_at")
        and row["title_id"] in existing
    ]
    # A date of tomorrow passes the file's check (time zones) but is no viewing yet.
    entries = [entry for entry in entries if entry.watched_on <= timezone.localdate()]
    with transaction.atomic():
        result = {
            **result,
            "viewings": viewings_create_many(user=batch.user, entries=entries, replace=True),
        }
        if not _save_step(batch, result, result.get("written", 0)):
            transaction.set_rollback(True)
            return None
    return result


def _write_watchlist(batch: ImportBatch) -> dict | None:
    """A Letterboxd or IMDb watchlist: every matched title goes on the watchlist (with
    the date it was added there), except titles the member has rated, which are
    reported, not added."""
    chosen: dict[int, dict] = {}
    for row in batch.rows:
        if row["status"] == importers.MATCHED:
            chosen.setdefault(row["title_id"], row)
    existing = set(Title.objects.filter(pk__in=chosen).values_list("pk", flat=True))
    rated = set(
        Rating.objects.filter(user=batch.user, title_id__in=existing).values_list(
            "title_id", flat=True
        )
    )
    listed = set(
        WatchlistEntry.objects.filter(user=batch.user, title_id__in=existing).values_list(
            "title_id", flat=True
        )
    )
    todo = sorted(existing - rated - listed)
    with transaction.atomic():
        added = watchlist_add_many(
            user=batch.user,
            entries=[
                (
                    title_id,
                    datetime.fromisoformat(chosen[title_id]["rated_at"])
                    if chosen[title_id].get("rated_at")
                    else None,
                )
                for title_id in todo
            ],
        )
        result = {
            "added": added,
            "already_listed": len(listed - rated),
            "already_rated": len(rated),
            "already_rated_rows": [
                [chosen[title_id]["line"], chosen[title_id].get("title_label") or ""]
                for title_id in sorted(rated, key=lambda t: chosen[t]["line"])[:SKIPPED_SHOWN]
            ],
            "missing_titles": len(chosen) - len(existing),
            "not_imported": batch.counts.get("total", 0) - len(chosen),
        }
        if not _save_step(batch, result, len(chosen)):
            transaction.set_rollback(True)
            return None
    return result


def _write_list(batch: ImportBatch) -> dict | None:
    rows = sorted(
        (row for row in batch.rows if row["status"] == importers.MATCHED),
        key=lambda row: (row.get("position") or 0, row["line"]),
    )
    result = dict(batch.result)
    if "collection_id" not in result:
        with transaction.atomic():
            try:
                collection = collection_create(
                    batch.user,
                    batch.list_name or "Imported list",
                    batch.list_description,
                    is_public=True,
                )
            except ValidationError as error:
                if error.code != "too_many_collections":
                    raise
                # Past the hourly collection limit: the list is skipped, and says why.
                return {
                    "collection_id": None,
                    "collection_name": "",
                    "collection_skipped": batch.list_name or "Imported list",
                    "skipped_reason": error.messages[0],
                    "added": 0,
                    "not_imported": batch.counts.get("total", 0),
                }
            result = {
                "collection_id": collection.pk,
                "collection_name": collection.name,
                "added": 0,
                "next_row": 0,
                "full": False,
            }
            if not _save_step(batch, result, 0):
                transaction.set_rollback(True)
                return None
    collection = Collection.objects.get(pk=result["collection_id"])
    titles = Title.objects.in_bulk([row["title_id"] for row in rows])
    seen: set[int] = set()
    for row in rows[: result["next_row"]]:
        seen.add(row["title_id"])
    for start in range(result["next_row"], len(rows), LIST_CHUNK):
        if result["full"]:
            break
        chunk = rows[start : start + LIST_CHUNK]
        with transaction.atomic():
            for row in chunk:
                title = titles.get(row["title_id"])
                if title is None or title.pk in seen:
                    continue
                seen.add(title.pk)
                try:
                    collection_add_title(collection, title, note=(row.get("note") or "")[:300])
                except ValidationError as error:
                    if error.code == "duplicate_title":
                        continue
                    # Full collection: the rest of the list cannot go in.
                    result["full"] = True
                    break
                result["added"] += 1
            result["next_row"] = start + len(chunk)
            if not _save_step(batch, result, result["next_row"]):
                transaction.set_rollback(True)
                return None
    result["not_imported"] = batch.counts.get("total", 0) - result["added"]
    return result


@transaction.atomic
def import_batch_cancel(batch: ImportBatch) -> None:
    """Drop a pending import (or stop one still being read) without writing anything."""
    locked = ImportBatch.objects.defer("upload_data").select_for_update().get(pk=batch.pk)
    if locked.status != ImportBatch.Status.PARSING:
        locked = _locked_pending(batch)
    locked.status = ImportBatch.Status.CANCELLED
    locked.rows = [row for row in locked.rows if row["status"] != importers.MATCHED]
    locked.upload_data = None
    locked.save(update_fields=["status", "rows", "upload_data", "updated_at"])
    batch.status = locked.status


@transaction.atomic
def import_batch_delete(batch: ImportBatch) -> None:
    """Remove an import that could not be read (the upload page says why instead)."""
    ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.FAILED).delete()


# Leaving ------------------------------------------------------------------------------


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Delete a member and everything that is theirs, in one transaction.

    Their ratings go first through the percentile service (every title they rated gets
    its count and average adjusted; their percentiles vanish with them). The database
    cascade then removes their watchlist, viewings, collections (with their items),
    imports, taste rows (pairs, stored and shown PSIs, profile), reports they filed and
    suspensions; receivers clear their taste change-log entries (taste.models) and keep
    the moderation actions about or by them, naming them "deleted member"
    (moderation.models). Sign-in attempts recorded under their username go too, and the
    avatar file once the transaction commits. Used by the member's own
    /account/delete/ and by the admin.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    delete_user_ratings(user)
    avatar = user.avatar.name if user.avatar else ""
    storage = user.avatar.storage
    AccessAttempt.objects.filter(username=user.username).delete()
    AccessLog.objects.filter(username=user.username).delete()
    AccessFailureLog.objects.filter(username=user.username).delete()
    user.delete()
    if avatar:
        transaction.on_commit(lambda: storage.delete(avatar))

"""Writes for accounts: profile settings, avatars, and importing ratings and lists.

Every rating write goes through ratings.services (rate_many for imports), which keeps
percentiles and title aggregates right and recomputes them once per user.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

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
from collections_app.services import collection_add_title, collection_create
from ratings.models import Rating
from ratings.services import RatingInput, rate_many

AVATAR_SIZE = 400
# How long an unconfirmed import waits before the next upload clears it away.
PENDING_IMPORT_LIFETIME = timedelta(days=2)
FINISHED_IMPORT_LIFETIME = timedelta(days=30)


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
) -> User:
    """Save a member's settings. A new avatar replaces (and deletes) the old file."""
    if rating_scale not in RatingScale.values:
        raise ValidationError(f"Unknown rating scale {rating_scale!r}.", code="bad_scale")
    old_avatar = user.avatar.name if user.avatar else ""
    user.display_name = " ".join(display_name.split())
    user.bio = bio.strip()
    user.rating_scale = rating_scale
    user.prefers_compact = prefers_compact
    if avatar is not None:
        user.avatar.save(f"{user.pk}-{avatar.name}", avatar, save=False)
    elif remove_avatar:
        user.avatar = ""
    user.save(update_fields=["display_name", "bio", "rating_scale", "prefers_compact", "avatar"])
    new_avatar = user.avatar.name if user.avatar else ""
    if old_avatar and old_avatar != new_avatar:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


# Imports ----------------------------------------------------------------------------


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


def _clear_old_batches(user: User) -> None:
    now = timezone.now()
    ImportBatch.objects.filter(
        user=user, status=ImportBatch.Status.PENDING, created_at__lt=now - PENDING_IMPORT_LIFETIME
    ).delete()
    ImportBatch.objects.filter(
        user=user,
        status__in=[ImportBatch.Status.APPLIED, ImportBatch.Status.CANCELLED],
        created_at__lt=now - FINISHED_IMPORT_LIFETIME,
    ).delete()


@transaction.atomic
def import_batch_create(
    user: User, data: bytes, filename: str = "", plain_scale: str = "100"
) -> ImportBatch:
    """Parse and match an uploaded file and keep it for the preview; writes no rating.

    Raises importers.ImportFileError (message for the person) for an empty, oversized,
    non-UTF-8 or unrecognised file, or one with no rows.
    """
    parsed = importers.parse_upload(data, settings.MAX_IMPORT_BYTES, plain_scale)
    rows = importers.match_rows(parsed.rows)
    _clear_old_batches(user)
    return ImportBatch.objects.create(
        user=user,
        format=parsed.format,
        filename=(filename or "")[:200],
        scale_label=parsed.scale_label,
        score_suffix=parsed.score_suffix,
        list_name=parsed.list_name,
        list_description=parsed.list_description,
        rows=rows,
        counts=_counts(rows),
    )


def _locked_pending(batch: ImportBatch) -> ImportBatch:
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportBatch.Status.PENDING:
        raise ValidationError(
            "This import has already been "
            + ("imported." if locked.status == ImportBatch.Status.APPLIED else "cancelled."),
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
    locked.save(update_fields=["rows", "counts"])
    batch.rows, batch.counts = locked.rows, locked.counts
    return row


def _latest_per_title(rows: list[dict]) -> dict[int, dict]:
    """One row per title: the most recently rated (a diary lists rewatches), or the last
    in the file when dates are equal or missing."""
    chosen: dict[int, dict] = {}
    for row in rows:
        if row["status"] != importers.MATCHED:
            continue
        current = chosen.get(row["title_id"])
        if current is None or (row.get("rated_at") or "") >= (current.get("rated_at") or ""):
            chosen[row["title_id"]] = row
    return chosen


@transaction.atomic
def import_batch_apply(batch: ImportBatch, replace_existing: bool = False) -> dict:
    """Write a pending batch: every matched rating through ratings.services.rate_many (one
    transaction, one percentile recompute), or for a list, a new collection.

    With replace_existing False, titles the member has already rated keep their rating.
    Returns the batch's result: counts of what was written and skipped.
    """
    locked = _locked_pending(batch)
    result = _apply_list(locked) if locked.is_list else _apply_ratings(locked, replace_existing)
    locked.status = ImportBatch.Status.APPLIED
    locked.applied_at = timezone.now()
    locked.result = result
    locked.save(update_fields=["status", "applied_at", "result"])
    batch.status, batch.applied_at, batch.result = locked.status, locked.applied_at, result
    return result


def _apply_ratings(batch: ImportBatch, replace_existing: bool) -> dict:
    chosen = _latest_per_title(batch.rows)
    existing_titles = set(Title.objects.filter(pk__in=chosen).values_list("pk", flat=True))
    already_rated: set[int] = set()
    if not replace_existing:
        already_rated = set(
            Rating.objects.filter(user=batch.user, title_id__in=existing_titles).values_list(
                "title_id", flat=True
            )
        )
    entries = [
        RatingInput(
            title_id=title_id,
            score=row["score"],
            review=row.get("review") or "",
            rated_at=datetime.fromisoformat(row["rated_at"]) if row.get("rated_at") else None,
        )
        for title_id, row in sorted(chosen.items())
        if title_id in existing_titles and title_id not in already_rated
    ]
    try:
        written = rate_many(batch.user, entries) if entries else 0
    except ValidationError as error:
        # A title deleted or a value refused since the preview: nothing is written.
        raise ValidationError(
            f"Nothing was imported: {' '.join(error.messages)}", code="rejected"
        ) from None
    matched = sum(1 for row in batch.rows if row["status"] == importers.MATCHED)
    return {
        "written": written,
        "kept_existing": len(already_rated),
        "duplicates": matched - len(chosen),
        "missing_titles": len(chosen) - len(existing_titles),
        "not_imported": batch.counts.get("total", 0) - matched,
    }


def _apply_list(batch: ImportBatch) -> dict:
    # The member's own file, confirmed once: not a burst of posts, so no hourly limit
    # (as before the limit moved into the service).
    collection = collection_create(
        batch.user,
        batch.list_name or "Imported list",
        batch.list_description,
        is_public=True,
        limit_creations=False,
    )
    rows = sorted(
        (row for row in batch.rows if row["status"] == importers.MATCHED),
        key=lambda row: (row.get("position") or 0, row["line"]),
    )
    titles = Title.objects.in_bulk([row["title_id"] for row in rows])
    added = 0
    seen: set[int] = set()
    for row in rows:
        title = titles.get(row["title_id"])
        if title is None or title.pk in seen:
            continue
        seen.add(title.pk)
        try:
            collection_add_title(collection, title, note=(row.get("note") or "")[:300])
        except ValidationError:
            # Full collection: the rest of the list cannot go in; say how many did.
            break
        added += 1
    return {
        "collection_id": collection.pk,
        "collection_name": collection.name,
        "added": added,
        "not_imported": batch.counts.get("total", 0) - added,
    }


@transaction.atomic
def import_batch_cancel(batch: ImportBatch) -> None:
    """Drop a pending import without writing anything."""
    locked = _locked_pending(batch)
    locked.status = ImportBatch.Status.CANCELLED
    locked.rows = [row for row in locked.rows if row["status"] != importers.MATCHED]
    locked.save(update_fields=["status", "rows"])
    batch.status = locked.status

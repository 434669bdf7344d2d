"""Writes for collections: create, change, delete, and keep each collection's items in order.

Every change to a collection's items runs in one transaction that first locks the
collection's row, so concurrent edits of the same collection queue up and positions stay
dense (1..n without gaps or repeats) whatever the interleaving. ``items_count`` is kept
under the same lock.

Creating a collection first locks the owner's user row, and checks the hourly limit
(``settings.MODERATION_COLLECTIONS_PER_HOUR``) under that lock, so two concurrent
creations cannot both pass it. Refusals are ``ValidationError``s with a code.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import Title
from collections_app.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_ITEMS,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Collection,
    CollectionItem,
)
from core.text import stripped_within

# Slugs that would make a collection's canonical URL look like one of its action URLs.
RESERVED_SLUGS = frozenset({"edit", "delete", "items"})
COLLECTION_LIMIT_WINDOW = timedelta(hours=1)


def collections_per_hour() -> int:
    """How many collections a member may create an hour (a setting)."""
    return int(getattr(settings, "MODERATION_COLLECTIONS_PER_HOUR", 10))


def collection_slug(name: str) -> str:
    slug = slugify(name)[:140].strip("-") or "collection"
    if slug in RESERVED_SLUGS:
        slug = f"{slug}-collection"
    return slug


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the collection a name.", code="name_required")
    return stripped_within(name, NAME_MAX_LENGTH, "A collection name", "name_too_long")


def clean_description(description: str) -> str:
    return stripped_within(
        description, DESCRIPTION_MAX_LENGTH, "A description", "description_too_long"
    )


def clean_note(note: str) -> str:
    return stripped_within(note, NOTE_MAX_LENGTH, "A note", "note_too_long")


def _lock(collection: Collection) -> Collection:
    """The collection's row, locked until the end of the transaction, with fresh values."""
    locked = Collection.objects.select_for_update().get(pk=collection.pk)
    collection.items_count = locked.items_count
    return locked


def _touch(collection: Collection, locked: Collection) -> None:
    locked.save(update_fields=["items_count", "updated_at"])
    collection.items_count = locked.items_count
    collection.updated_at = locked.updated_at


def _lock_owner(owner) -> None:
    """Lock the owner's user row until the transaction ends (``FOR NO KEY UPDATE``, as
    ratings.services does for rating writes), so one owner's creations queue up."""
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=owner.pk)
        .values_list("pk", flat=True)
    )


def _check_collection_limit(owner) -> None:
    """Refuse a creation past the hourly limit (call under the owner lock)."""
    limit = collections_per_hour()
    recent = Collection.objects.filter(
        owner=owner, created_at__gte=timezone.now() - COLLECTION_LIMIT_WINDOW
    )
    if recent.count() >= limit:
        raise ValidationError(
            f"You have created {limit} collections in the last hour, the most allowed. "
            "Please try again later.",
            code="too_many_collections",
        )


@transaction.atomic
def collection_create(
    owner,
    name: str,
    description: str = "",
    is_public: bool = True,
    *,
    limit_creations: bool = True,
) -> Collection:
    """A new, empty collection owned by ``owner``.

    Refuses a bad name or description and, under the owner's lock, a collection past
    the hourly limit (code ``too_many_collections``; ``limit_creations=False`` skips it
    for imports and seeding).
    """
    name = clean_name(name)
    description = clean_description(description)
    _lock_owner(owner)
    if limit_creations:
        _check_collection_limit(owner)
    return Collection.objects.create(
        owner=owner,
        name=name,
        slug=collection_slug(name),
        description=description,
        is_public=is_public,
    )


@transaction.atomic
def collection_create_with_title(owner, name: str, title: Title, note: str = "") -> Collection:
    """A new public collection holding ``title``: both or neither (same limit as
    ``collection_create``)."""
    collection = collection_create(owner, name)
    collection_add_title(collection, title, note)
    return collection


@transaction.atomic
def collection_update(
    collection: Collection,
    *,
    name: str | None = None,
    description: str | None = None,
    is_public: bool | None = None,
) -> Collection:
    """Change a collection's name, description or visibility (arguments left None stay)."""
    locked = _lock(collection)
    if name is not None:
        locked.name = clean_name(name)
        locked.slug = collection_slug(locked.name)
    if description is not None:
        locked.description = clean_description(description)
    if is_public is not None:
        locked.is_public = is_public
    locked.save(update_fields=["name", "slug", "description", "is_public", "updated_at"])
    for field in ("name", "slug", "description", "is_public", "updated_at", "items_count"):
        setattr(collection, field, getattr(locked, field))
    return collection


@transaction.atomic
def collection_delete(collection: Collection) -> None:
    """Delete a collection and its items (the titles themselves stay)."""
    _lock(collection).delete()


@transaction.atomic
def collection_add_title(collection: Collection, title: Title, note: str = "") -> CollectionItem:
    """Append ``title`` at the end of ``collection``.

    Refuses, with a message, a title that is already in the collection and a collection
    that already holds ``MAX_ITEMS`` titles.
    """
    note = clean_note(note)
    locked = _lock(collection)
    if CollectionItem.objects.filter(collection=locked, title=title).exists():
        raise ValidationError(f"“{title}” is already in “{locked.name}”.", code="duplicate_title")
    if locked.items_count >= MAX_ITEMS:
        raise ValidationError(
            f"“{locked.name}” already holds {MAX_ITEMS:,} titles, the most a collection can "
            "hold. Remove some, or start another collection.",
            code="collection_full",
        )
    locked.items_count += 1
    item = CollectionItem.objects.create(
        collection=locked, title=title, position=locked.items_count, note=note
    )
    _touch(collection, locked)
    return item


@transaction.atomic
def collection_remove_title(collection: Collection, title: Title) -> None:
    """Take ``title`` out of ``collection``; the titles after it move up one place."""
    locked = _lock(collection)
    item = CollectionItem.objects.filter(collection=locked, title=title).first()
    if item is None:
        raise ValidationError(f"“{title}” is not in “{locked.name}”.", code="not_in_collection")
    item.delete()
    CollectionItem.objects.filter(collection=locked, position__gt=item.position).update(
        position=F("position") - 1
    )
    locked.items_count -= 1
    _touch(collection, locked)


@transaction.atomic
def collection_move_item(
    collection: Collection, item: CollectionItem, position: int
) -> CollectionItem:
    """Move ``item`` to ``position`` (1-based; beyond the end means last), shifting the
    items in between by one place."""
    locked = _lock(collection)
    try:
        item = CollectionItem.objects.get(pk=item.pk, collection=locked)
    except CollectionItem.DoesNotExist:
        raise ValidationError(
            "That title is no longer in this collection.", code="not_in_collection"
        ) from None
    try:
        position = int(position)
    except (TypeError, ValueError):
        raise ValidationError("The position must be a whole number.", code="bad_position") from None
    if position < 1:
        raise ValidationError("Positions start at 1.", code="bad_position")
    target = min(position, locked.items_count)
    old = item.position
    if target != old:
        # One statement moves the item and shifts the run between, so the unique
        # (collection, position) constraint holds when the statement ends.
        low, high = min(old, target), max(old, target)
        shift = 1 if target < old else -1
        CollectionItem.objects.filter(
            collection=locked, position__gte=low, position__lte=high
        ).update(position=Case(When(pk=item.pk, then=Value(target)), default=F("position") + shift))
        item.position = target
        _touch(collection, locked)
    return item


@transaction.atomic
def collection_set_note(collection: Collection, item: CollectionItem, note: str) -> CollectionItem:
    """Set (or, with an empty string, clear) the note on one item of ``collection``."""
    note = clean_note(note)
    locked = _lock(collection)
    updated = CollectionItem.objects.filter(pk=item.pk, collection=locked).update(note=note)
    if not updated:
        raise ValidationError(
            "That title is no longer in this collection.", code="not_in_collection"
        )
    item.note = note
    _touch(collection, locked)
    return item


@transaction.atomic
def collection_repair(collection: Collection) -> None:
    """Recount a collection's items and renumber their positions 1..n in their current
    order (for rows written around the services, e.g. by hand in a database shell)."""
    locked = _lock(collection)
    items = list(CollectionItem.objects.filter(collection=locked).order_by("position", "pk"))
    for number, item in enumerate(items, start=1):
        item.position = number
    # Positions are unique per collection: park them out of the way first.
    CollectionItem.objects.filter(collection=locked).update(position=F("position") + MAX_ITEMS * 2)
    CollectionItem.objects.bulk_update(items, ["position"], batch_size=1000)
    locked.items_count = len(items)
    _touch(collection, locked)

"""Reads for moderation: what may be reported, labels, suspensions and the queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, QuerySet
from django.http import Http404

from collections_app.models import Collection
from moderation.models import Case, HiddenCollection, Kind
from ratings.models import Rating


@dataclass(frozen=True)
class Target:
    """A reportable item: its kind, the object, its author, a readable label and text."""

    kind: str
    obj: object
    author: object
    label: str
    text: str
    url: str


def review_label(rating: Rating) -> str:
    return f"Review by {rating.user.username} on {rating.title}"


def collection_label(collection: Collection) -> str:
    return f"Collection “{collection.name}” by {collection.owner.username}"


def profile_label(user) -> str:
    return f"Profile of {user.username}"


def target_for(obj) -> Target:
    """The ``Target`` describing a Rating (its review), a Collection or a User."""
    if isinstance(obj, Rating):
        url = f"{obj.title.get_absolute_url()}#title-reviews"
        return Target(Kind.REVIEW, obj, obj.user, review_label(obj), obj.review, url)
    if isinstance(obj, Collection):
        text = obj.name + (f"\n\n{obj.description}" if obj.description else "")
        return Target(
            Kind.COLLECTION, obj, obj.owner, collection_label(obj), text, obj.get_absolute_url()
        )
    if isinstance(obj, get_user_model()):
        text = "\n\n".join(part for part in (obj.display_name, obj.bio) if part)
        return Target(Kind.PROFILE, obj, obj, profile_label(obj), text, obj.get_absolute_url())
    raise TypeError(f"Cannot report a {type(obj).__name__}.")


def reportable_target(kind: str, pk: int) -> Target:
    """The publicly shown item of ``kind`` with id ``pk``; 404 if there is none.

    Only what the public can see can be reported: a shown review, a public collection,
    an active member's profile.
    """
    obj = None
    if kind == Kind.REVIEW:
        obj = (
            Rating.objects.visible()
            .with_review()
            .select_related("user", "title")
            .filter(pk=pk)
            .first()
        )
    elif kind == Kind.COLLECTION:
        obj = Collection.objects.public().select_related("owner").filter(pk=pk).first()
    elif kind == Kind.PROFILE:
        obj = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if obj is None:
        raise Http404("There is nothing to report here.")
    return target_for(obj)


def is_suspended(user) -> bool:
    """Whether ``user`` is suspended now (read from the database, not the object)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return get_user_model().objects.filter(pk=user.pk, is_suspended=True).exists()


def collection_hiding(collection: Collection) -> HiddenCollection | None:
    return (
        HiddenCollection.objects.filter(collection_id=collection.pk)
        .select_related("hidden_by")
        .first()
    )


def queue(queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Cases with their report count and reasons (one query for a whole page)."""
    queryset = Case.objects.all() if queryset is None else queryset
    return queryset.select_related(
        "author", "resolved_by", "rating", "collection", "profile"
    ).annotate(
        reports_count=Count("reports"),
        report_reasons=ArrayAgg("reports__reason", default=[]),
    )


def reasons_summary(reasons: list[str]) -> str:
    """ "Spam ×2, Abuse" from a list of reason keys, most frequent first."""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    parts = []
    for reason, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        label = reason.capitalize()
        parts.append(f"{label} ×{n}" if n > 1 else label)
    return ", ".join(parts)

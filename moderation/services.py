"""Writes for moderation: reports, decisions on the queue, suspensions, hidden collections.

Every moderator decision records a ``ModerationAction`` (who, what, which item, why) in
the same transaction as the change itself. Permissions are checked by the admin that
calls these functions; the functions check the rules that hold for everyone (one open
report per member per item, no suspending staff unless you are a superuser, ...).

Suspensions and hidden collections are kept twice: as ``Suspension`` and
``HiddenCollection`` rows (the history, with who and why) and as flags on the rows the
lower apps filter on (``User.is_suspended``, ``Collection.hidden_by_moderator``). Only
the functions here write either, always both in one transaction.

The hourly posting limits for reviews and collections are policies of the writes they
guard, so they live in ``ratings.services`` and ``collections_app.services``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from collections_app.models import Collection
from core import cache as section_cache
from moderation.models import (
    DETAILS_MAX_LENGTH,
    REASON_MAX_LENGTH,
    Case,
    CaseStatus,
    HiddenCollection,
    Kind,
    ModerationAction,
    Reason,
    Report,
    Resolution,
    Suspension,
    Verb,
)
from moderation.selectors import Target, is_suspended, target_for
from ratings import services as rating_services
from ratings.models import Rating

MODERATORS_GROUP = "Moderators"
HOUR = timedelta(hours=1)


def reports_per_hour() -> int:
    return int(getattr(settings, "MODERATION_REPORTS_PER_HOUR", 10))


class ReportRefused(ValidationError):
    """A report that cannot be taken; the message says why, for the member."""


class AlreadyReported(ReportRefused):
    """The member has an open report about this item already (code ``already_reported``)."""


class TooManyReports(ReportRefused):
    """The member has sent the most reports allowed an hour (code ``too_many_reports``)."""


# Reports --------------------------------------------------------------------------------

ALREADY_REPORTED = "You have already reported this. Moderators will look at it; thank you."


def _case_lookup(target: Target) -> dict:
    field = {Kind.REVIEW: "rating", Kind.COLLECTION: "collection", Kind.PROFILE: "profile"}
    return {field[target.kind]: target.obj}


@transaction.atomic
def report(reporter, target: Target, reason: str, details: str = "") -> Report:
    """File ``reporter``'s report about ``target`` in the item's open case.

    Raises ``ReportRefused`` (a ValidationError; ``AlreadyReported`` and
    ``TooManyReports`` are subclasses) with a message for the member: suspended
    members cannot report, nobody reports their own content, one open report per member
    per item, and at most ``reports_per_hour()`` reports an hour.
    """
    if reason not in Reason.values:
        raise ReportRefused("Choose one of the reasons.", code="bad_reason")
    details = (details or "").strip()
    if len(details) > DETAILS_MAX_LENGTH:
        raise ReportRefused(
            f"Details can be at most {DETAILS_MAX_LENGTH:,} characters "
            f"(these have {len(details):,}).",
            code="details_too_long",
        )
    if is_suspended(reporter):
        raise ReportRefused(
            "Your account is suspended, so you cannot send reports.", code="suspended"
        )
    if target.author is not None and target.author.pk == reporter.pk:
        raise ReportRefused("This is your own; you cannot report it.", code="own_content")
    lookup = _case_lookup(target)
    if Report.objects.filter(
        reporter=reporter,
        case__status=CaseStatus.OPEN,
        **{f"case__{k}": v for k, v in lookup.items()},
    ).exists():
        raise AlreadyReported(ALREADY_REPORTED, code="already_reported")
    limit = reports_per_hour()
    recent = Report.objects.filter(reporter=reporter, created_at__gte=timezone.now() - HOUR)
    if recent.count() >= limit:
        raise TooManyReports(
            f"You have sent {limit} reports in the last hour, the most allowed. "
            "Please try again later.",
            code="too_many_reports",
        )
    case = _open_case(target, lookup)
    try:
        with transaction.atomic():
            created = Report.objects.create(
                case=case, reporter=reporter, reason=reason, details=details
            )
    except IntegrityError:
        raise AlreadyReported(ALREADY_REPORTED, code="already_reported") from None
    return created


def _open_case(target: Target, lookup: dict) -> Case:
    """The item's open case, created if need be (safe against a concurrent reporter)."""
    snapshot = {"label": target.label[:300], "text": target.text, "url": target.url[:500]}
    for _attempt in range(3):
        case = Case.objects.filter(status=CaseStatus.OPEN, **lookup).first()
        if case is not None:
            # The queue shows the text as it is now reported.
            Case.objects.filter(pk=case.pk).update(**snapshot)
            return case
        try:
            with transaction.atomic():
                return Case.objects.create(
                    kind=target.kind, author=target.author, **lookup, **snapshot
                )
        except IntegrityError:
            continue
    raise ReportRefused("Could not file the report just now; please try again.", code="busy")


# Decisions ------------------------------------------------------------------------------


def _record(
    actor, verb: str, label: str, *, reason: str = "", case=None, subject=None, **targets
) -> ModerationAction:
    return ModerationAction.objects.create(
        actor=actor,
        actor_name=getattr(actor, "username", "") or "",
        verb=verb,
        target_label=label[:300],
        reason=(reason or "").strip()[:REASON_MAX_LENGTH],
        case=case,
        subject=subject,
        **targets,
    )


def _resolve(case: Case, by, resolution: str, note: str) -> None:
    case.status = CaseStatus.RESOLVED
    case.resolved_at = timezone.now()
    case.resolved_by = by
    case.resolution = resolution
    case.resolution_note = (note or "").strip()[:REASON_MAX_LENGTH]
    case.save(
        update_fields=["status", "resolved_at", "resolved_by", "resolution", "resolution_note"]
    )


def _why(case: Case | None, reason: str) -> str:
    """The moderator's reason, or else what the reports said."""
    reason = (reason or "").strip()
    if reason or case is None:
        return reason
    reasons = sorted(set(case.reports.values_list("reason", flat=True)))
    return f"Reported for {', '.join(reasons)}." if reasons else ""


@transaction.atomic
def hide_review(rating: Rating, by, reason: str = "", case: Case | None = None) -> bool:
    """Hide a review from everyone but its author (the score still counts).

    Returns False if it was hidden already (nothing recorded then).
    """
    changed = rating_services.set_review_hidden([rating.pk], True)
    rating.review_hidden = True
    if changed:
        rating = Rating.objects.select_related("user", "title").get(pk=rating.pk)
        _record(
            by,
            Verb.HIDE_REVIEW,
            target_for(rating).label,
            reason=_why(case, reason),
            case=case,
            subject=rating.user,
            rating=rating,
        )
    return bool(changed)


@transaction.atomic
def unhide_review(rating: Rating, by, reason: str = "", case: Case | None = None) -> bool:
    """Show a hidden review again. Returns False if it was not hidden."""
    changed = rating_services.set_review_hidden([rating.pk], False)
    rating.review_hidden = False
    if changed:
        rating = Rating.objects.select_related("user", "title").get(pk=rating.pk)
        _record(
            by,
            Verb.UNHIDE_REVIEW,
            target_for(rating).label,
            reason=reason,
            case=case,
            subject=rating.user,
            rating=rating,
        )
    return bool(changed)


@transaction.atomic
def hide_collection(collection: Collection, by, reason: str = "", case: Case | None = None) -> bool:
    """Hide a collection from everyone but its owner. False if it was hidden already."""
    why = _why(case, reason)
    _hidden, created = HiddenCollection.objects.get_or_create(
        collection=collection, defaults={"hidden_by": by, "reason": why}
    )
    if created:
        Collection.objects.filter(pk=collection.pk).update(hidden_by_moderator=True)
        collection.hidden_by_moderator = True
        collection = Collection.objects.select_related("owner").get(pk=collection.pk)
        _record(
            by,
            Verb.HIDE_COLLECTION,
            target_for(collection).label,
            reason=why,
            case=case,
            subject=collection.owner,
            collection=collection,
        )
    return created


@transaction.atomic
def unhide_collection(
    collection: Collection, by, reason: str = "", case: Case | None = None
) -> bool:
    """Show a hidden collection again (if its owner keeps it public)."""
    deleted, _ = HiddenCollection.objects.filter(collection=collection).delete()
    if deleted:
        Collection.objects.filter(pk=collection.pk).update(hidden_by_moderator=False)
        collection.hidden_by_moderator = False
        collection = Collection.objects.select_related("owner").get(pk=collection.pk)
        _record(
            by,
            Verb.UNHIDE_COLLECTION,
            target_for(collection).label,
            reason=reason,
            case=case,
            subject=collection.owner,
            collection=collection,
        )
    return bool(deleted)


def _locked_open(case: Case) -> Case | None:
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or not locked.is_open:
        return None
    return locked


@transaction.atomic
def hide_case_item(case: Case, by, reason: str = "") -> bool:
    """Hide the reported review or collection and resolve the case.

    Profiles cannot be hidden (suspend the member instead). Returns False when the case
    was not open or has nothing that can be hidden.
    """
    locked = _locked_open(case)
    if locked is None:
        return False
    if locked.kind == Kind.REVIEW and locked.rating is not None:
        hide_review(locked.rating, by, reason, case=locked)
    elif locked.kind == Kind.COLLECTION and locked.collection is not None:
        hide_collection(locked.collection, by, reason, case=locked)
    else:
        return False
    _resolve(locked, by, Resolution.HIDDEN, _why(locked, reason))
    _copy(locked, case)
    return True


@transaction.atomic
def restore_case_item(case: Case, by, reason: str = "") -> bool:
    """Show again the item a resolved case had hidden (the decision was wrong)."""
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or locked.resolution != Resolution.HIDDEN:
        return False
    shown = False
    if locked.kind == Kind.REVIEW and locked.rating is not None:
        shown = unhide_review(locked.rating, by, reason, case=locked)
    elif locked.kind == Kind.COLLECTION and locked.collection is not None:
        shown = unhide_collection(locked.collection, by, reason, case=locked)
    locked.resolution = Resolution.RESTORED
    locked.save(update_fields=["resolution"])
    _copy(locked, case)
    return shown


@transaction.atomic
def dismiss_case(case: Case, by, reason: str = "") -> bool:
    """Resolve the case leaving the item as it is. False if it was not open."""
    locked = _locked_open(case)
    if locked is None:
        return False
    _record(
        by,
        Verb.DISMISS,
        locked.label,
        reason=reason,
        case=locked,
        subject=locked.author,
        rating=locked.rating,
        collection=locked.collection,
    )
    _resolve(locked, by, Resolution.DISMISSED, reason)
    _copy(locked, case)
    return True


@transaction.atomic
def suspend_case_author(case: Case, by, reason: str = "") -> bool:
    """Suspend the author of the reported item and resolve the case."""
    locked = _locked_open(case)
    if locked is None or locked.author is None:
        return False
    why = _why(locked, reason)
    suspend(locked.author, by, why or f"Reported: {locked.label}", case=locked)
    _resolve(locked, by, Resolution.SUSPENDED, why)
    _copy(locked, case)
    return True


def _copy(source: Case, target: Case) -> None:
    for field in ("status", "resolved_at", "resolved_by", "resolution", "resolution_note"):
        setattr(target, field, getattr(source, field))


# Suspensions ----------------------------------------------------------------------------


def _lock_member(user) -> None:
    """Lock the member's row (``FOR NO KEY UPDATE``, like ratings.services) so that
    concurrent suspend and lift calls for one member queue up and the flag on the row
    always matches the active ``Suspension``."""
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=user.pk)
        .values_list("pk", flat=True)
    )


def _set_suspended(user, suspended: bool) -> None:
    changed = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .exclude(is_suspended=suspended)
        .update(is_suspended=suspended)
    )
    user.is_suspended = suspended
    if changed:
        # Their reviews disappear from (or come back to) every cached list showing them.
        section_cache.bump(section_cache.MEMBERS, section_cache.CATALOG)


def check_may_suspend(by, user) -> None:
    """Moderators may suspend members, not staff; only a superuser suspends staff."""
    if by is not None and by.pk == user.pk:
        raise PermissionDenied("You cannot suspend yourself.")
    if (user.is_staff or user.is_superuser) and not (by is not None and by.is_superuser):
        raise PermissionDenied("Only a superuser can suspend a staff member.")


@transaction.atomic
def suspend(user, by, reason: str, case: Case | None = None) -> Suspension:
    """Suspend ``user``: they cannot sign in or post, and their reviews and collections
    are hidden publicly. Their ratings stay and still count. Returns the active
    suspension (the existing one if they were suspended already)."""
    check_may_suspend(by, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the member is suspended.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(f"A reason can be at most {REASON_MAX_LENGTH:,} characters.")
    _lock_member(user)
    existing = Suspension.objects.active().filter(user=user).first()
    if existing is not None:
        _set_suspended(user, True)
        return existing
    suspension = Suspension.objects.create(user=user, reason=reason, created_by=by)
    _set_suspended(user, True)
    _record(by, Verb.SUSPEND, f"Account of {user.username}", reason=reason, case=case, subject=user)
    return suspension


@transaction.atomic
def lift_suspension(user, by, reason: str = "") -> bool:
    """End ``user``'s suspension. Returns False if they were not suspended.

    Like suspending, lifting a staff member's suspension is for a superuser only.
    """
    if (user.is_staff or user.is_superuser) and not (by is not None and by.is_superuser):
        raise PermissionDenied("Only a superuser can lift a staff member's suspension.")
    _lock_member(user)
    suspension = Suspension.objects.active().filter(user=user).first()
    if suspension is None:
        _set_suspended(user, False)
        return False
    suspension.lifted_at = timezone.now()
    suspension.lifted_by = by
    suspension.lift_reason = (reason or "").strip()[:REASON_MAX_LENGTH]
    suspension.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    _set_suspended(user, False)
    _record(
        by,
        Verb.LIFT_SUSPENSION,
        f"Account of {user.username}",
        reason=suspension.lift_reason,
        subject=user,
    )
    return True


MODERATOR_PERMISSIONS = [
    ("moderation", "view_case"),
    ("moderation", "change_case"),
    ("moderation", "view_report"),
    ("moderation", "view_moderationaction"),
    ("moderation", "view_suspension"),
    ("moderation", "add_suspension"),
    ("moderation", "change_suspension"),
    ("moderation", "view_hiddencollection"),
    ("ratings", "view_rating"),
    ("collections_app", "view_collection"),
    ("collections_app", "view_collectionitem"),
    ("accounts", "view_user"),
]


def moderators_group() -> Group:
    """The Moderators group (made by migration 0002); made again if it was deleted."""
    group, created = Group.objects.get_or_create(name=MODERATORS_GROUP)
    if created:
        q = Q()
        for app_label, codename in MODERATOR_PERMISSIONS:
            q |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(q))
    return group


@transaction.atomic
def grant_moderator(user) -> None:
    """Make ``user`` a moderator: staff (to sign in to the admin) in the Moderators group."""
    group = moderators_group()
    user.groups.add(group)
    if not user.is_staff:
        get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
        user.is_staff = True


# Audit of changes made elsewhere ------------------------------------------------------


def record_review_visibility(rating: Rating, by, hidden: bool) -> ModerationAction:
    """Log a review hidden or shown on the rating's own admin page (already written)."""
    return _record(
        by,
        Verb.HIDE_REVIEW if hidden else Verb.UNHIDE_REVIEW,
        target_for(rating).label,
        reason="Changed on the rating's admin page.",
        subject=rating.user,
        rating=rating,
    )

"""Reports, the moderation queue (cases), the audit log, suspensions and hidden collections.

Members report an item (a review, a collection or a profile). Reports about one item
gather in one open ``Case``; a moderator resolves the case (hides the item, dismisses
the reports or suspends the author) and every such step is kept as a
``ModerationAction``. Once a case is resolved, a new report about the same item opens a
new case, so each case is one round of reports and one decision.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.urls import reverse

# What the audit log and the queue show for a member whose account was deleted.
DELETED_MEMBER = "deleted member"

DETAILS_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 1000


class Kind(models.TextChoices):
    REVIEW = "review", "Review"
    COLLECTION = "collection", "Collection"
    PROFILE = "profile", "Profile"


class Reason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    ABUSE = "abuse", "Abuse or harassment"
    SPOILERS = "spoilers", "Unmarked spoilers"
    OTHER = "other", "Something else"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Resolution(models.TextChoices):
    HIDDEN = "hidden", "Hidden"
    DISMISSED = "dismissed", "Reports dismissed"
    SUSPENDED = "suspended", "Author suspended"
    RESTORED = "restored", "Hidden, then shown again"


class Case(models.Model):
    """One reported item and the open (or resolved) round of reports about it."""

    kind = models.CharField(max_length=12, choices=Kind.choices)
    rating = models.ForeignKey(
        "ratings.Rating",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_cases",
    )
    collection = models.ForeignKey(
        "collections_app.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_cases",
    )
    profile = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_cases_about_profile",
    )
    # Whose content it is: the one a "suspend the author" action suspends.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_cases_as_author",
    )
    # Snapshots, so the queue still reads sensibly if the item is edited or deleted.
    label = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_cases_resolved",
    )
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        verbose_name = "reported item"
        verbose_name_plural = "moderation queue"
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rating"],
                condition=Q(status="open", rating__isnull=False),
                name="moderation_one_open_case_per_rating",
            ),
            models.UniqueConstraint(
                fields=["collection"],
                condition=Q(status="open", collection__isnull=False),
                name="moderation_one_open_case_per_collection",
            ),
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(status="open", profile__isnull=False),
                name="moderation_one_open_case_per_profile",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-opened_at"], name="moderation_case_queue"),
            models.Index(fields=["author", "status"], name="moderation_case_author"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    @property
    def target(self):
        return {Kind.REVIEW: self.rating, Kind.COLLECTION: self.collection}.get(
            self.kind, self.profile
        )

    def get_admin_url(self) -> str:
        return reverse("admin:moderation_case_change", args=[self.pk])


class Report(models.Model):
    """One member's report of one item. One per member per case (per open round)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_reports"
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    details = models.TextField(max_length=DETAILS_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "reporter"], name="moderation_one_report_per_member_per_case"
            ),
        ]
        indexes = [
            models.Index(fields=["reporter", "-created_at"], name="moderation_report_recent"),
        ]

    def __str__(self) -> str:
        return f"Report by {self.reporter} on {self.case}: {self.get_reason_display()}"


class Verb(models.TextChoices):
    HIDE_REVIEW = "hide_review", "Hid a review"
    UNHIDE_REVIEW = "unhide_review", "Showed a review again"
    HIDE_COLLECTION = "hide_collection", "Hid a collection"
    UNHIDE_COLLECTION = "unhide_collection", "Showed a collection again"
    DISMISS = "dismiss", "Dismissed reports"
    SUSPEND = "suspend", "Suspended a member"
    LIFT_SUSPENSION = "lift_suspension", "Lifted a suspension"


class ModerationAction(models.Model):
    """The audit log: who did what to which item, when and why. Never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions_taken",
    )
    # Kept as text too, so the log still names a moderator whose account is deleted.
    actor_name = models.CharField(max_length=150, blank=True)
    verb = models.CharField(max_length=20, choices=Verb.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    rating = models.ForeignKey(
        "ratings.Rating",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    collection = models.ForeignKey(
        "collections_app.Collection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions_about",
        help_text="The member whose content or account the action concerned.",
    )
    target_label = models.CharField(max_length=300)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "moderation action"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at"], name="moderation_action_recent")]

    def __str__(self) -> str:
        return f"{self.actor_name or 'someone'}: {self.get_verb_display()}: {self.target_label}"


class SuspensionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(lifted_at__isnull=True)


class Suspension(models.Model):
    """A member barred from signing in and posting until a moderator lifts it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions"
    )
    reason = models.TextField(max_length=REASON_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suspensions_made",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suspensions_lifted",
    )
    lift_reason = models.TextField(blank=True)

    objects = SuspensionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(lifted_at__isnull=True),
                name="moderation_one_active_suspension_per_user",
            ),
        ]

    def __str__(self) -> str:
        state = "active" if self.is_active else "lifted"
        return f"Suspension of {self.user} ({state})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class HiddenCollection(models.Model):
    """A collection a moderator has hidden: gone from public lists and pages, kept for
    its owner. Showing it again deletes this row (the audit log keeps the history)."""

    collection = models.OneToOneField(
        "collections_app.Collection", on_delete=models.CASCADE, related_name="moderation_hidden"
    )
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.collection} (hidden)"


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="moderation_user_pre_delete")
def keep_actions_of_deleted_member(sender, instance, **kwargs):
    """The audit log keeps what a deleted member did, as "deleted member" (the foreign
    keys to them are set to NULL by the database cascade; the name kept as text goes
    too). Connected here, with the models, so every deletion path (the member's own,
    the admin's) runs it without a function-level import."""
    ModerationAction.objects.filter(actor_id=instance.pk).update(actor_name=DELETED_MEMBER)
    # The item labels name the author ("Review by ann on Heat"): name nobody instead.
    name = instance.username
    renames = [
        (f"Review by {name} on ", f"Review by {DELETED_MEMBER} on "),
        (f"” by {name}", f"” by {DELETED_MEMBER}"),
        (f"Profile of {name}", f"Profile of {DELETED_MEMBER}"),
    ]
    for old, new in renames:
        Case.objects.filter(author_id=instance.pk, label__contains=old).update(
            label=Replace("label", Value(old), Value(new))
        )
        ModerationAction.objects.filter(subject_id=instance.pk, target_label__contains=old).update(
            target_label=Replace("target_label", Value(old), Value(new))
        )

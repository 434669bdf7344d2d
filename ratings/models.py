from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RatingQuerySet(models.QuerySet):
    def visible(self):
        """Ratings whose review may be shown publicly: not hidden by a moderator and not
        written by a suspended member."""
        return self.filter(review_hidden=False, user__is_suspended=False)

    def with_review(self):
        return self.exclude(review="")

    def shown_to(self, viewer):
        """Ratings whose rater lets ``viewer`` see them (User.visibility: everyone,
        signed-in members, only themselves; staff see all). The same rule as
        User.is_visible_to, in SQL; hidden ratings still count in every average."""
        if viewer.is_authenticated and viewer.is_staff:
            return self
        allowed = ["public", "members"] if viewer.is_authenticated else ["public"]
        shown = Q(user__visibility__in=allowed)
        if viewer.is_authenticated:
            shown |= Q(user_id=viewer.pk)
        return self.filter(shown)


class Rating(models.Model):
    """One user's score for one title. Written only through ratings.services."""

    # No single-column indexes: (user, title) (the unique constraint) and (title,
    # -rated_at) lead with them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings", db_index=False
    )
    title = models.ForeignKey(
        "catalog.Title", on_delete=models.CASCADE, related_name="ratings", db_index=False
    )
    score = models.PositiveSmallIntegerField()
    # floor(100 * (below + equal / 2) / n) over the user's own ratings; NULL while the
    # user has fewer than 5 distinct scores.
    percentile = models.PositiveSmallIntegerField(null=True, blank=True)
    review = models.TextField(blank=True)
    rated_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    review_hidden = models.BooleanField(default=False)

    objects = RatingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "title"], name="rating_unique_user_title"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="rating_score_0_100"
            ),
            models.CheckConstraint(
                condition=Q(percentile__isnull=True) | Q(percentile__gte=0, percentile__lte=99),
                name="rating_percentile_0_99",
            ),
        ]
        indexes = [
            models.Index(fields=["title", "-rated_at"], name="rating_title_recent"),
            models.Index(fields=["user", "score"], name="rating_user_score"),
            models.Index(fields=["user", "-rated_at"], name="rating_user_recent"),
            models.Index(fields=["-rated_at"], name="rating_recent"),
            # The home page's newest shown reviews: without it the newest-ratings index is
            # read past every rating without a review, which grows with the database.
            models.Index(
                fields=["-rated_at"],
                condition=~Q(review="") & Q(review_hidden=False),
                name="rating_recent_review",
            ),
        ]

    def __str__(self) -> str:
        # Readable in the admin and the moderation log: "Review by ann on Interview (2007)".
        if self.review:
            return f"Review by {self.user} on {self.title}"
        return f"Rating by {self.user} on {self.title}: {self.score}"

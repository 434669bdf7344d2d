"""Follows between members, likes on reviews and the notifications they raise.

The activity feed has no table of its own: it reads the followed members' ratings and
collections where they already are (social.selectors.activity_page).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Follow(models.Model):
    """`follower` reads `followee`'s activity on their home page."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_links"
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique_pair"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]
        indexes = [
            models.Index(fields=["followee", "-created_at"], name="follow_followee_recent"),
            models.Index(fields=["follower", "-created_at"], name="follow_follower_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.followee}"


class ReviewLike(models.Model):
    """One member's like of another member's review (a rating with a review)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_likes"
    )
    rating = models.ForeignKey("ratings.Rating", on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "rating"], name="review_like_unique"),
        ]
        indexes = [
            models.Index(fields=["rating", "-created_at"], name="review_like_rating_recent"),
            models.Index(fields=["user", "-created_at"], name="review_like_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.user} likes review {self.rating_id}"


class NotificationKind(models.TextChoices):
    FOLLOW = "follow", "New follower"
    LIKE = "like", "Like on your review"


class Notification(models.Model):
    """Something that happened to `recipient`: a new follower, a like on their review.
    Unread until they open /notifications/; deleted after NOTIFICATION_DAYS."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rating = models.ForeignKey(
        "ratings.Rating", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} from {self.actor}"

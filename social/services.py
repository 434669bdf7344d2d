"""Writes of the social app: follows, likes on reviews, notifications.

Every refusal is a ``ValidationError`` with a ``code`` (the views turn it into a 4xx
with the message) and writes nothing. The hourly like limit
(``settings.MODERATION_LIKES_PER_HOUR``) is checked under a lock of the liker's row,
like the review limit in ratings.services, so two concurrent likes cannot both pass it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ratings.models import Rating
from social.models import Follow, Notification, NotificationKind, ReviewLike

LIKE_LIMIT_WINDOW = timedelta(hours=1)
# Notifications older than this are deleted (when their recipient opens the list, and by
# `manage.py prune_notifications`).
NOTIFICATION_DAYS = 90


def likes_per_hour() -> int:
    """How many reviews a member may like an hour (a setting, like the review limit)."""
    return int(getattr(settings, "MODERATION_LIKES_PER_HOUR", 60))


def _lock_member(user) -> None:
    """Serialise this member's likes until the transaction ends (the row lock that
    ratings.services takes for reviews)."""
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values("pk"))


def _check_active(user) -> None:
    if not user.is_authenticated:
        raise ValidationError("Sign in first.", code="signed_out")
    if user.is_suspended:
        raise ValidationError("Your account is suspended.", code="suspended")


@transaction.atomic
def follow(*, user, target) -> Follow:
    """`user` follows `target` and `target` is notified. Refused: yourself
    (``self_follow``), a member whose profile `user` may not see (``not_visible``), a
    suspended member (``suspended_target``), twice (``already_following``)."""
    _check_active(user)
    if target.pk == user.pk:
        raise ValidationError("You cannot follow yourself.", code="self_follow")
    if target.is_suspended:
        raise ValidationError(f"{target.shown_name} is suspended.", code="suspended_target")
    if target.visibility == get_user_model().Visibility.PRIVATE or not target.is_visible_to(user):
        raise ValidationError(f"{target.shown_name}'s profile is private.", code="not_visible")
    try:
        with transaction.atomic():
            link = Follow.objects.create(follower=user, followee=target)
    except IntegrityError:
        raise ValidationError(
            f"You already follow {target.shown_name}.", code="already_following"
        ) from None
    Notification.objects.create(recipient=target, kind=NotificationKind.FOLLOW, actor=user)
    return link


@transaction.atomic
def unfollow(*, user, target) -> None:
    """Stop following; refused (``not_following``) when `user` did not follow `target`."""
    deleted, _ = Follow.objects.filter(follower_id=user.pk, followee_id=target.pk).delete()
    if not deleted:
        raise ValidationError(f"You do not follow {target.shown_name}.", code="not_following")


def _check_likeable(user, rating: Rating) -> None:
    if rating.user_id == user.pk:
        raise ValidationError("You cannot like your own review.", code="own_review")
    if not rating.review.strip():
        raise ValidationError("Only reviews can be liked, not bare scores.", code="no_review")
    author = rating.user
    if rating.review_hidden or author.is_suspended:
        raise ValidationError("This review is hidden.", code="hidden_review")
    if not author.is_visible_to(user):
        raise ValidationError("This review is private.", code="not_visible")


@transaction.atomic
def like_review(*, user, rating: Rating) -> ReviewLike:
    """`user` likes the review on `rating`; its author is notified. Refused: your own
    review (``own_review``), a bare score (``no_review``), a hidden review or one by a
    suspended member (``hidden_review``), a private one (``not_visible``), twice
    (``already_liked``), past the hourly limit (``too_many_likes``)."""
    _check_active(user)
    _check_likeable(user, rating)
    _lock_member(user)
    if ReviewLike.objects.filter(user_id=user.pk, rating_id=rating.pk).exists():
        raise ValidationError("You already like this review.", code="already_liked")
    limit = likes_per_hour()
    recent = ReviewLike.objects.filter(
        user_id=user.pk, created_at__gte=timezone.now() - LIKE_LIMIT_WINDOW
    ).count()
    if recent >= limit:
        raise ValidationError(
            f"You have liked {limit} reviews in the last hour, the most allowed. Try again later.",
            code="too_many_likes",
        )
    like = ReviewLike.objects.create(user=user, rating=rating)
    Notification.objects.create(
        recipient_id=rating.user_id, kind=NotificationKind.LIKE, actor=user, rating=rating
    )
    return like


@transaction.atomic
def unlike_review(*, user, rating: Rating) -> None:
    """Take a like back (its notification goes too); refused (``not_liked``) if none."""
    deleted, _ = ReviewLike.objects.filter(user_id=user.pk, rating_id=rating.pk).delete()
    if not deleted:
        raise ValidationError("You had not liked this review.", code="not_liked")
    Notification.objects.filter(
        recipient_id=rating.user_id, kind=NotificationKind.LIKE, actor_id=user.pk, rating=rating
    ).delete()


@transaction.atomic
def mark_notifications_read(*, user) -> int:
    """Mark all of `user`'s notifications read (they have seen the list) and delete
    their notifications older than NOTIFICATION_DAYS. Returns how many were unread."""
    Notification.objects.filter(
        recipient_id=user.pk, created_at__lt=timezone.now() - timedelta(days=NOTIFICATION_DAYS)
    ).delete()
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def prune_notifications() -> int:
    """Delete every notification older than NOTIFICATION_DAYS (the worker's command)."""
    cutoff = timezone.now() - timedelta(days=NOTIFICATION_DAYS)
    deleted, _ = Notification.objects.filter(created_at__lt=cutoff).delete()
    return deleted

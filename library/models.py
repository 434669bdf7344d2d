"""A member's watchlist (titles they mean to watch) and diary (dated viewings, rewatches
included). Written only through library.services."""

from django.conf import settings
from django.db import models
from django.utils import timezone

NOTE_MAX_LENGTH = 500


class WatchlistEntry(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist_entries"
    )
    title = models.ForeignKey(
        "catalog.Title", on_delete=models.CASCADE, related_name="watchlist_entries"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "watchlist entries"
        constraints = [
            models.UniqueConstraint(fields=["user", "title"], name="watchlist_unique_user_title"),
        ]
        indexes = [models.Index(fields=["user", "-added_at"], name="watchlist_user_recent")]

    def __str__(self) -> str:
        return f"{self.title} on {self.user}'s watchlist"


class Viewing(models.Model):
    """One viewing of a title on a day; a member may watch a title many times (even
    twice on one day). The rating stays one per title (ratings.Rating)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="viewings"
    )
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="viewings")
    watched_on = models.DateField()
    rewatch = models.BooleanField(default=False)
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-watched_on", "-id"]
        indexes = [
            models.Index(fields=["user", "-watched_on"], name="viewing_user_recent"),
            models.Index(fields=["user", "title"], name="viewing_user_title"),
        ]

    def __str__(self) -> str:
        return f"{self.user} watched {self.title} on {self.watched_on}"

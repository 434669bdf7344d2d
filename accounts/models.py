from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse


class RatingScale(models.TextChoices):
    """Input and display scale. Scores are always stored on 0-100."""

    HUNDRED = "100", "0-100"
    TEN = "10", "1-10"
    STARS = "5", "0.5-5 stars"


class User(AbstractUser):
    display_name = models.CharField(max_length=60, blank=True)
    bio = models.CharField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    rating_scale = models.CharField(
        max_length=3, choices=RatingScale.choices, default=RatingScale.HUNDRED
    )
    # Remembered "Compact view" toggle for lists of ratings and reviews.
    prefers_compact = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.username

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"username": self.username})

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse

from accounts.importers.parsing import FORMAT_LABELS, LETTERBOXD_DIARY, WATCHLIST_FORMATS
from ratings.scales import RatingScale

__all__ = ["ImportBatch", "RatingScale", "User"]


class User(AbstractUser):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Everyone"
        MEMBERS = "members", "Signed-in members"
        PRIVATE = "private", "Only me"

    display_name = models.CharField(max_length=60, blank=True)
    bio = models.CharField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    rating_scale = models.CharField(
        max_length=3, choices=RatingScale.choices, default=RatingScale.HUNDRED
    )
    # Remembered "Compact view" toggle for lists of ratings and reviews.
    prefers_compact = models.BooleanField(default=False)
    # True while a moderation.Suspension of this member is active. Kept in sync by
    # moderation.services (same transaction), so that lower apps (ratings, collections)
    # filter on the row they already join instead of importing moderation.
    is_suspended = models.BooleanField(default=False, db_index=True, editable=False)
    # Who may see the profile, ratings and diary. Private scores still count in
    # averages and percentiles (as a suspended member's do); only the pages hide them.
    visibility = models.CharField(
        max_length=7, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # The watchlist is its owner's alone unless this is set; then it follows visibility.
    watchlist_public = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.username

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def is_visible_to(self, viewer) -> bool:
        """May `viewer` (a user or AnonymousUser) see this member's profile and activity?"""
        if viewer.is_authenticated and (viewer.pk == self.pk or viewer.is_staff):
            return True
        if self.visibility == self.Visibility.PUBLIC:
            return True
        return self.visibility == self.Visibility.MEMBERS and viewer.is_authenticated

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"username": self.username})


class ImportBatch(models.Model):
    """An uploaded ratings file: stored by the upload request, parsed and matched by the
    worker (accounts.tasks), kept between preview and confirm, then written by the
    worker in batches.

    `upload_data` holds the file's bytes until the worker has parsed it (a bytea column:
    it commits with the batch and its queued task, the worker needs no filesystem shared
    with the web processes, and clearing or deleting the row removes the file).
    `rows` holds one dict per file row (accounts.importers.match_rows): what the file
    said, the stored score it maps to, and the matched title or candidates.
    `progress_done` / `progress_total` count rows matched while parsing and ratings
    written while applying; `updated_at` moves with every step, so a running import
    whose worker died is recognised as stale.
    """

    class Status(models.TextChoices):
        PARSING = "parsing", "Reading the file"
        PENDING = "pending", "Waiting for confirmation"
        APPLYING = "applying", "Importing"
        APPLIED = "applied", "Imported"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Could not be read"

    RUNNING = (Status.PARSING, Status.APPLYING)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="import_batches")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    format = models.CharField(max_length=20, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    plain_scale = models.CharField(max_length=3, default="100")
    upload_data = models.BinaryField(null=True, blank=True, editable=False)
    scale_label = models.CharField(max_length=20, blank=True)
    score_suffix = models.CharField(max_length=4, blank=True)
    list_name = models.CharField(max_length=120, blank=True)
    list_description = models.TextField(blank=True)
    rows = models.JSONField(default=list)
    counts = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    replace_existing = models.BooleanField(default=False)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="import_batch_user_recent")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} import by {self.user} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:import-preview", kwargs={"pk": self.pk})

    def get_format_display(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format)

    @property
    def is_list(self) -> bool:
        return self.format == "letterboxd_list"

    @property
    def is_watchlist(self) -> bool:
        return self.format in WATCHLIST_FORMATS

    @property
    def is_diary(self) -> bool:
        return self.format == LETTERBOXD_DIARY

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

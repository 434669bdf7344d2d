"""Precomputed taste tables: compatibility (TCI) per pair, similar titles, predictions.

Pages read these tables; `taste.services` (run by the background worker) writes them.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver

from taste import engine


class Compatibility(models.Model):
    """A pair of users: their TCI (mean absolute difference of their positions over the
    titles both rated, lower = more alike), the TCI shrunk towards the unrelated 33.3 by
    the titles in common (``tci_shrunk``, soulmates are ranked by it) and their agreement
    (``agreement``, the PSI neighbour weight; ``taste.model`` steps 3 and 4). One row per
    pair, ``user_a_id < user_b_id``; a pair with too few titles in common (see
    ``taste.engine.min_common``) has no row."""

    # No single-column indexes: (user_a, user_b) and (user_b, tci_shrunk) lead with them.
    user_a = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    user_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tci = models.FloatField()
    common_count = models.PositiveIntegerField()
    # (common_count * tci + TCI_SHRINK * UNRELATED) / (common_count + TCI_SHRINK)
    tci_shrunk = models.FloatField(db_default=engine.UNRELATED)
    # max(0, rho of residuals) * c / (c + AGREEMENT_SHRINK); 0 = not a neighbour
    agreement = models.FloatField(db_default=0.0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "compatibilities"
        constraints = [
            models.UniqueConstraint(fields=["user_a", "user_b"], name="compatibility_unique_pair"),
            models.CheckConstraint(
                condition=Q(user_a__lt=F("user_b")), name="compatibility_ordered_pair"
            ),
        ]
        indexes = [
            models.Index(fields=["user_a", "tci_shrunk"], name="compatibility_a_shrunk"),
            models.Index(fields=["user_b", "tci_shrunk"], name="compatibility_b_shrunk"),
        ]

    def __str__(self) -> str:
        return f"TCI {self.tci:.1f} over {self.common_count} titles"


class FallbackPosition(models.Model):
    """Where a title sits among the ratings of a user who has no percentiles (fewer than
    5 different scores, e.g. thumbs up/down or a 1-5 star rater who never gave 1): the
    percentile formula applied anyway. Used only to compare tastes (TCI, PSI
    neighbours), never shown as a percentile; needs at least 2 different scores.
    Refreshed with the user's compatibilities. The view ``taste_position`` (migration
    0003) unites these with the stored percentiles."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "title"], name="fallback_position_unique"),
        ]
        indexes = [models.Index(fields=["title"], name="fallback_position_title")]

    def __str__(self) -> str:
        return f"{self.user_id} places {self.title_id} at {self.position}"


class TasteProfile(models.Model):
    """When a user's compatibilities and predictions were last computed, and from what;
    and the user's offset b_u (``taste.model`` step 1: where they place titles compared
    with everyone else)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="taste_profile",
    )
    ratings_count = models.PositiveIntegerField(default=0)
    ratings_updated_at = models.DateTimeField(null=True, blank=True)
    compatible_count = models.PositiveIntegerField(default=0)
    user_offset = models.FloatField(db_default=0.0)
    # x_u (``taste.model`` step 2b): the user's taste factors; NULL until fitted.
    factors = ArrayField(models.FloatField(), null=True, blank=True)
    # The last of the user's best pairs kept (``services.NEIGHBOURS_KEEP`` by agreement,
    # ``SOULMATES_KEEP`` by shrunk TCI; NULL while they have fewer): its number and the
    # other member, from their last refresh or the rebuild. Another member's refresh
    # keeps its pair with this user when it ranks at or above it (``kept_pairs``).
    neighbour_floor = models.FloatField(null=True, blank=True)
    neighbour_floor_id = models.BigIntegerField(null=True, blank=True)
    soulmate_floor = models.FloatField(null=True, blank=True)
    soulmate_floor_id = models.BigIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"taste of {self.user_id} computed {self.computed_at:%Y-%m-%d %H:%M}"


class ChangeKind(models.TextChoices):
    USER = "user", "User's ratings"
    TITLE = "title", "Title's ratings"


class TasteChange(models.Model):
    """Append-only log of rating changes, written by database triggers on the ratings
    table (migration 0002), so every write path (rate, unrate, imports, recomputes, the
    admin) is seen. Appending takes no row lock, so rating writes never wait on it.

    The worker drains the log (``taste.tasks.dispatch_changes``): every user or title
    changed since the last drain gets one refresh, however many changes it had."""

    kind = models.CharField(max_length=5, choices=ChangeKind.choices)
    object_id = models.BigIntegerField()
    changed_at = models.DateTimeField()
    # Logged by a bulk write (an import, a dataset: ratings.services sets the setting
    # ``movies.bulk_write`` for its transaction, the column's database default reads
    # it; migration 0007). Refreshes owed only to bulk changes are queued behind the
    # others, so a member's new rating is not stuck behind an import's backlog.
    bulk = models.BooleanField(default=False, editable=False)

    class Meta:
        indexes = [
            # Dispatch reads the head of the log by id, then the rows of its objects.
            models.Index(fields=["kind", "object_id", "changed_at"], name="taste_change_object"),
            # The head of the changes of single ratings (taken before an import's).
            models.Index(fields=["id"], condition=Q(bulk=False), name="taste_change_interactive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} changed at {self.changed_at}"


class PendingRefresh(models.Model):
    """A refresh owed to a user or title. Written when changes are taken from the log,
    in the same transaction as the task queued for it (``task_id``), and deleted only
    by a refresh that started after the last change it stands for (its ``generation``
    did not move while the refresh ran). So until a refresh has covered every change,
    the marker stays, and the worker's sweep queues a new task for a marker whose task
    is gone (``taste.tasks.requeue_stranded``). While a marker's task is queued or
    running, more changes only bump its generation: that task will queue one more."""

    kind = models.CharField(max_length=5, choices=ChangeKind.choices)
    object_id = models.BigIntegerField()
    # When the object was first marked, and the oldest change the marker stands for.
    queued_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)
    # A new value from the sequence ``taste_pending_generation`` (migration 0005) for
    # every change taken for the object while the marker exists.
    generation = models.BigIntegerField(default=0)
    # The django-tasks result queued to refresh it (a placeholder when the backend
    # queues only on commit, as the immediate backend of the tests does).
    task_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "pending refreshes"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="pending_refresh_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} queued at {self.queued_at}"


class TitleTaste(models.Model):
    """A title's offset b_t (``taste.model`` step 1: where its raters place it beyond their
    own offsets, shrunk towards 0 when they are few) and how many raters with a position
    it was fitted from (n_t)."""

    title = models.OneToOneField(
        "catalog.Title", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    offset = models.FloatField(db_default=0.0)
    # y_t (``taste.model`` step 2b): the title's taste factors; NULL until fitted.
    factors = ArrayField(models.FloatField(), null=True, blank=True)
    raters_count = models.PositiveIntegerField(db_default=0)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"title {self.title_id} offset {self.offset:+.2f} from {self.raters_count}"


class TitleSimilarity(models.Model):
    """Titles whose raters say the same about both beyond the offsets: ``score`` is the
    title-title agreement (``taste.model`` step 4 on title columns), the weight of the
    similar-titles term of a PSI; the best SIMILAR_KEEP per title are kept."""

    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="+")
    similar = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    mean_difference = models.FloatField()
    common_count = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "title similarities"
        constraints = [
            models.UniqueConstraint(fields=["title", "similar"], name="title_similarity_unique"),
        ]
        indexes = [models.Index(fields=["title", "-score"], name="title_similarity_rank")]

    def __str__(self) -> str:
        return f"{self.title_id} ~ {self.similar_id} ({self.score:.2f})"


class Prediction(models.Model):
    """A user's PSI for a title they have not rated, precomputed for the recommendations
    page (the title page computes its PSI live with the same arithmetic), with its terms:
    ``percentile`` q = clip(49.5 + user_offset + title_offset + factor_adjustment +
    neighbour_adjustment + similar_adjustment, 0, 99); ``score`` the PSI on 0-100;
    ``low``..``high`` its range; ``spread`` s and ``support`` behind the range and
    ``rank_key`` = q - 30 s (1 - support), the order of the recommendations."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="+")
    percentile = models.FloatField()
    score = models.FloatField()
    neighbours_count = models.PositiveSmallIntegerField()
    title_offset = models.FloatField(db_default=0.0)
    user_offset = models.FloatField(db_default=0.0)
    factor_adjustment = models.FloatField(db_default=0.0)
    neighbour_adjustment = models.FloatField(db_default=0.0)
    similar_adjustment = models.FloatField(db_default=0.0)
    spread = models.FloatField(db_default=0.0)
    support = models.FloatField(db_default=0.0)
    low = models.FloatField(db_default=0.0)
    high = models.FloatField(db_default=0.0)
    rank_key = models.FloatField(db_default=0.0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "title"], name="prediction_unique"),
        ]
        indexes = [models.Index(fields=["user", "-rank_key"], name="prediction_user_rank_key")]

    def __str__(self) -> str:
        return f"PSI {self.score:.0f} for {self.user_id} on {self.title_id}"

    @property
    def rounded(self) -> int:
        return engine.rounded(self.score)

    @property
    def low_rounded(self) -> int:
        return engine.rounded(self.low)

    @property
    def high_rounded(self) -> int:
        return engine.rounded(self.high)


class ShownPrediction(models.Model):
    """The PSI a user was last shown for a title before rating it; kept after they rate
    so the title page can say "Your PSI was 78" and the profile can measure accuracy."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    percentile = models.FloatField()
    shown_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "title"], name="shown_prediction_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} was shown PSI {self.score:.0f} for {self.title_id}"

    @property
    def rounded(self) -> int:
        return engine.rounded(self.score)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="taste_user_post_delete")
def forget_deleted_user(sender, instance, **kwargs):
    """A deleted member leaves no row behind: the change log's and the pending markers'
    entries for them go with the account (their ratings' title changes stay, so the
    titles they rated are refreshed). Here rather than in a signals module so that no
    function-level import is needed to connect it (models are loaded with the app)."""
    TasteChange.objects.filter(kind=ChangeKind.USER, object_id=instance.pk).delete()
    PendingRefresh.objects.filter(kind=ChangeKind.USER, object_id=instance.pk).delete()

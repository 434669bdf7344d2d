from django.conf import settings
from django.db import models
from django.urls import reverse

# Limits shown to people in form errors; the services enforce them.
NAME_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 300
MAX_ITEMS = 5000


class CollectionQuerySet(models.QuerySet):
    def public(self):
        """Published by their owner, not hidden by a moderator, owner not suspended."""
        return self.filter(is_public=True, hidden_by_moderator=False, owner__is_suspended=False)


class Collection(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    slug = models.SlugField(max_length=140)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    is_public = models.BooleanField(default=True)
    # True while a moderation.HiddenCollection row exists for it; kept in sync by
    # moderation.services in the same transaction (public() filters on it).
    hidden_by_moderator = models.BooleanField(
        "hidden by a moderator", default=False, editable=False
    )
    # Number of items, maintained by collections_app.services under the collection's row
    # lock, so lists can show and sort by size without counting per row.
    items_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    titles = models.ManyToManyField(
        "catalog.Title", through="CollectionItem", related_name="collections"
    )

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["is_public", "-updated_at"]),
            models.Index(fields=["owner", "-updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(items_count__lte=MAX_ITEMS), name="collection_items_count_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("collections:collection-detail", kwargs={"pk": self.pk, "slug": self.slug})


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    title = models.ForeignKey(
        "catalog.Title", on_delete=models.CASCADE, related_name="collection_items"
    )
    # 1..n without gaps within a collection (collections_app.services keeps it dense).
    position = models.PositiveIntegerField()
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collection", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "title"], name="collection_item_unique_title"
            ),
            # Checked at the end of each statement (not row by row), so one UPDATE can
            # shift a run of positions by one.
            models.UniqueConstraint(
                fields=["collection", "position"],
                name="collection_item_unique_position",
                deferrable=models.Deferrable.IMMEDIATE,
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="collection_item_position_positive"
            ),
        ]
        indexes = [models.Index(fields=["title", "collection"])]

    def __str__(self) -> str:
        return f"{self.title} in {self.collection}"

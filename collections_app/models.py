from django.conf import settings
from django.db import models
from django.urls import reverse


class CollectionQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)


class Collection(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    description = models.TextField(max_length=2000, blank=True)
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    titles = models.ManyToManyField(
        "catalog.Title", through="CollectionItem", related_name="collections"
    )

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["is_public", "-updated_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("collections:collection-detail", kwargs={"pk": self.pk, "slug": self.slug})


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    title = models.ForeignKey(
        "catalog.Title", on_delete=models.CASCADE, related_name="collection_items"
    )
    position = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collection", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "title"], name="collection_item_unique_title"
            ),
        ]
        indexes = [models.Index(fields=["collection", "position"])]

    def __str__(self) -> str:
        return f"{self.title} in {self.collection}"

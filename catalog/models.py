from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.text import slugify

from catalog.search import name_trigrams, search_text
from core import cache as section_cache


class Genre(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    name = models.CharField(max_length=200)
    imdb_id = models.CharField(max_length=12, unique=True, null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    death_year = models.PositiveSmallIntegerField(null=True, blank=True)
    photo = models.ImageField(upload_to="people/", blank=True)
    # Searched like titles (see catalog.search): the normalised name and its trigrams,
    # kept by save() and by import_imdb's people merge.
    search_name = models.CharField(max_length=200, blank=True, editable=False, db_default="")
    name_trigrams = ArrayField(
        models.CharField(max_length=3),
        default=list,
        blank=True,
        editable=False,
        db_default=Value([], output_field=ArrayField(models.CharField(max_length=3))),
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        indexes = [
            models.Index(fields=["name"]),
            GinIndex(fields=["name_trigrams"], name="person_name_trigrams"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = search_text(self.name)[:200]
        self.name_trigrams = name_trigrams(self.search_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name", "name_trigrams"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalog:person-detail", kwargs={"pk": self.pk, "slug": self.slug})

    @property
    def slug(self) -> str:
        return slugify(self.name)[:80] or "person"


class TitleKind(models.TextChoices):
    FILM = "film", "Film"
    TV_SERIES = "tv_series", "TV series"
    MINI_SERIES = "mini_series", "Mini-series"
    SHORT = "short", "Short"
    TV_FILM = "tv_film", "TV film"


RATING_AGGREGATE_FIELDS = frozenset({"ratings_count", "percentile_sum", "percentile_count"})


class Title(models.Model):
    kind = models.CharField(max_length=12, choices=TitleKind.choices, default=TitleKind.FILM)
    name = models.CharField(max_length=300)
    original_name = models.CharField(max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    runtime_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    synopsis = models.TextField(blank=True)
    poster = models.ImageField(upload_to="posters/", blank=True)
    # Renditions written by catalog.services.save_poster (never uploaded directly).
    poster_list = models.ImageField(upload_to="posters/list/", blank=True, editable=False)
    poster_page = models.ImageField(upload_to="posters/page/", blank=True, editable=False)
    trailer_url = models.URLField(blank=True)
    imdb_id = models.CharField(max_length=12, unique=True, null=True, blank=True)
    slug = models.SlugField(max_length=120)
    genres = models.ManyToManyField(Genre, related_name="titles", blank=True)
    people = models.ManyToManyField(Person, through="Credit", related_name="titles")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Search without pg_trgm/unaccent: the names normalised in Python (lowercase, accents
    # stripped, punctuation to spaces), a 'simple' full-text vector of that, and the
    # normalised name's trigrams in a GIN-indexed array (overlap `&&` is indexable).
    # Kept current by save() and by import_imdb.
    search_name = models.CharField(max_length=610, blank=True, editable=False)
    search_vector = models.GeneratedField(
        expression=SearchVector("search_name", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    name_trigrams = ArrayField(
        models.CharField(max_length=3), default=list, blank=True, editable=False
    )

    # Rating aggregates, maintained only by ratings.services in the same transaction
    # as every rating write. Sum and count are exact integers so deltas never drift;
    # the average is derived by PostgreSQL (stored generated column, indexable).
    ratings_count = models.PositiveIntegerField(default=0)
    percentile_sum = models.BigIntegerField(default=0)
    percentile_count = models.PositiveIntegerField(default=0)
    avg_percentile = models.GeneratedField(
        expression=Case(
            When(percentile_count=0, then=None),
            default=Cast(F("percentile_sum"), FloatField())
            / Cast(F("percentile_count"), FloatField()),
        ),
        output_field=FloatField(null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["name", "year"]
        indexes = [
            models.Index(fields=["-ratings_count"]),
            models.Index(fields=["-avg_percentile"]),
            # Browse's "highest average percentile" order (DESC NULLS LAST), read in order.
            models.Index(
                F("avg_percentile").desc(nulls_last=True),
                F("ratings_count").desc(),
                "id",
                name="title_percentile_order",
            ),
            models.Index(fields=["year"]),
            # Browse's "newest" and "name" orders, read in order (a filter such as a kind
            # then stops after a page instead of sorting every title).
            models.Index(F("year").desc(nulls_last=True), "name", "id", name="title_newest_order"),
            models.Index(fields=["name", "year", "id"], name="title_name_order"),
            GinIndex(fields=["search_vector"], name="title_search_vector"),
            GinIndex(fields=["name_trigrams"], name="title_name_trigrams"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentile_count__lte=F("ratings_count")),
                name="title_percentile_count_le_ratings_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})" if self.year else self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(f"{self.name} {self.year or ''}")[:120] or "title"
        self.refresh_search_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "original_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name", "name_trigrams"}
        elif update_fields is None and not self._state.adding:
            # The rating aggregates are written only by ratings.services, under row locks;
            # saving an instance loaded earlier (an admin form) must not write stale ones back.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and not field.generated
                and field.name not in RATING_AGGREGATE_FIELDS
            ]
        super().save(*args, **kwargs)
        self.mark_changed()

    def get_absolute_url(self) -> str:
        return reverse("catalog:title-detail", kwargs={"pk": self.pk, "slug": self.slug})

    def delete(self, *args, **kwargs):
        pk = self.pk
        result = super().delete(*args, **kwargs)
        section_cache.titles_changed([pk])
        return result

    def mark_changed(self) -> None:
        """An edit (fields, poster, and in the admin the genres, credits and links saved
        in the same transaction): the title's cached sections and the shared lists are
        recomputed on the next request."""
        section_cache.titles_changed([self.pk])

    def refresh_search_fields(self) -> None:
        self.search_name = search_text(self.name, self.original_name)
        self.name_trigrams = name_trigrams(self.search_name)

    @property
    def runtime_display(self) -> str:
        if not self.runtime_minutes:
            return ""
        hours, minutes = divmod(self.runtime_minutes, 60)
        if hours and minutes:
            return f"{hours}h {minutes}m"
        return f"{hours}h" if hours else f"{minutes}m"


class TitleTrigram(models.Model):
    """One row per trigram of a title's ``name_trigrams``, kept by a database trigger on
    the title table (every path that writes titles, the admin and import_imdb alike).

    Typo search finds the titles sharing at least half of the query's trigrams with one
    index-only scan of the query's trigrams, grouped by title, instead of counting the
    shared trigrams of every title whose array merely overlaps (thousands of candidates
    for a common trigram such as " in")."""

    trigram = models.CharField(max_length=3)
    title = models.ForeignKey(
        Title, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["trigram", "title"], name="title_trigram_lookup")]

    def __str__(self) -> str:
        return f"{self.trigram!r} of {self.title_id}"


class TrigramFrequency(models.Model):
    """How many titles have each trigram (the rows of ``TitleTrigram`` per trigram), read
    by typo search to probe the rarest of a query's trigrams first (see
    catalog.selectors.MATCHING_TITLES_SQL). Only a hint for speed, never for results: it
    is rebuilt by ``catalog.services.refresh_trigram_frequencies`` (the migration, every
    IMDb import, the worker every hour), and a trigram missing from it counts as rare."""

    trigram = models.CharField(max_length=3, primary_key=True)
    titles = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.trigram!r} in {self.titles} titles"


class CreditRole(models.TextChoices):
    DIRECTOR = "director", "Director"
    WRITER = "writer", "Writer"
    CAST = "cast", "Cast"


class Credit(models.Model):
    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="credits")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="credits")
    role = models.CharField(max_length=10, choices=CreditRole.choices)
    order = models.PositiveSmallIntegerField(default=0)
    character = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["role", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["title", "person", "role"], name="credit_unique_title_person_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) in {self.title}"


class WatchKind(models.TextChoices):
    STREAM = "stream", "Stream"
    RENT = "rent", "Rent"
    BUY = "buy", "Buy"


class WatchLink(models.Model):
    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="watch_links")
    provider = models.CharField(max_length=80)
    url = models.URLField()
    kind = models.CharField(max_length=6, choices=WatchKind.choices, default=WatchKind.STREAM)

    class Meta:
        ordering = ["kind", "provider"]

    def __str__(self) -> str:
        return f"{self.provider} ({self.get_kind_display()}) for {self.title}"

import contextlib

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast, Coalesce
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


RATING_AGGREGATE_FIELDS = ("ratings_count", "percentile_sum", "percentile_count")


def _aggregate_key(name: str) -> str:
    return f"_aggregate_{name}"


def aggregate_attribute(name: str, empty) -> property:
    """One of a title's rating aggregates as a property of ``Title``.

    ``Title.objects`` annotates the value under the same name (Django sets it through
    the setter, as ``Title(ratings_count=3)`` does); a title loaded without the
    annotation (``select_related("title")``, ``rating.title``) reads its ``stats`` row on
    first access (no query when the query selected ``title__stats`` too); a title
    without a stats row reads 0 (None for the average)."""
    key = _aggregate_key(name)

    def read(title):
        try:
            return title.__dict__[key]
        except KeyError:
            pass
        value = empty
        if title.pk is not None:
            with contextlib.suppress(TitleStats.DoesNotExist):
                value = getattr(title.stats, name)
        title.__dict__[key] = value
        return value

    def write(title, value) -> None:
        title.__dict__[key] = value

    # The admin's change list sorts by the annotation of the same name.
    read.admin_order_field = name
    read.short_description = name.replace("_", " ")
    return property(read, write)


class TitleManager(models.Manager):
    """Every title with its rating aggregates read from its stats row (LEFT JOIN, so a
    title without one reads 0 and None), under the names readers order and filter by."""

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(
                ratings_count=Coalesce(F("stats__ratings_count"), 0),
                percentile_sum=Coalesce(F("stats__percentile_sum"), 0),
                percentile_count=Coalesce(F("stats__percentile_count"), 0),
                avg_percentile=F("stats__avg_percentile"),
            )
        )


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

    # Rating aggregates live in TitleStats (below), a narrow row per title, so a rating
    # write never rewrites this wide row with its GIN indexes. ``Title.objects``
    # annotates them (``ratings_count``, ``percentile_sum``, ``percentile_count``,
    # ``avg_percentile``) from it, so readers order and filter by those names; a title
    # reached another way (select_related, a related object) reads its ``stats`` row.
    ratings_count = aggregate_attribute("ratings_count", 0)
    percentile_sum = aggregate_attribute("percentile_sum", 0)
    percentile_count = aggregate_attribute("percentile_count", 0)
    avg_percentile = aggregate_attribute("avg_percentile", None)

    objects = TitleManager()

    class Meta:
        ordering = ["name", "year"]
        indexes = [
            models.Index(fields=["year"]),
            # Browse's "newest" and "name" orders, read in order (a filter such as a kind
            # then stops after a page instead of sorting every title).
            models.Index(F("year").desc(nulls_last=True), "name", "id", name="title_newest_order"),
            models.Index(fields=["name", "year", "id"], name="title_name_order"),
            GinIndex(fields=["search_vector"], name="title_search_vector"),
            GinIndex(fields=["name_trigrams"], name="title_name_trigrams"),
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
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            self._save_initial_aggregate()
        self.mark_changed()

    def get_absolute_url(self) -> str:
        return reverse("catalog:title-detail", kwargs={"pk": self.pk, "slug": self.slug})

    def delete(self, *args, **kwargs):
        pk = self.pk
        result = super().delete(*args, **kwargs)
        section_cache.titles_edited([pk])
        return result

    def _save_initial_aggregate(self) -> None:
        """A new title's stats row is inserted by the database trigger (every path that
        inserts titles: bulk_create, import_imdb); aggregates given to the constructor
        (fixtures: ``Title(ratings_count=3, ...)``) are written into it. Later the
        aggregates are written only by ratings.services, under row locks."""
        given = {
            name: self.__dict__[_aggregate_key(name)]
            for name in RATING_AGGREGATE_FIELDS
            if self.__dict__.get(_aggregate_key(name))
        }
        if given:
            TitleStats.objects.filter(title_id=self.pk).update(**given)
            self.refresh_aggregate()
        else:
            for name in RATING_AGGREGATE_FIELDS:
                setattr(self, name, 0)
            self.avg_percentile = None

    def refresh_aggregate(self) -> None:
        """Forget the aggregate read with this object: the next access reads it again."""
        for name in (*RATING_AGGREGATE_FIELDS, "avg_percentile"):
            self.__dict__.pop(_aggregate_key(name), None)
        if Title.stats.is_cached(self):
            Title.stats.related.delete_cached_value(self)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        aggregates = {*RATING_AGGREGATE_FIELDS, "avg_percentile"}
        if fields is not None:
            asked = set(fields)
            fields = [name for name in fields if name not in aggregates]
            if asked & aggregates:
                self.refresh_aggregate()
            if not fields:
                return
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None:
            self.refresh_aggregate()

    def mark_changed(self) -> None:
        """An edit (fields, poster, and in the admin the genres, credits and links saved
        in the same transaction): the title's cached sections and the shared lists are
        recomputed on the next request."""
        section_cache.titles_edited([self.pk])

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


class TitleStats(models.Model):
    """A title's rating aggregates, maintained only by ratings.services in the same
    transaction as every rating write. Sum and count are exact integers so deltas never
    drift; the average is derived by PostgreSQL (stored generated column).

    A narrow row of its own, apart from the wide title row with its GIN indexes: a
    rating write updates only this table, and since none of its columns is indexed
    but the two sort orders (see Meta), its fillfactor leaves room on each page for new
    row versions, and no GIN index is ever touched. A database trigger inserts the row of every new
    title, and the foreign key deletes it with the title (migration 0005)."""

    title = models.OneToOneField(
        Title,
        primary_key=True,
        on_delete=models.DO_NOTHING,  # ON DELETE CASCADE in the database (migration 0005)
        db_constraint=False,
        related_name="stats",
    )
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
        verbose_name_plural = "title stats"
        # Browse's two rating orders and the home page's top titles read their first page
        # from these (flat in the catalogue's size). An update that moves a title's count
        # or average touches them, and so is not HOT, but it touches only these two small
        # B-trees, never the title row's ten indexes and its two GIN indexes.
        indexes = [
            models.Index(F("ratings_count").desc(), "title", name="titlestats_most_rated"),
            models.Index(
                F("avg_percentile").desc(nulls_last=True),
                F("ratings_count").desc(),
                "title",
                name="titlestats_top_percentile",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentile_count__lte=F("ratings_count")),
                name="title_percentile_count_le_ratings_count",
            ),
        ]

    def __str__(self) -> str:
        return f"Aggregates of title {self.title_id}"


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

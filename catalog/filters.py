"""Browse filters for /titles/: every filter lives in the query string."""

import django_filters
from django import forms
from django.db.models import F

from catalog.models import Genre, Title, TitleKind
from catalog.selectors import title_search
from core.sorting import Sorts

# "relevance" (offered with a query) orders by search rank, outside these orderings.
SORTS = Sorts(
    {
        # The rating orders name the stats row's own columns (not the title's
        # annotations) so that their first page is read from the stats indexes.
        "ratings": ("Most ratings", [F("stats__ratings_count").desc(), "name", "id"]),
        "percentile": (
            "Highest average percentile",
            [
                F("stats__avg_percentile").desc(nulls_last=True),
                F("stats__ratings_count").desc(),
                "id",
            ],
        ),
        "newest": ("Newest", [F("year").desc(nulls_last=True), "name", "id"]),
        "oldest": ("Oldest", [F("year").asc(nulls_last=True), "name", "id"]),
        "name": ("Name", ["name", "year", "id"]),
    },
    default="ratings",
)
SORT_CHOICES = [("relevance", "Best match"), *SORTS.choices]


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class TitleFilterForm(forms.Form):
    RANGES = [
        ("year_min", "year_max", "year"),
        ("runtime_min", "runtime_max", "runtime"),
        ("percentile_min", "percentile_max", "average percentile"),
    ]

    def clean(self):
        cleaned = super().clean()
        for low, high, label in self.RANGES:
            minimum, maximum = cleaned.get(low), cleaned.get(high)
            if minimum is not None and maximum is not None and minimum > maximum:
                self.add_error(high, f"The highest {label} must not be below the lowest.")
        return cleaned


class TitleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title, even misspelt"}),
    )
    kind = django_filters.ChoiceFilter(choices=TitleKind.choices, empty_label="Any kind")
    genres = django_filters.ModelMultipleChoiceFilter(
        field_name="genres__slug",
        to_field_name="slug",
        queryset=Genre.objects.order_by("name"),
        conjoined=True,
        widget=forms.CheckboxSelectMultiple,
        label="Genres",
    )
    year_min = IntegerFilter(
        field_name="year", lookup_expr="gte", label="Year from", min_value=1870, max_value=2100
    )
    year_max = IntegerFilter(
        field_name="year", lookup_expr="lte", label="Year to", min_value=1870, max_value=2100
    )
    runtime_min = IntegerFilter(
        field_name="runtime_minutes",
        lookup_expr="gte",
        label="Runtime from (min)",
        min_value=0,
        max_value=6000,
    )
    runtime_max = IntegerFilter(
        field_name="runtime_minutes",
        lookup_expr="lte",
        label="Runtime to (min)",
        min_value=0,
        max_value=6000,
    )
    min_ratings = IntegerFilter(
        field_name="ratings_count",
        lookup_expr="gte",
        label="At least N ratings",
        min_value=0,
        max_value=10_000_000,
    )
    percentile_min = django_filters.NumberFilter(
        field_name="avg_percentile",
        lookup_expr="gte",
        label="Avg percentile from",
        min_value=0,
        max_value=100,
    )
    percentile_max = django_filters.NumberFilter(
        field_name="avg_percentile",
        lookup_expr="lte",
        label="Avg percentile to",
        min_value=0,
        max_value=100,
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", empty_label=None, label="Sort by"
    )

    class Meta:
        model = Title
        fields: list[str] = []
        form = TitleFilterForm

    def filter_q(self, queryset, name, value):
        return title_search(queryset, value) if value.strip() else queryset

    def filter_sort(self, queryset, name, value):
        # Ordering is applied once, in filter_queryset, after every filter has run.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") if self.is_bound else None
        has_query = (
            bool((self.form.cleaned_data.get("q") or "").strip()) if self.is_bound else False
        )
        if sort == "relevance" or (not sort and has_query):
            if has_query:
                return queryset.order_by(F("search_rank").desc(), F("ratings_count").desc(), "id")
            sort = "ratings"
        # Every title has its stats row (a trigger inserts it): asking for it makes the
        # join an inner one, which lets the planner start from the stats indexes.
        return queryset.filter(stats__isnull=False).order_by(*SORTS.order_by(sort))

    @property
    def active_sort(self) -> str:
        sort = self.form.cleaned_data.get("sort") if self.form.is_valid() else ""
        has_query = bool((self.data.get("q") or "").strip())
        if sort:
            return sort
        return "relevance" if has_query else "ratings"

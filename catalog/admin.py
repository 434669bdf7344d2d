from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.html import format_html

from catalog import services
from catalog.forms import TitleAdminForm
from catalog.models import Credit, Genre, Person, Title, WatchLink
from catalog.selectors import title_search
from core.widgets import SafeAutocompleteAdminMixin


class CreditInline(SafeAutocompleteAdminMixin, admin.TabularInline):
    model = Credit
    extra = 1
    autocomplete_fields = ["person"]
    fields = ["person", "role", "order", "character"]


# Django 6 changes the default scheme of typed URLs to https; use it now.
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


class WatchLinkInline(admin.TabularInline):
    model = WatchLink
    formfield_overrides = URL_OVERRIDES
    extra = 1
    fields = ["kind", "provider", "url"]


@admin.register(Title)
class TitleAdmin(admin.ModelAdmin):
    form = TitleAdminForm
    list_display = [
        "name", "year", "kind", "runtime_display", "ratings_count", "avg_percentile_display",
        "has_poster", "imdb_id",
    ]  # fmt: skip
    list_filter = ["kind", "genres", ("poster", admin.EmptyFieldListFilter), "year"]
    search_fields = ["name", "original_name", "imdb_id"]
    search_help_text = "Typos and missing accents are forgiven; an IMDb id (tt…) matches exactly."
    prepopulated_fields = {"slug": ["name", "year"]}
    filter_horizontal = ["genres"]
    readonly_fields = [
        "poster_preview", "ratings_count", "percentile_count", "avg_percentile", "created_at",
        "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["kind", "name", "original_name", "slug", "year", "runtime_minutes"]}),
        ("About", {"fields": ["synopsis", "genres", "imdb_id", "trailer_url"]}),
        ("Poster", {"fields": ["poster", "poster_preview"]}),
        (
            "Ratings (maintained by the site)",
            {
                "classes": ["collapse"],
                "fields": [
                    "ratings_count",
                    "percentile_count",
                    "avg_percentile",
                    "created_at",
                    "updated_at",
                ],  # fmt: skip
            },
        ),
    ]
    inlines = [CreditInline, WatchLinkInline]
    list_per_page = 50
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """The site's typo- and accent-tolerant search; IMDb ids match exactly."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith("tt") and term[2:].isdigit():
            return queryset.filter(imdb_id=term), False
        return title_search(queryset, term), False

    @admin.display(description="Avg percentile", ordering="avg_percentile")
    def avg_percentile_display(self, obj: Title) -> str:
        return "–" if obj.avg_percentile is None else f"{obj.avg_percentile:.2f}%"

    @admin.display(description="Poster", boolean=True)
    def has_poster(self, obj: Title) -> bool:
        return bool(obj.poster)

    @admin.display(description="Preview")
    def poster_preview(self, obj: Title) -> str:
        image = obj.poster_list or obj.poster
        if not image:
            return "No poster: pages show a drawn placeholder."
        return format_html('<img src="{}" alt="" width="100" height="150">', image.url)

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data.get("poster")
        new_upload = "poster" in form.changed_data and isinstance(upload, UploadedFile)
        cleared = "poster" in form.changed_data and not upload
        if new_upload or cleared:
            # save_poster/remove_poster own the poster fields (original and renditions).
            obj.poster = form.initial.get("poster") or ""
        super().save_model(request, obj, form, change)
        if new_upload:
            services.save_poster(obj, upload)
        elif cleared:
            services.remove_poster(obj)


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "birth_year", "death_year", "imdb_id"]
    search_fields = ["name", "imdb_id"]
    list_filter = [("death_year", admin.EmptyFieldListFilter)]
    show_full_result_count = False


@admin.register(Credit)
class CreditAdmin(SafeAutocompleteAdminMixin, admin.ModelAdmin):
    list_display = ["person", "role", "title", "order", "character"]
    list_filter = ["role"]
    search_fields = ["person__name", "title__name", "character"]
    autocomplete_fields = ["person", "title"]
    list_select_related = ["person", "title"]
    show_full_result_count = False


@admin.register(WatchLink)
class WatchLinkAdmin(SafeAutocompleteAdminMixin, admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["title", "provider", "kind", "url"]
    list_filter = ["kind", "provider"]
    search_fields = ["title__name", "provider", "url"]
    autocomplete_fields = ["title"]
    list_select_related = ["title"]

"""Read-only views of the taste tables (they are recomputed, never edited by hand)."""

from django.contrib import admin

from taste.models import Compatibility, PendingRefresh, TasteProfile, TitleSimilarity


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Compatibility)
class CompatibilityAdmin(ReadOnlyAdmin):
    list_display = ("user_a", "user_b", "tci", "common_count", "computed_at")
    list_select_related = ("user_a", "user_b")
    search_fields = ("user_a__username", "user_b__username")
    ordering = ("tci",)


@admin.register(TasteProfile)
class TasteProfileAdmin(ReadOnlyAdmin):
    list_display = ("user", "ratings_count", "compatible_count", "computed_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)


@admin.register(TitleSimilarity)
class TitleSimilarityAdmin(ReadOnlyAdmin):
    list_display = ("title", "similar", "score", "mean_difference", "common_count")
    list_select_related = ("title", "similar")
    search_fields = ("title__name",)


@admin.register(PendingRefresh)
class PendingRefreshAdmin(ReadOnlyAdmin):
    list_display = ("kind", "object_id", "queued_at", "changed_at", "generation", "task_id")
    list_filter = ("kind",)

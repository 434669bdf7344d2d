from django.contrib import admin, messages
from django.db.models import QuerySet

from collections_app.models import Collection, CollectionItem


class CollectionItemInline(admin.TabularInline):
    """Items in order. Titles and positions change only through the site's own pages (the
    services keep positions dense and counts right); moderators may edit notes."""

    model = CollectionItem
    fields = ("position", "title", "note", "added_at")
    readonly_fields = ("position", "title", "added_at")
    ordering = ("position",)
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("title")


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_public", "items_count", "updated_at", "created_at")
    list_filter = ("is_public", "updated_at", "created_at")
    search_fields = ("name", "description", "owner__username", "owner__display_name")
    list_select_related = ("owner",)
    readonly_fields = ("slug", "items_count", "created_at", "updated_at")
    raw_id_fields = ("owner",)
    date_hierarchy = "updated_at"
    inlines = [CollectionItemInline]
    actions = ["unpublish", "publish"]

    @admin.action(description="Unpublish selected collections (make them private)")
    def unpublish(self, request, queryset: QuerySet[Collection]) -> None:
        changed = queryset.filter(is_public=True).update(is_public=False)
        self.message_user(
            request,
            f"Unpublished {changed} collection{'s' if changed != 1 else ''}.",
            messages.SUCCESS,
        )

    @admin.action(description="Publish selected collections")
    def publish(self, request, queryset: QuerySet[Collection]) -> None:
        changed = queryset.filter(is_public=False).update(is_public=True)
        self.message_user(
            request,
            f"Published {changed} collection{'s' if changed != 1 else ''}.",
            messages.SUCCESS,
        )


@admin.register(CollectionItem)
class CollectionItemAdmin(admin.ModelAdmin):
    """Read-mostly list of every entry, to find where a title is collected."""

    list_display = ("title", "collection", "position", "note", "added_at")
    list_filter = ("added_at", "collection__is_public")
    search_fields = ("title__name", "collection__name", "note")
    list_select_related = ("title", "collection")
    readonly_fields = ("collection", "title", "position", "added_at")
    fields = ("collection", "title", "position", "note", "added_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

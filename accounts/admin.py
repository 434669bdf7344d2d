from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import ImportBatch, User
from accounts.services import account_delete


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            "Profile",
            {
                "fields": (
                    "display_name",
                    "bio",
                    "avatar",
                    "rating_scale",
                    "prefers_compact",
                    "visibility",
                    "watchlist_public",
                )
            },
        ),
    )
    list_display = ("username", "email", "display_name", "is_staff", "is_active", "date_joined")

    # Moderators' and admins' deletions go through the member's own path
    # (accounts.services.account_delete): ratings through the percentile service, the
    # rest by cascade, moderation records kept as "deleted member".
    def delete_model(self, request, obj):
        account_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset.order_by("pk"):
            account_delete(user=user)

    def get_deleted_objects(self, objs, request):
        """The summary of what goes, without asking for delete permission on the rows
        that go with the account (reports, read-only in their own admin): whoever may
        delete a member deletes them whole, as the member can themselves."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Imports are read-only here: they change only through the member's preview page."""

    list_display = ("user", "format", "filename", "status", "created_at", "applied_at")
    list_filter = ("status", "format")
    search_fields = ("user__username", "filename")
    date_hierarchy = "created_at"
    exclude = ("rows",)

    def get_queryset(self, request):
        # The stored file (up to MAX_IMPORT_BYTES) and the parsed rows are never shown.
        return super().get_queryset(request).defer("rows", "upload_data")

    readonly_fields = (
        "user",
        "status",
        "format",
        "filename",
        "scale_label",
        "score_suffix",
        "list_name",
        "list_description",
        "counts",
        "result",
        "error",
        "plain_scale",
        "replace_existing",
        "progress_done",
        "progress_total",
        "created_at",
        "updated_at",
        "applied_at",
    )
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

from django.contrib import admin

from library.models import Viewing, WatchlistEntry


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(admin.ModelAdmin):
    list_display = ("user", "title", "added_at")
    raw_id_fields = ("user", "title")
    search_fields = ("user__username", "title__name")


@admin.register(Viewing)
class ViewingAdmin(admin.ModelAdmin):
    list_display = ("user", "title", "watched_on", "rewatch")
    list_filter = ("rewatch",)
    raw_id_fields = ("user", "title")
    search_fields = ("user__username", "title__name")

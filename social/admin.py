from django.contrib import admin

from social.models import Follow, Notification, ReviewLike


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followee", "created_at"]
    raw_id_fields = ["follower", "followee"]
    search_fields = ["follower__username", "followee__username"]


@admin.register(ReviewLike)
class ReviewLikeAdmin(admin.ModelAdmin):
    list_display = ["user", "rating", "created_at"]
    raw_id_fields = ["user", "rating"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "actor", "created_at", "read_at"]
    raw_id_fields = ["recipient", "actor", "rating"]

from django import forms
from django.contrib import admin, messages
from django.db.models import Q

from ratings import services
from ratings.models import Rating


class RatingAdminForm(forms.ModelForm):
    score = forms.IntegerField(min_value=services.MIN_SCORE, max_value=services.MAX_SCORE)
    review = forms.CharField(
        required=False, max_length=services.MAX_REVIEW_LENGTH, widget=forms.Textarea
    )

    class Meta:
        model = Rating
        fields = ["user", "title", "score", "review", "rated_at", "review_hidden"]


class HasReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "has_review"

    def lookups(self, request, model_admin):
        return [("yes", "With a review"), ("no", "Score only")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.with_review()
        if self.value() == "no":
            return queryset.filter(review="")
        return queryset


class HasPercentileFilter(admin.SimpleListFilter):
    title = "percentile"
    parameter_name = "has_percentile"

    def lookups(self, request, model_admin):
        return [("yes", "Has a percentile"), ("no", "No percentile (under 5 distinct scores)")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(percentile__isnull=self.value() == "no")
        return queryset


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Every write goes through ratings.services, so percentiles and aggregates stay exact."""

    form = RatingAdminForm
    list_display = [
        "title",
        "user",
        "score",
        "percentile",
        "rated_at",
        "has_review",
        "review_hidden",
    ]
    list_display_links = ["title", "user"]
    list_filter = [HasReviewFilter, "review_hidden", HasPercentileFilter, "rated_at"]
    search_fields = ["user__username", "user__display_name", "title__name"]
    list_select_related = ["user", "title"]
    raw_id_fields = ["user", "title"]
    readonly_fields = ["percentile", "updated_at"]
    date_hierarchy = "rated_at"
    ordering = ["-rated_at"]
    actions = ["hide_reviews", "unhide_reviews"]
    list_per_page = 50
    show_full_result_count = False

    @admin.display(boolean=True, description="Review", ordering="review")
    def has_review(self, obj: Rating) -> bool:
        return bool(obj.review)

    def get_readonly_fields(self, request, obj=None):
        # A rating belongs to one user and one title: to move it, delete and rate again.
        if obj is not None:
            return [*self.readonly_fields, "user", "title"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # A staff edit in the admin, not a member's post: no hourly review limit.
        rating = services.rate(
            obj.user,
            obj.title,
            obj.score,
            review=obj.review,
            rated_at=obj.rated_at,
            limit_reviews=False,
        )
        if rating.review_hidden != obj.review_hidden:
            services.set_review_hidden([rating.pk], obj.review_hidden)
        rating.refresh_from_db()
        obj.pk = rating.pk
        obj.percentile = rating.percentile
        obj.updated_at = rating.updated_at

    def delete_model(self, request, obj):
        services.unrate(obj.user, obj.title)

    def delete_queryset(self, request, queryset):
        by_user: dict = {}
        for rating in queryset.select_related("user").order_by("user_id"):
            by_user.setdefault(rating.user, []).append(rating.title_id)
        # One transaction per user, in user id order (see the locking rules in services).
        for user, title_ids in by_user.items():
            services.unrate_many(user, title_ids)

    @admin.action(description="Hide the selected reviews from the public")
    def hide_reviews(self, request, queryset):
        changed = services.set_review_hidden(
            queryset.filter(~Q(review="")).values_list("pk", flat=True), True
        )
        self.message_user(request, f"Hid {changed} review(s).", messages.SUCCESS)

    @admin.action(description="Show the selected reviews again")
    def unhide_reviews(self, request, queryset):
        changed = services.set_review_hidden(queryset.values_list("pk", flat=True), False)
        self.message_user(request, f"Unhid {changed} review(s).", messages.SUCCESS)

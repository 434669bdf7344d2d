"""Moderation in the Django admin: the queue, reports, the audit log and suspensions.

Moderators (the "Moderators" group, see migrations/0002) work the queue: each row is
one reported item with its reports' count, reasons and text, and the actions hide it,
dismiss the reports or suspend its author. Every action asks for a reason on a
confirmation page and is recorded as a ModerationAction.

The ratings and collections admins are re-registered here with their moderation
actions going through moderation.services (so they are audited too) and limited to
people who may moderate; everything else about them is unchanged.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.timezone import localtime

from collections_app.admin import CollectionAdmin
from collections_app.models import Collection
from moderation import selectors, services
from moderation.forms import ActionReasonForm
from moderation.models import (
    DELETED_MEMBER,
    Case,
    CaseStatus,
    HiddenCollection,
    Kind,
    ModerationAction,
    Reason,
    Report,
    Suspension,
)
from ratings.admin import RatingAdmin
from ratings.models import Rating

MODERATE_PERMISSION = "moderation.change_case"
TEXT_IN_LIST = 280


def _user_link(user) -> str:
    if user is None:
        return DELETED_MEMBER
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[user.pk]), user
    )


def _excerpt(text: str, length: int = TEXT_IN_LIST) -> str:
    if not text:
        return "–"
    return format_html(
        '<div class="moderation-text">{}</div>',
        format_html_join(
            "", "{}<br>", ((line,) for line in Truncator(text).chars(length).splitlines())
        ),
    )


def _current_text(case: Case) -> str:
    """The item's text as it is now (the snapshot if the item is gone)."""
    if case.kind == Kind.REVIEW and case.rating is not None:
        return case.rating.review
    if case.kind == Kind.COLLECTION and case.collection is not None:
        collection = case.collection
        return collection.name + (f"\n\n{collection.description}" if collection.description else "")
    return case.text


def _status_text(case: Case, with_date: bool = True) -> str:
    if case.is_open:
        return "Open"
    who = case.resolved_by.username if case.resolved_by else "someone"
    text = f"Resolved by {who}: {case.get_resolution_display()}"
    if with_date and case.resolved_at:
        text += f" ({date_format(localtime(case.resolved_at), 'j M Y, H:i')})"
    return text


# Confirmation page shared by the queue's and the suspensions' actions -----------------


def confirm_action(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    button: str,
    apply,
    reason_required: bool = False,
    describe=str,
):
    """Ask for a reason, then run ``apply(obj, by, reason) -> bool`` on each object.

    Returns None (back to the list, with a message) once done, or the confirmation page.
    """
    form = ActionReasonForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        reason = form.cleaned_data["reason"].strip()
        if reason_required and not reason:
            form.add_error("reason", "Say why: the member is told nothing else.")
        else:
            done, refused = 0, []
            for obj in queryset:
                try:
                    done += bool(apply(obj, request.user, reason))
                except (PermissionDenied, ValidationError) as error:
                    text = " ".join(getattr(error, "messages", [str(error)]))
                    refused.append(f"{describe(obj)}: {text}")
            skipped = len(queryset) - done - len(refused)
            summary = f"{title}: done for {done} of {len(queryset)}."
            if skipped:
                summary += f" {skipped} had nothing to do (already resolved or nothing to hide)."
            modeladmin.message_user(
                request, summary, messages.SUCCESS if done else messages.WARNING
            )
            for line in refused:
                modeladmin.message_user(request, f"Refused: {line}", messages.ERROR)
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "button": button,
        "objects": [describe(obj) for obj in queryset],
        "queryset": queryset,
        "form": form,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/moderation/action_confirm.html", context)


# The queue ------------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """Open cases by default: the queue is what still needs a decision."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved"), ("all", "All")]

    def choices(self, changelist):
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "all":
            return queryset
        return queryset.filter(status=value if value in CaseStatus.values else "open")


class ReasonFilter(admin.SimpleListFilter):
    title = "reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return Reason.choices

    def queryset(self, request, queryset):
        if self.value() in Reason.values:
            reported = Report.objects.filter(case=OuterRef("pk"), reason=self.value())
            return queryset.filter(Exists(reported))
        return queryset


# Django's tabular inline without its empty column headings (nothing is deleted here).
READONLY_TABULAR = "admin/moderation/tabular_readonly.html"


class ReadOnlyAdmin:
    """For records that are written only by the moderation services (reports, the log):
    shown in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReportInline(ReadOnlyAdmin, admin.TabularInline):
    model = Report
    template = READONLY_TABULAR
    fields = ("created_at", "reporter", "reason", "details")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reporter")


class ActionInline(ReadOnlyAdmin, admin.TabularInline):
    """The case's moderation log."""

    model = ModerationAction
    template = READONLY_TABULAR
    verbose_name_plural = "history (moderation log)"
    fields = ("created_at", "moderator", "action", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at",)

    @admin.display(description="Moderator")
    def moderator(self, action: ModerationAction) -> str:
        return action.actor_name or "–"

    @admin.display(description="Action")
    def action(self, action: ModerationAction) -> str:
        return action.get_verb_display()


class ModerationMedia:
    css = {"all": ["css/moderation.css"]}


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    Media = ModerationMedia
    list_display = (
        "item",
        "reports",
        "reasons",
        "reported_text",
        "author_link",
        "queue_status",
    )
    list_display_links = ("item",)
    list_filter = (StatusFilter, "kind", ReasonFilter, "resolution")
    search_fields = ("label", "text", "author__username", "author__display_name")
    date_hierarchy = "opened_at"
    actions = ("hide_item", "dismiss_reports", "suspend_author", "restore_item")
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "item_link",
        "kind",
        "author_link",
        "current_text",
        "status_display",
        "resolution_note",
        "opened_at",
    )
    readonly_fields = fields
    inlines = (ReportInline, ActionInline)

    def get_queryset(self, request):
        return selectors.queue(super().get_queryset(request))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Moderation queue", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "title": "Reported item",
            "can_moderate": self.has_change_permission(request),
            "queue_url": reverse("admin:moderation_case_changelist") + "?status=all",
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Reported item", ordering="opened_at")
    def item(self, case: Case) -> str:
        opened = date_format(localtime(case.opened_at), "j M Y, H:i")
        return format_html('{}<br><span class="quiet">opened {}</span>', case.label, opened)

    @admin.display(description="Status", ordering="status")
    def queue_status(self, case: Case) -> str:
        return _status_text(case, with_date=False)

    @admin.display(description="Item")
    def item_link(self, case: Case) -> str:
        if case.url and case.target is not None:
            return format_html('<a href="{}">{}</a> (opens the page)', case.url, case.label)
        return f"{case.label} (no longer exists)"

    @admin.display(description="Reports", ordering="reports_count")
    def reports(self, case: Case) -> int:
        return case.reports_count

    @admin.display(description="Reasons")
    def reasons(self, case: Case) -> str:
        return selectors.reasons_summary(case.report_reasons)

    @admin.display(description="Reported text")
    def reported_text(self, case: Case) -> str:
        return _excerpt(_current_text(case))

    @admin.display(description="Text now")
    def current_text(self, case: Case) -> str:
        return _excerpt(_current_text(case), 10_000)

    @admin.display(description="Author", ordering="author__username")
    def author_link(self, case: Case) -> str:
        return _user_link(case.author)

    @admin.display(description="Status", ordering="status")
    def status_display(self, case: Case) -> str:
        return _status_text(case)

    @admin.action(description="Hide the reported review or collection", permissions=["change"])
    def hide_item(self, request, queryset):
        return confirm_action(
            self,
            request,
            queryset,
            action="hide_item",
            title="Hide the reported items",
            button="Hide",
            apply=services.hide_case_item,
        )

    @admin.action(
        description="Dismiss the reports (leave the item as it is)", permissions=["change"]
    )
    def dismiss_reports(self, request, queryset):
        return confirm_action(
            self,
            request,
            queryset,
            action="dismiss_reports",
            title="Dismiss the reports",
            button="Dismiss",
            apply=services.dismiss_case,
        )

    @admin.action(description="Suspend the author", permissions=["change"])
    def suspend_author(self, request, queryset):
        return confirm_action(
            self,
            request,
            queryset,
            action="suspend_author",
            title="Suspend the authors",
            button="Suspend",
            apply=services.suspend_case_author,
            reason_required=True,
            describe=lambda case: f"{case.label} (author: {case.author or 'gone'})",
        )

    @admin.action(description="Show a hidden item again", permissions=["change"])
    def restore_item(self, request, queryset):
        return confirm_action(
            self,
            request,
            queryset,
            action="restore_item",
            title="Show the items again",
            button="Show again",
            apply=services.restore_case_item,
        )


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("created_at", "reporter", "item", "reason", "details_excerpt", "status")
    list_filter = ("case__status", "reason", "case__kind", "created_at")
    search_fields = ("reporter__username", "case__label", "details")
    list_select_related = ("reporter", "case", "case__resolved_by")
    date_hierarchy = "created_at"
    fields = ("created_at", "reporter", "item", "reason", "details", "status")
    readonly_fields = fields
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description="Item", ordering="case__label")
    def item(self, report: Report) -> str:
        return format_html('<a href="{}">{}</a>', report.case.get_admin_url(), report.case.label)

    @admin.display(description="Details")
    def details_excerpt(self, report: Report) -> str:
        return Truncator(report.details).chars(120) or "–"

    @admin.display(description="Status", ordering="case__status")
    def status(self, report: Report) -> str:
        return _status_text(report.case)


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "verb", "target", "subject_name", "reason_excerpt")
    list_filter = ("verb", "created_at")
    search_fields = ("actor_name", "target_label", "subject__username", "reason")
    list_select_related = ("subject", "case")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor_name", "verb", "target", "subject_name", "reason")
    readonly_fields = fields
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description="Member", ordering="subject__username")
    def subject_name(self, action: ModerationAction) -> str:
        return str(action.subject) if action.subject_id else DELETED_MEMBER

    @admin.display(description="Item", ordering="target_label")
    def target(self, action: ModerationAction) -> str:
        if action.case_id:
            return format_html(
                '<a href="{}">{}</a>', action.case.get_admin_url(), action.target_label
            )
        return action.target_label

    @admin.display(description="Why")
    def reason_excerpt(self, action: ModerationAction) -> str:
        return Truncator(action.reason).chars(140) or "–"


# Suspensions ----------------------------------------------------------------------------


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "Active"), ("no", "Lifted")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(lifted_at__isnull=self.value() == "yes")
        return queryset


class SuspensionAddForm(forms.ModelForm):
    class Meta:
        model = Suspension
        fields = ("user", "reason")

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if user is not None:
            try:
                services.check_may_suspend(self.actor, user)
            except PermissionDenied as error:
                self.add_error("user", str(error))
            if selectors.is_suspended(user):
                self.add_error("user", f"{user} is suspended already.")
        return data


@admin.register(Suspension)
class SuspensionAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "is_active_display",
        "reason_excerpt",
        "created_by",
        "created_at",
        "lifted_at",
        "lifted_by",
    )
    list_filter = (ActiveFilter, "created_at")
    search_fields = ("user__username", "user__display_name", "reason")
    list_select_related = ("user", "created_by", "lifted_by")
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"
    actions = ("lift",)
    readonly_fields = (
        "user",
        "reason",
        "created_by",
        "created_at",
        "lifted_at",
        "lifted_by",
        "lift_reason",
    )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ("user", "reason")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        base = SuspensionAddForm

        class Form(base):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=request.user, **inner)

        kwargs["form"] = Form
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        suspension = services.suspend(obj.user, request.user, obj.reason)
        obj.pk = suspension.pk
        obj.created_at = suspension.created_at

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Active", boolean=True, ordering="lifted_at")
    def is_active_display(self, suspension: Suspension) -> bool:
        return suspension.is_active

    @admin.display(description="Reason")
    def reason_excerpt(self, suspension: Suspension) -> str:
        return Truncator(suspension.reason).chars(120)

    @admin.action(description="Lift the selected suspensions", permissions=["change"])
    def lift(self, request, queryset):
        return confirm_action(
            self,
            request,
            queryset.filter(lifted_at__isnull=True),
            action="lift",
            title="Lift the suspensions",
            button="Lift",
            apply=lambda suspension, by, reason: services.lift_suspension(
                suspension.user, by, reason
            ),
            describe=lambda suspension: f"Suspension of {suspension.user}",
        )


@admin.register(HiddenCollection)
class HiddenCollectionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("collection", "owner", "hidden_by", "hidden_at", "reason")
    list_select_related = ("collection", "collection__owner", "hidden_by")
    search_fields = ("collection__name", "collection__owner__username", "reason")
    fields = ("collection", "hidden_by", "hidden_at", "reason")
    readonly_fields = fields

    @admin.display(description="Owner", ordering="collection__owner__username")
    def owner(self, hidden: HiddenCollection) -> str:
        return hidden.collection.owner.username


# Ratings and collections: moderation actions through the audited services --------------


class ModeratedRatingAdmin(RatingAdmin):
    @admin.action(description="Hide the selected reviews from the public", permissions=["moderate"])
    def hide_reviews(self, request, queryset):
        changed = 0
        for rating in queryset.filter(~Q(review=""), review_hidden=False).select_related(
            "user", "title"
        ):
            changed += services.hide_review(rating, request.user, "Hidden from the ratings list.")
        self.message_user(request, f"Hid {changed} review(s).", messages.SUCCESS)

    @admin.action(description="Show the selected reviews again", permissions=["moderate"])
    def unhide_reviews(self, request, queryset):
        changed = 0
        for rating in queryset.filter(review_hidden=True):
            changed += services.unhide_review(rating, request.user, "Shown from the ratings list.")
        self.message_user(request, f"Unhid {changed} review(s).", messages.SUCCESS)

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm(MODERATE_PERMISSION)

    def save_model(self, request, obj, form, change):
        was_hidden = (
            Rating.objects.filter(pk=obj.pk).values_list("review_hidden", flat=True).first()
            if change
            else False
        )
        super().save_model(request, obj, form, change)
        if change and bool(was_hidden) != obj.review_hidden:
            # The form wrote the flag already; record who changed it.
            rating = Rating.objects.select_related("user", "title").get(pk=obj.pk)
            services.record_review_visibility(rating, request.user, hidden=obj.review_hidden)


class ModeratedCollectionAdmin(CollectionAdmin):
    list_display = (*CollectionAdmin.list_display, "hidden_by_moderator")
    actions = ("unpublish", "publish", "hide_collections", "unhide_collections")

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Publishing and unpublishing change the owner's own setting: owners' and
        # superusers' business, not a moderator's (they hide instead).
        if not self.has_change_permission(request):
            actions.pop("unpublish", None)
            actions.pop("publish", None)
        return actions

    @admin.action(
        description="Hide the selected collections (moderation)", permissions=["moderate"]
    )
    def hide_collections(self, request, queryset):
        changed = sum(
            services.hide_collection(c, request.user, "Hidden from the collections list.")
            for c in queryset
        )
        self.message_user(request, f"Hid {changed} collection(s).", messages.SUCCESS)

    @admin.action(
        description="Show the selected hidden collections again", permissions=["moderate"]
    )
    def unhide_collections(self, request, queryset):
        changed = sum(
            services.unhide_collection(c, request.user, "Shown from the collections list.")
            for c in queryset
        )
        self.message_user(request, f"Showed {changed} collection(s) again.", messages.SUCCESS)

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm(MODERATE_PERMISSION)


for _model, _admin_class in (
    (Rating, ModeratedRatingAdmin),
    (Collection, ModeratedCollectionAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)

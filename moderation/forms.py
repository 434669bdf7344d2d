"""Forms: a member's report, and a moderator's reason for an action in the admin."""

from django import forms

from moderation.models import DETAILS_MAX_LENGTH, REASON_MAX_LENGTH, Reason


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Reason.choices,
        widget=forms.RadioSelect,
        label="What is wrong with it?",
        error_messages={"required": "Choose a reason."},
    )
    details = forms.CharField(
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "data-report-details": ""}),
        label="Details",
        help_text="Anything the moderators should know: optional, except for “Something "
        f"else”. Up to {DETAILS_MAX_LENGTH:,} characters.",
        error_messages={
            "max_length": f"Details can be at most {DETAILS_MAX_LENGTH:,} characters "
            "(these have %(show_value)s)."
        },
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == Reason.OTHER and not (data.get("details") or "").strip():
            self.add_error("details", "Say briefly what is wrong when you choose “Something else”.")
        return data


class ActionReasonForm(forms.Form):
    """The note a moderator leaves with a decision (kept in the audit log)."""

    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        label="Why (kept in the moderation log)",
        help_text="Optional for hiding and dismissing (the reports' reasons are kept); "
        "required for suspending.",
    )


class SuspensionAdminForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX_LENGTH, widget=forms.Textarea)

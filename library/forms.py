from django import forms
from django.forms.utils import ErrorDict
from django.utils import timezone

from library.models import NOTE_MAX_LENGTH


class ViewingForm(forms.Form):
    """A viewing: logged on its own from a title page, or beside a rating (prefix
    "viewing", with ``log`` ticked)."""

    log = forms.BooleanField(required=False, label="I watched it on")
    watched_on = forms.DateField(
        label="Date watched",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2024-03-12."},
    )
    rewatch = forms.BooleanField(required=False, label="Watched before (a rewatch)")
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note",
        widget=forms.TextInput(attrs={"maxlength": NOTE_MAX_LENGTH, "placeholder": "Optional"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"watched_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_watched_on(self):
        value = self.cleaned_data["watched_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("That date is in the future.")
        return value


class RatingViewingForm(ViewingForm):
    """The "log a viewing" part of a rating form: its fields are read only when ``log``
    is ticked (an untouched date field never stops a rating)."""

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self.cleaned_data.get("log"):
            self._errors = ErrorDict()
            self.cleaned_data = {"log": False}


def rating_viewing_form(data=None) -> RatingViewingForm:
    return RatingViewingForm(data, prefix="viewing")

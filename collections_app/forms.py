from django import forms

from catalog.models import Title
from collections_app.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_ITEMS,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
)


def _too_long(what: str, limit: int) -> dict[str, str]:
    return {
        "max_length": f"{what} can be at most {limit:,} characters (this one has %(show_value)s)."
    }


class CollectionForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        error_messages={
            "required": "Give the collection a name.",
            **_too_long("A collection name", NAME_MAX_LENGTH),
        },
        help_text=f"Up to {NAME_MAX_LENGTH} characters.",
    )
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=_too_long("A description", DESCRIPTION_MAX_LENGTH),
        help_text=f"Optional, up to {DESCRIPTION_MAX_LENGTH:,} characters.",
    )
    is_public = forms.BooleanField(
        required=False,
        initial=True,
        label="Public",
        help_text="Anyone can see a public collection. A private one is visible only to you.",
    )


class AddToCollectionForm(forms.Form):
    """Pick one of your collections, or name a new one, to add a title to."""

    collection = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Collection"
    )
    new_name = forms.CharField(
        required=False,
        max_length=NAME_MAX_LENGTH,
        label="Or start a new collection",
        error_messages=_too_long("A collection name", NAME_MAX_LENGTH),
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note",
        error_messages=_too_long("A note", NOTE_MAX_LENGTH),
    )

    def __init__(self, *args, collections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].choices = [("", "New collection…")] + [
            (c.pk, c.name) for c in collections
        ]
        self.fields["new_name"].widget.attrs.update(
            {"maxlength": NAME_MAX_LENGTH, "placeholder": "Name of the new collection"}
        )
        self.fields["note"].widget.attrs.update(
            {"maxlength": NOTE_MAX_LENGTH, "placeholder": "Why it belongs (optional)"}
        )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("new_name", "").strip() and not data.get("collection"):
            raise forms.ValidationError(
                "Pick one of your collections, or give a new collection a name."
            )
        return data


class ItemAddForm(forms.Form):
    title = forms.ModelChoiceField(
        queryset=Title.objects.all(),
        error_messages={
            "required": "Choose a title to add.",
            "invalid_choice": "That title does not exist.",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        error_messages=_too_long("A note", NOTE_MAX_LENGTH),
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(
        required=False, choices=[("", ""), ("up", "Up"), ("down", "Down")]
    )
    position = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ITEMS,
        error_messages={
            "invalid": "The position must be a whole number.",
            "min_value": "Positions start at 1.",
            "max_value": f"A collection holds at most {MAX_ITEMS:,} titles.",
        },
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("direction") and data.get("position") is None:
            raise forms.ValidationError("Say where to move the title: up, down or a position.")
        return data

    def target(self, current: int) -> int:
        direction = self.cleaned_data.get("direction")
        if direction == "up":
            return max(current - 1, 1)
        if direction == "down":
            return current + 1
        return self.cleaned_data["position"]


class NoteForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        error_messages=_too_long("A note", NOTE_MAX_LENGTH),
    )

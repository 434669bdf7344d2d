from django import forms

from catalog.models import Title
from collections_app import services
from collections_app.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_ITEMS,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
)

# Lengths are checked by the services' own validators (one wording everywhere); the
# fields only tell the browser the limit.


def _limited(limit: int) -> forms.TextInput:
    return forms.TextInput(attrs={"maxlength": limit})


class _NameField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", _limited(NAME_MAX_LENGTH))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return services.clean_name(value) if value else value


class _NoteField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", _limited(NOTE_MAX_LENGTH))
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        return services.clean_note(super().clean(value))


class CollectionForm(forms.Form):
    name = _NameField(
        error_messages={"required": "Give the collection a name."},
        help_text=f"Up to {NAME_MAX_LENGTH} characters.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": DESCRIPTION_MAX_LENGTH}),
        help_text=f"Optional, up to {DESCRIPTION_MAX_LENGTH:,} characters.",
    )
    is_public = forms.BooleanField(
        required=False,
        initial=True,
        label="Public",
        help_text="Anyone can see a public collection. A private one is visible only to you.",
    )

    def clean_description(self):
        return services.clean_description(self.cleaned_data["description"])


class AddToCollectionForm(forms.Form):
    """Pick one of your collections, or name a new one, to add a title to."""

    collection = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Collection",
        error_messages={"invalid_choice": "Pick one of your own collections."},
    )
    new_name = _NameField(required=False, label="Or start a new collection")
    note = _NoteField(label="Note")

    def __init__(self, *args, collections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].choices = [("", "New collection…")] + [
            (c.pk, c.name) for c in collections
        ]

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
    note = _NoteField()


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
    note = _NoteField()

from django import forms
from django.core.files.uploadedfile import UploadedFile

from catalog.models import Title
from catalog.services import validate_poster


class TitleAdminForm(forms.ModelForm):
    """The admin's title form: a new poster is checked before anything is saved."""

    trailer_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="A YouTube or Vimeo page; it loads only when a visitor clicks play.",
    )

    class Meta:
        model = Title
        fields = [
            "kind", "name", "original_name", "slug", "year", "runtime_minutes", "synopsis",
            "genres", "imdb_id", "trailer_url", "poster",
        ]  # fmt: skip
        help_texts = {
            "poster": "JPEG, PNG or WebP. Stored upright (EXIF orientation applied) with "
            "200x300 and 400x600 renditions.",
        }

    def clean_poster(self):
        poster = self.cleaned_data.get("poster")
        if isinstance(poster, UploadedFile):
            validate_poster(poster)
        return poster

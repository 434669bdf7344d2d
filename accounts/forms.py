from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from accounts.models import RatingScale, User
from accounts.services import avatar_process
from core.parsing import parse_int
from ratings import scales


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        help_text="Only used to reset your password; never shown to anyone.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta:
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                "An account with this email address already exists: sign in, or reset "
                "your password if you have forgotten it."
            )
        return email


class SignInForm(AuthenticationForm):
    """The sign-in form, refusing a username longer than the field before anything
    (authentication, django-axes' record of the failure) sees it."""

    def clean(self):
        limit = User._meta.get_field(User.USERNAME_FIELD).max_length
        username = self.cleaned_data.get("username") or ""
        if len(username) > limit:
            raise ValidationError(
                f"A username has at most {limit} characters; check what you typed.",
                code="username_too_long",
            )
        return super().clean()


SCALE_HELP = {
    RatingScale.HUNDRED: "Whole numbers from 0 to 100, stored as they are.",
    RatingScale.TEN: "Whole numbers from 1 to 10; 7 is stored as 70.",
    RatingScale.STARS: "Half stars from 0.5 to 5; 3.5 stars is stored as 70.",
}


class SettingsForm(forms.ModelForm):
    avatar = forms.FileField(
        required=False,
        help_text=f"JPEG, PNG or WebP, up to {settings.MAX_UPLOAD_BYTES // 1048576} MB; "
        "cropped to a square.",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove my picture")
    rating_scale = forms.ChoiceField(
        choices=RatingScale.choices,
        widget=forms.RadioSelect,
        label="Rating scale",
    )

    visibility = forms.ChoiceField(
        choices=User.Visibility.choices,
        widget=forms.RadioSelect,
        required=False,
        label="Who can see your profile, ratings and diary",
    )

    class Meta:
        model = User
        fields = ("display_name", "bio", "rating_scale", "prefers_compact", "watchlist_public")
        labels = {
            "display_name": "Display name",
            "bio": "About you",
            "prefers_compact": "Show lists of ratings in compact view",
            "watchlist_public": "Show my watchlist on my profile (to the same people)",
        }
        help_texts = {
            "display_name": "Shown instead of your username; leave blank to use the username.",
            "bio": "A line or two for your profile page (up to 500 characters).",
        }
        widgets = {"bio": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}

    def clean_visibility(self) -> str:
        """A form posted without the choice (an old page) keeps the saved setting."""
        return self.cleaned_data.get("visibility") or self.instance.visibility

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        return avatar_process(upload)

    @property
    def scale_help(self) -> list[tuple[str, str, str, list]]:
        """(value, label, explanation, mapping rows) per scale for the settings page."""
        return [
            (value, label, SCALE_HELP[value], scales.mapping_rows(value))
            for value, label in RatingScale.choices
        ]


PLAIN_SCALE_CHOICES = [
    ("100", "0-100"),
    ("10", "0-10 (decimals allowed)"),
    ("5", "0-5 stars (halves allowed)"),
]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Ratings file (CSV), or this site's full export (ZIP)",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv,text/plain,.zip,application/zip"}),
    )
    plain_scale = forms.ChoiceField(
        choices=PLAIN_SCALE_CHOICES,
        initial="100",
        label="Scale of a plain CSV file",
        help_text="Only used for plain CSV files; the other formats state their own scale.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.MAX_IMPORT_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"The file is {upload.size / 1048576:.1f} MB; the limit is "
                f"{limit / 1048576:.0f} MB. Split it and import each part."
            )
        return upload


class ImportConfirmForm(forms.Form):
    replace_existing = forms.BooleanField(
        required=False,
        label="Replace scores I have already given with the ones in the file",
    )


class ImportPickForm(forms.Form):
    """A title found in the catalog for a line the site could not match."""

    line = forms.IntegerField(min_value=1, max_value=10_000_000)
    title = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class ImportResolveForm(forms.Form):
    line = forms.IntegerField(min_value=1, max_value=10_000_000)
    title = forms.CharField(required=False)

    def clean_title(self) -> int | None:
        value = self.cleaned_data.get("title", "")
        if value in ("", "skip"):
            return None
        title_id = parse_int(value, min=1, max=2**63 - 1)
        if title_id is None:
            raise ValidationError("Choose one of the titles listed.")
        return title_id


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your password; nothing was deleted.")
        return password

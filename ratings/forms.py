"""The rating form: a score on the viewer's own scale and an optional review."""

from __future__ import annotations

from django import forms

from ratings import scales, selectors
from ratings.services import MAX_REVIEW_LENGTH


class ReviewField(forms.CharField):
    """Plain text; browsers send line breaks as CRLF, counted here as one character."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


class RatingForm(forms.Form):
    score = forms.CharField(max_length=12)
    review = ReviewField(
        required=False,
        max_length=MAX_REVIEW_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": False}),
        help_text=f"Plain text, up to {MAX_REVIEW_LENGTH:,} characters.",
        error_messages={
            "max_length": f"A review may have at most {MAX_REVIEW_LENGTH:,} characters "
            "(it has %(show_value)s)."
        },
    )

    def __init__(self, *args, scale: str = scales.HUNDRED, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = scales.SCALES[scale]
        score = self.fields["score"]
        score.label = "Stars" if scale == scales.STARS else "Score"
        score.help_text = f"{self.scale.label}"
        score.error_messages["required"] = (
            f"Enter a score from {self.scale.minimum} to {self.scale.maximum}."
        )
        score.widget = forms.NumberInput(
            attrs={
                "min": self.scale.minimum,
                "max": self.scale.maximum,
                "step": self.scale.step,
                "inputmode": "decimal",
                "autocomplete": "off",
            }
        )
        self.fields["review"].label = "Review (optional)"
        self.fields["review"].widget.attrs["data-review-input"] = ""

    def clean_score(self) -> int:
        try:
            return scales.from_input(self.cleaned_data["score"], self.scale.key)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


def rating_form_for(user, rating=None) -> RatingForm:
    """An unbound form for the user's scale, filled with their current rating if any."""
    scale = scales.scale_of(user)
    initial = {}
    if rating is not None:
        initial = {"score": scales.to_display(rating.score, scale), "review": rating.review}
    return RatingForm(scale=scale, initial=initial)


# Default of rating_panel_context's my_rating: look the viewer's rating up.
LOOK_UP = object()


def rating_panel_context(
    user, title, *, form: RatingForm | None = None, notice: str = "", my_rating=LOOK_UP
) -> dict:
    """Everything templates/ratings/_rating_panel.html needs.

    ``notice`` is set after a save or delete made in place (htmx): the panel then also
    shows the title's new average, since the rest of the page is not redrawn.
    """
    if my_rating is LOOK_UP:
        my_rating = selectors.viewer_rating(user, title)
    context = {
        "title": title,
        "my_rating": my_rating,
        "user": user,
        "notice": notice,
    }
    if user.is_authenticated:
        context["form"] = form or rating_form_for(user, my_rating)
        context["scale"] = scales.SCALES[scales.scale_of(user)]
        if my_rating is not None and my_rating.percentile is None:
            context["distinct_scores"] = selectors.user_distinct_scores(user)
    return context

from django import forms

from catalog.models import Genre, TitleKind


class RecommendationFilterForm(forms.Form):
    """Filters of the recommendations page (all optional, in the query string)."""

    kind = forms.ChoiceField(choices=[("", "Any kind"), *TitleKind.choices], required=False)
    genre = forms.ChoiceField(required=False)
    year_min = forms.IntegerField(required=False, min_value=1870, max_value=2100, label="From year")
    year_max = forms.IntegerField(required=False, min_value=1870, max_value=2100, label="To year")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["genre"].choices = [
            ("", "Any genre"),
            *Genre.objects.order_by("name").values_list("slug", "name"),
        ]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("year_min"), cleaned.get("year_max")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("“From year” must not be after “To year”.")
        return cleaned

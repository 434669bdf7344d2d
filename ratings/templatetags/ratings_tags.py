from django import template

register = template.Library()


@register.inclusion_tag("ratings/_rating_panel.html")
def rating_panel(panel: dict):
    """The viewer's own rating of a title, with the form to rate, change or delete it.

    ``panel`` is ratings.forms.rating_panel_context(...), loaded by the page's builder;
    the tag only renders it."""
    # The title page belongs to another app; the panel brings its own small script.
    return {**panel, "include_script": True}

from django import template

from ratings.forms import rating_panel_context

register = template.Library()


@register.inclusion_tag("ratings/_rating_panel.html", takes_context=True)
def rating_panel(context, title):
    """The viewer's own rating of a title, with the form to rate, change or delete it."""
    # The title page belongs to the catalog; the panel brings its own small script.
    return {**rating_panel_context(context["request"].user, title), "include_script": True}

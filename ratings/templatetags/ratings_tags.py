from django import template

from ratings.forms import LOOK_UP, rating_panel_context

register = template.Library()


@register.inclusion_tag("ratings/_rating_panel.html", takes_context=True)
def rating_panel(context, title):
    """The viewer's own rating of a title, with the form to rate, change or delete it.

    Uses ``viewer_rating`` from the page's context when the view already read it."""
    my_rating = context.get("viewer_rating", LOOK_UP)
    panel = rating_panel_context(context["request"].user, title, my_rating=my_rating)
    # The title page belongs to the catalog; the panel brings its own small script.
    return {**panel, "include_script": True}

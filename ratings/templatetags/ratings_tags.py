from django import template

from ratings.selectors import viewer_rating

register = template.Library()


@register.inclusion_tag("ratings/_rating_panel.html", takes_context=True)
def rating_panel(context, title):
    """The viewer's own rating of a title, with the form to rate, change or delete it."""
    user = context["request"].user
    return {"title": title, "my_rating": viewer_rating(user, title), "user": user}

"""The watchlist on other apps' pages.

- ``{% watchlisted_among titles as watchlisted %}``: the set of ids of these titles on
  the viewer's watchlist (one query; titles, collection items or predictions, anything
  with ``.title``), for a list of cards;
- ``{% watchlist_button title watchlisted %}``: the add/remove button of a card (an htmx
  form that also works without JavaScript).
"""

from django import template

from catalog.models import Title
from library import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def watchlisted_among(context, titles_or_items):
    user = context["request"].user
    if not user.is_authenticated:
        return set()
    ids = [entry.pk if isinstance(entry, Title) else entry.title.pk for entry in titles_or_items]
    return selectors.watchlisted_ids(user, ids)


@register.inclusion_tag("library/_watchlist_button.html", takes_context=True)
def watchlist_button(context, title, watchlisted, variant="card"):
    request = context["request"]
    return {
        "title": title,
        "on_list": title.pk in watchlisted,
        "user": request.user,
        "next": request.get_full_path(),
        "variant": variant,
        "csrf_token": context.get("csrf_token"),
    }

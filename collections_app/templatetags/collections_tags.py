from django import template
from django.core.paginator import Paginator

from collections_app.models import Collection

register = template.Library()


@register.inclusion_tag("collections_app/_title_collections.html", takes_context=True)
def title_collections_section(context, title):
    """The "Collections (N)" section of a title page: public collections containing it."""
    collections = (
        Collection.objects.public()
        .filter(items__title=title)
        .select_related("owner")
        .order_by("name")
    )
    page = Paginator(collections, 20).get_page(context["request"].GET.get("collections_page"))
    return {"title": title, "page_obj": page, "request": context["request"]}


@register.inclusion_tag("collections_app/_add_to_collection.html", takes_context=True)
def add_to_collection_form(context, title):
    """ "Add to collection" for signed-in users."""
    user = context["request"].user
    mine = Collection.objects.filter(owner=user).order_by("name") if user.is_authenticated else []
    return {"title": title, "my_collections": mine, "user": user}

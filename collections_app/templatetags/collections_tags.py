"""The title page's collections pieces, as inclusion tags the title page calls with the
context its builder loaded (pages.builders.title_page_context):

    {% load collections_tags %}
    {% title_collections_section title_collections %}
    {% add_to_collection_form add_to_collection %}

The contexts come from the two functions below; the views that refresh these pieces
with htmx build theirs with the same functions, so a fragment and the page around it
never drift.
"""

from django import template
from django.urls import reverse

from collections_app import selectors
from collections_app.forms import AddToCollectionForm

register = template.Library()


def title_collections_context(request, title) -> dict:
    page_obj = selectors.title_collections_page(title, request.GET.get("collections_page"))
    return {
        "title": title,
        "page_obj": page_obj,
        "title_url": title.get_absolute_url(),
        "fragment_url": reverse("collections:title-collections", kwargs={"title_pk": title.pk}),
        "request": request,
    }


def add_to_collection_context(
    request, title, *, form=None, status_message: str = "", next_url: str = ""
) -> dict:
    user = request.user
    collections = selectors.collections_for_adding(user, title)
    if form is None and user.is_authenticated:
        first_free = next((c.pk for c in collections if not c.has_title), None)
        form = AddToCollectionForm(collections=collections, initial={"collection": first_free})
    return {
        "title": title,
        "my_collections": collections,
        "containing": [c for c in collections if c.has_title],
        "form": form,
        "user": user,
        "request": request,
        "next": next_url or title.get_absolute_url(),
        "status_message": status_message,
        "action_url": reverse("collections:title-add", kwargs={"title_pk": title.pk}),
    }


@register.inclusion_tag("collections_app/_title_collections.html")
def title_collections_section(section: dict):
    """The "Collections (N)" section of a title page: public collections containing it.

    ``section`` is title_collections_context(...); the tag only renders it."""
    return section


@register.inclusion_tag("collections_app/_add_to_collection.html", takes_context=True)
def add_to_collection_form(context, form_context: dict):
    """ "Add to collection" for signed-in users (a sign-in prompt for everyone else).

    ``form_context`` is add_to_collection_context(...); the tag only renders it."""
    return {
        **form_context,
        "csrf_token": context.get("csrf_token"),
        "include_script": True,
    }

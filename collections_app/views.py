"""Collections pages. Views parse input, call one service or selector, and render.

Every change is a POST (CSRF-checked by the middleware) by the collection's owner. A
private collection is a 404 for everyone else; a public one answers a change by someone
else with 403, or with the sign-in page for an anonymous visitor.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Title
from collections_app import selectors, services
from collections_app.forms import (
    AddToCollectionForm,
    CollectionForm,
    ItemAddForm,
    MoveForm,
    NoteForm,
)
from collections_app.models import NOTE_MAX_LENGTH, Collection, CollectionItem
from collections_app.templatetags.collections_tags import (
    add_to_collection_context,
    title_collections_context,
)
from core.http import canonical_redirect, safe_next

ITEMS_PARTIAL = "collections_app/collection_detail.html#items"


def _errors_text(error: ValidationError | dict) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return " ".join(message for messages_ in error.values() for message in messages_)


def owner_required(view):
    """Pass the collection to ``view`` only for its owner (see the module docstring)."""

    @wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        collection = selectors.collection_for_viewer(pk, request.user)
        if collection.owner_id != request.user.pk:
            if not request.user.is_authenticated:
                return redirect_to_login(collection.get_absolute_url())
            raise PermissionDenied("Only the owner can change this collection.")
        return view(request, collection, *args, **kwargs)

    return wrapper


# Browsing -------------------------------------------------------------------------------


@require_GET
def collection_list(request):
    query = request.GET.get("q", "").strip()[:200]
    sort = selectors.SORTS.parse(request.GET.get("sort"))
    page = Paginator(selectors.public_collections(query, sort), selectors.COLLECTIONS_PER_PAGE)
    page_obj = page.get_page(request.GET.get("page"))
    selectors.attach_previews(page_obj.object_list)
    return render(
        request,
        "collections_app/collection_list.html",
        {
            "page_obj": page_obj,
            "query": query,
            "sort": sort,
            "sorts": selectors.SORTS.choices,
        },
    )


@login_required
@require_GET
def my_collections(request):
    page_obj = Paginator(
        selectors.user_collections(request.user), selectors.COLLECTIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    selectors.attach_previews(page_obj.object_list)
    return render(request, "collections_app/my_collections.html", {"page_obj": page_obj})


@require_GET
def collection_detail(request, pk: int, slug: str):
    collection = selectors.collection_for_viewer(pk, request.user)
    if redirect_response := canonical_redirect(request, collection, slug):
        return redirect_response
    return _render_detail(request, collection)


def _render_detail(
    request,
    collection: Collection,
    *,
    status: int = 200,
    page_number=None,
    status_message: str = "",
    error_message: str = "",
    note_errors: dict | None = None,
):
    is_owner = collection.owner_id == request.user.pk
    page_obj = selectors.collection_items_page(collection, page_number or request.GET.get("page"))
    page_obj.object_list = items = list(page_obj.object_list)
    for item in items:
        # A refused note is shown again, as typed, under its own item.
        if failed := (note_errors or {}).get(item.pk):
            item.note_draft, item.note_error = failed["value"], failed["error"]
    find = request.GET.get("find", "").strip()[:200] if is_owner else ""
    context = {
        "collection": collection,
        "page_obj": page_obj,
        "is_owner": is_owner,
        "find": find,
        "found_titles": selectors.title_finder(collection, find) if find else [],
        "status_message": status_message,
        "error_message": error_message,
        "note_max_length": NOTE_MAX_LENGTH,
    }
    template = "collections_app/collection_detail.html"
    if request.htmx and request.method == "POST":
        template = ITEMS_PARTIAL
    return render(request, template, context, status=status)


# Creating, editing, deleting ----------------------------------------------------------


@login_required
def collection_create(request):
    form = CollectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            collection = services.collection_create(request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Created “{collection.name}”. Now add some titles.")
            return redirect(collection)
    status = 400 if request.method == "POST" else 200
    return render(request, "collections_app/collection_form.html", {"form": form}, status=status)


@owner_required
def collection_edit(request, collection: Collection):
    initial = {
        "name": collection.name,
        "description": collection.description,
        "is_public": collection.is_public,
    }
    form = CollectionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.collection_update(collection, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            visibility = "public" if collection.is_public else "private"
            messages.success(request, f"Saved “{collection.name}” ({visibility}).")
            return redirect(collection)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "collections_app/collection_form.html",
        {"form": form, "collection": collection},
        status=status,
    )


@owner_required
def collection_delete(request, collection: Collection):
    if request.method == "POST":
        name = collection.name
        services.collection_delete(collection)
        messages.success(request, f"Deleted “{name}”.")
        return redirect("collections:my-collections")
    return render(request, "collections_app/collection_delete.html", {"collection": collection})


# Items ----------------------------------------------------------------------------------


def _item_or_404(collection: Collection, item_pk: int) -> CollectionItem:
    return get_object_or_404(
        CollectionItem.objects.select_related("title"), pk=item_pk, collection=collection
    )


def _page_number(request):
    return request.POST.get("page") or request.GET.get("page")


def _after_item_change(request, collection: Collection, message: str, item=None):
    """htmx: the refreshed list in place. Otherwise: back to the page showing the item."""
    if request.htmx:
        page_number = _page_number(request)
        if item is not None and request.POST.get("follow") == "1":
            page_number = selectors.page_of_position(item.position)
        return _render_detail(request, collection, page_number=page_number, status_message=message)
    messages.success(request, message)
    query = {}
    anchor = ""
    if item is not None:
        page = selectors.page_of_position(item.position)
        if page > 1:
            query["page"] = page
        anchor = f"#item-{item.pk}"
    elif (page := _page_number(request)) and page != "1":
        query["page"] = page
    if find := request.POST.get("find", "").strip():
        query["find"] = find
        anchor = anchor or "#add-titles"
    suffix = f"?{urlencode(query)}" if query else ""
    return redirect(f"{collection.get_absolute_url()}{suffix}{anchor}")


def _item_error(request, collection: Collection, message: str, note_errors=None):
    if not request.htmx:
        messages.error(request, message)
    return _render_detail(
        request,
        collection,
        status=400,
        page_number=_page_number(request),
        error_message=message,
        note_errors=note_errors,
    )


@require_POST
@owner_required
def item_add(request, collection: Collection):
    form = ItemAddForm(request.POST)
    if not form.is_valid():
        return _item_error(request, collection, _errors_text(form.errors))
    title = form.cleaned_data["title"]
    try:
        item = services.collection_add_title(collection, title, form.cleaned_data["note"])
    except ValidationError as error:
        return _item_error(request, collection, _errors_text(error))
    return _after_item_change(
        request, collection, f"Added “{title}” at position {item.position}.", item
    )


@require_POST
@owner_required
def item_remove(request, collection: Collection, item_pk: int):
    item = _item_or_404(collection, item_pk)
    try:
        services.collection_remove_title(collection, item.title)
    except ValidationError as error:
        return _item_error(request, collection, _errors_text(error))
    return _after_item_change(request, collection, f"Removed “{item.title}”.")


@require_POST
@owner_required
def item_move(request, collection: Collection, item_pk: int):
    item = _item_or_404(collection, item_pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _item_error(request, collection, _errors_text(form.errors))
    try:
        item = services.collection_move_item(collection, item, form.target(item.position))
    except ValidationError as error:
        return _item_error(request, collection, _errors_text(error))
    return _after_item_change(
        request, collection, f"Moved “{item.title}” to position {item.position}.", item
    )


@require_POST
@owner_required
def item_note(request, collection: Collection, item_pk: int):
    item = _item_or_404(collection, item_pk)
    form = NoteForm(request.POST)
    note = request.POST.get("note", "")
    if not form.is_valid():
        message = _errors_text(form.errors)
        # The typed note is shown again in its field, so nothing is lost.
        return _item_error(
            request, collection, message, note_errors={item.pk: {"value": note, "error": message}}
        )
    try:
        services.collection_set_note(collection, item, form.cleaned_data["note"])
    except ValidationError as error:
        message = _errors_text(error)
        return _item_error(
            request, collection, message, note_errors={item.pk: {"value": note, "error": message}}
        )
    done = "Saved the note on" if item.note else "Cleared the note on"
    return _after_item_change(request, collection, f"{done} “{item.title}”.", item)


# The title page's pieces ------------------------------------------------------------------


@require_GET
def title_collections(request, title_pk: int):
    """The "Collections (N)" fragment of a title page, for paging in place with htmx."""
    title = get_object_or_404(Title, pk=title_pk)
    page_number = request.GET.get("collections_page")
    if not request.htmx:
        query = f"?{urlencode({'collections_page': page_number})}" if page_number else ""
        return redirect(f"{title.get_absolute_url()}{query}#title-collections")
    return render(
        request,
        "collections_app/_title_collections.html",
        title_collections_context(request, title),
    )


@login_required
def title_add(request, title_pk: int):
    """Add a title to one of the member's collections, or to a new one named in place."""
    title = get_object_or_404(Title, pk=title_pk)
    collections = selectors.collections_for_adding(request.user, title)
    form = AddToCollectionForm(
        request.POST if request.method == "POST" else None, collections=collections
    )
    result = None
    if request.method == "POST" and form.is_valid():
        result = _add_from_form(request, title, form, collections)
    if result is not None:
        collection, message = result
        if not request.htmx:
            messages.success(request, message)
            return redirect(safe_next(request, title.get_absolute_url()))
        context = add_to_collection_context(
            request,
            title,
            status_message=message,
            next_url=safe_next(request, title.get_absolute_url()),
        )
        context["added_to"] = collection
        response = render(request, "collections_app/_add_to_collection.html#card", context)
        if collection.is_public:
            # The "Collections (N)" section changes too: swap it out of band.
            section = render(
                request,
                "collections_app/_title_collections.html",
                {**title_collections_context(request, title), "oob": True},
            )
            response.content += section.content
        return response
    status = 400 if request.method == "POST" else 200
    context = add_to_collection_context(
        request, title, form=form, next_url=safe_next(request, title.get_absolute_url())
    )
    template = "collections_app/add_to_collection.html"
    if request.htmx:
        template = "collections_app/_add_to_collection.html#card"
    return render(request, template, context, status=status)


def _add_from_form(request, title, form, collections) -> tuple[Collection, str] | None:
    new_name = form.cleaned_data["new_name"].strip()
    note = form.cleaned_data["note"]
    try:
        if new_name:
            collection = services.collection_create_with_title(request.user, new_name, title, note)
            return collection, f"Created “{collection.name}” and added “{title}”."
        chosen = {c.pk: c for c in collections}.get(form.cleaned_data["collection"])
        if chosen is None:
            form.add_error("collection", "Pick one of your own collections.")
            return None
        services.collection_add_title(chosen, title, note)
        return chosen, f"Added “{title}” to “{chosen.name}”."
    except ValidationError as error:
        form.add_error(None, error)
        return None

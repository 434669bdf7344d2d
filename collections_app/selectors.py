"""Reads for collections pages, the title page's collections section and profiles."""

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from catalog.models import Title
from catalog.selectors import title_search
from collections_app.models import Collection, CollectionItem
from core.sorting import Sorts

COLLECTIONS_PER_PAGE = 24
ITEMS_PER_PAGE = 50
TITLE_COLLECTIONS_PER_PAGE = 20
PREVIEW_POSTERS = 4
FINDER_RESULTS = 8

SORTS = Sorts(
    {
        "updated": ("Recently updated", ("-updated_at", "-pk")),
        "size": ("Most titles", ("-items_count", "-updated_at", "-pk")),
        "name": ("Name", ("name", "pk")),
    },
    default="updated",
)
DEFAULT_SORT = SORTS.default


def user_public_collections(user) -> QuerySet[Collection]:
    """A member's public collections, most recently updated first (for their profile)."""
    return (
        Collection.objects.public()
        .filter(owner=user)
        .select_related("owner")
        .order_by("-updated_at", "-pk")
    )


def user_collections(user) -> QuerySet[Collection]:
    """All of a member's collections, public and private (for their own page)."""
    return (
        Collection.objects.filter(owner=user).select_related("owner").order_by("-updated_at", "-pk")
    )


def public_collections(query: str = "", sort: str = DEFAULT_SORT) -> QuerySet[Collection]:
    """Public collections whose name contains ``query``, in one of ``SORTS``."""
    collections = Collection.objects.public().select_related("owner")
    query = " ".join(query.split())
    if query:
        collections = collections.filter(name__icontains=query)
    return collections.order_by(*SORTS.order_by(sort))


def attach_previews(collections, limit: int = PREVIEW_POSTERS) -> None:
    """Set ``preview_titles`` (the first ``limit`` titles) on each collection, in one query.

    Positions are dense, so the first titles are simply those at positions 1..limit.
    """
    collections = list(collections)
    by_id = {collection.pk: collection for collection in collections}
    for collection in collections:
        collection.preview_titles = []
    items = (
        CollectionItem.objects.filter(collection_id__in=by_id, position__lte=limit)
        .select_related("title")
        .order_by("collection_id", "position")
    )
    for item in items:
        by_id[item.collection_id].preview_titles.append(item.title)


def collection_for_viewer(pk: int, user) -> Collection:
    """The collection, if ``user`` may see it: public (see ``public()``), or their own.
    Otherwise 404."""
    shown = Exists(Collection.objects.public().filter(pk=OuterRef("pk")))
    collection = (
        Collection.objects.select_related("owner").annotate(shown=shown).filter(pk=pk).first()
    )
    if collection is None or not (collection.shown or collection.owner_id == user.pk):
        raise Http404("No such collection.")
    return collection


def collection_items_page(collection: Collection, page_number) -> Page:
    """One page of a collection's items in order, each with its title."""
    items = (
        CollectionItem.objects.filter(collection=collection)
        .select_related("title__stats")  # the items show the aggregates
        .order_by("position")
    )
    return Paginator(items, ITEMS_PER_PAGE).get_page(page_number)


def page_of_position(position: int) -> int:
    return (max(position, 1) - 1) // ITEMS_PER_PAGE + 1


def title_finder(collection: Collection, query: str) -> list[Title]:
    """Titles matching ``query`` for the owner's "Add titles" box, each marked
    ``in_collection``: the site's typo- and accent-tolerant search ("intervew",
    "amelie"), best match first."""
    query = " ".join(query.split())
    if not query:
        return []
    in_collection = CollectionItem.objects.filter(collection=collection, title=OuterRef("pk"))
    return list(
        title_search(Title.objects.all(), query)
        .annotate(in_collection=Exists(in_collection))
        .order_by("-search_rank", "-ratings_count", "name", "pk")[:FINDER_RESULTS]
    )


def title_public_collections(title: Title) -> QuerySet[Collection]:
    """Public collections that contain ``title``, most recently updated first."""
    return (
        Collection.objects.public()
        .filter(Exists(CollectionItem.objects.filter(collection=OuterRef("pk"), title=title)))
        .select_related("owner")
        .order_by("-updated_at", "-pk")
    )


def title_collections_page(title: Title, page_number) -> Page:
    return Paginator(title_public_collections(title), TITLE_COLLECTIONS_PER_PAGE).get_page(
        page_number
    )


def collections_for_adding(user, title: Title) -> list[Collection]:
    """The member's collections for the "Add to collection" picker, each marked
    ``has_title`` when ``title`` is already in it."""
    if not user.is_authenticated:
        return []
    contains = CollectionItem.objects.filter(collection=OuterRef("pk"), title=title)
    return list(
        Collection.objects.filter(owner=user)
        .annotate(has_title=Exists(contains))
        .order_by("-updated_at", "-pk")
    )


def inconsistent_collections() -> list[dict]:
    """Collections whose stored ``items_count`` or item positions disagree with a fresh
    count (positions must be exactly 1..n), with what was found. Empty when all is well."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, c.items_count, count(i.id) AS actual,
                   count(i.id) FILTER (WHERE i.position <> r.rn) AS misplaced
              FROM collections_app_collection c
              LEFT JOIN collections_app_collectionitem i ON i.collection_id = c.id
              LEFT JOIN (SELECT id, row_number() OVER (
                             PARTITION BY collection_id ORDER BY position, id) AS rn
                           FROM collections_app_collectionitem) r ON r.id = i.id
             GROUP BY c.id, c.items_count
            HAVING c.items_count <> count(i.id)
                OR count(i.id) FILTER (WHERE i.position <> r.rn) > 0
             ORDER BY c.id
            """
        )
        return [
            {"id": pk, "items_count": stored, "actual": actual, "misplaced": misplaced}
            for pk, stored, actual, misplaced in cursor.fetchall()
        ]

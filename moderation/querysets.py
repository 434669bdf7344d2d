"""Filters other apps use to keep moderated content out of public views.

Kept free of imports from other apps so that ``ratings.models`` and
``collections_app.models`` can call these lazily without import cycles.
"""

from django.db.models import Exists, OuterRef


def user_suspended(field: str = "user") -> Exists:
    """True where the member in ``field`` (a path on the outer query) is suspended."""
    from moderation.models import Suspension

    return Exists(Suspension.objects.active().filter(user=OuterRef(field)))


def collection_hidden(field: str = "pk") -> Exists:
    """True where the collection in ``field`` is hidden by a moderator."""
    from moderation.models import HiddenCollection

    return Exists(HiddenCollection.objects.filter(collection=OuterRef(field)))

from django.utils.functional import SimpleLazyObject

from social.selectors import followed_user_ids, unread_count


def notifications(request):
    """For every page: ``unread_notifications`` (the header's count) and
    ``followed_user_ids`` (follow buttons on pages of other apps: soulmates, the TCI
    page). Both are lazy: read only when a template shows them, one query each."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "followed_user_ids": frozenset()}
    return {
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user)),
        "followed_user_ids": SimpleLazyObject(lambda: followed_user_ids(user)),
    }

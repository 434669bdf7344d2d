"""Reads of ratings."""

from ratings.models import Rating


def viewer_rating(user, title) -> Rating | None:
    """The signed-in viewer's own rating of a title, or None."""
    if not user.is_authenticated:
        return None
    return Rating.objects.filter(user=user, title=title).first()

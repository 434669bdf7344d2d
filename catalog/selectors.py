"""Reads for catalog pages."""

from django.db.models import QuerySet

from catalog.models import Title
from ratings.models import Rating

# A title needs this many ratings before it is ranked among the top titles, so that
# one enthusiastic rater cannot put an obscure title at the top.
TOP_TITLES_MIN_RATINGS = 10


def home_recently_rated_titles(limit: int = 12) -> list[Title]:
    """Titles most recently rated by anyone, newest first, each once."""
    recent = Rating.objects.order_by("-rated_at").values_list("title_id", flat=True)[: limit * 8]
    ordered_ids = list(dict.fromkeys(recent))[:limit]
    titles = Title.objects.in_bulk(ordered_ids)
    return [titles[pk] for pk in ordered_ids if pk in titles]


def home_top_titles(limit: int = 12) -> QuerySet[Title]:
    return Title.objects.filter(
        ratings_count__gte=TOP_TITLES_MIN_RATINGS, avg_percentile__isnull=False
    ).order_by("-avg_percentile", "-ratings_count")[:limit]


def home_recent_reviews(limit: int = 8) -> QuerySet[Rating]:
    return (
        Rating.objects.visible()
        .with_review()
        .select_related("user", "title")
        .order_by("-rated_at")[:limit]
    )

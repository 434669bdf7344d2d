"""Reads of ratings."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import ExtractYear

from catalog.models import Title
from core.charts import Bar, BarChart, bar_chart
from core.sorting import Sorts
from ratings.models import Rating
from ratings.services import ALL_FRESH_PERCENTILES_SQL, TITLE_TABLE


def viewer_rating(user, title) -> Rating | None:
    """The signed-in viewer's own rating of a title, or None."""
    if not user.is_authenticated:
        return None
    return Rating.objects.filter(user=user, title=title).first()


def user_distinct_scores(user) -> int:
    """How many different scores a user has given (percentiles need at least 5)."""
    if not user.is_authenticated:
        return 0
    return Rating.objects.filter(user=user).values("score").distinct().count()


# Home page and title page ---------------------------------------------------------------

REVIEWS_PER_PAGE = 20


def home_recently_rated_titles(limit: int = 12) -> list[Title]:
    """Titles most recently rated by anyone, newest first, each once."""
    recent = Rating.objects.order_by("-rated_at").values_list("title_id", flat=True)[: limit * 8]
    ordered_ids = list(dict.fromkeys(recent))[:limit]
    titles = Title.objects.in_bulk(ordered_ids)
    return [titles[pk] for pk in ordered_ids if pk in titles]


def home_recent_reviews(limit: int = 8) -> QuerySet[Rating]:
    """The newest reviews that may be shown publicly, with their authors and titles."""
    return (
        Rating.objects.visible()
        .with_review()
        .select_related("user", "title")
        .order_by("-rated_at")[:limit]
    )


REVIEW_SORTS = Sorts(
    {
        "newest": ("Newest", ["-rated_at", "-id"]),
        "highest": ("Highest score", ["-score", "-rated_at", "-id"]),
        "lowest": ("Lowest score", ["score", "-rated_at", "-id"]),
    },
    default="newest",
)


def title_page_ratings(title: Title, sort: str, page_number) -> Page:
    """One page of a title's ratings and reviews with their raters (two queries)."""
    return Paginator(title_ratings(title, sort), REVIEWS_PER_PAGE).get_page(page_number)


def title_ratings(title: Title, sort: str) -> QuerySet[Rating]:
    """A title's ratings and reviews with what the list shows of their raters, in the
    order ``sort`` names (a REVIEW_SORTS key)."""
    ordering = REVIEW_SORTS.order_by(sort)
    return (
        Rating.objects.filter(title=title)
        .select_related("user")
        .only(
            "id",
            "score",
            "percentile",
            "review",
            "review_hidden",
            "rated_at",
            "title_id",
            "user__id",
            "user__username",
            "user__display_name",
        )
        # A suspended member's review is hidden like one a moderator hid; the score stays.
        .annotate(author_suspended=F("user__is_suspended"))
        .order_by(*ordering)
    )


@dataclass(frozen=True)
class PercentileMismatch:
    rating_id: int
    user_id: int
    title_id: int
    stored: int | None
    expected: int | None

    def __str__(self) -> str:
        return (
            f"rating {self.rating_id} (user {self.user_id}, title {self.title_id}): "
            f"percentile {self.stored} stored, {self.expected} expected"
        )


@dataclass(frozen=True)
class AggregateMismatch:
    title_id: int
    stored: tuple[int, int, int]
    expected: tuple[int, int, int]

    def __str__(self) -> str:
        return (
            f"title {self.title_id}: (ratings_count, percentile_sum, percentile_count) "
            f"{self.stored} stored, {self.expected} expected"
        )


CHECK_PERCENTILES_SQL = f"""
    SELECT id, user_id, title_id, old, new FROM ({ALL_FRESH_PERCENTILES_SQL}) AS fresh
     WHERE old IS DISTINCT FROM new
     ORDER BY user_id, title_id
"""

CHECK_TITLES_SQL = f"""
    SELECT t.id, t.ratings_count, t.percentile_sum, t.percentile_count,
           COALESCE(a.ratings_count, 0), COALESCE(a.percentile_sum, 0),
           COALESCE(a.percentile_count, 0)
      FROM {TITLE_TABLE} AS t
      LEFT JOIN (
        SELECT title_id, count(*) AS ratings_count, sum(new) AS percentile_sum,
               count(new) AS percentile_count
          FROM ({ALL_FRESH_PERCENTILES_SQL}) AS fresh GROUP BY title_id
      ) AS a ON a.title_id = t.id
     WHERE (t.ratings_count, t.percentile_sum, t.percentile_count)
           IS DISTINCT FROM (COALESCE(a.ratings_count, 0), COALESCE(a.percentile_sum, 0),
                             COALESCE(a.percentile_count, 0))
     ORDER BY t.id
"""


def percentile_mismatches() -> tuple[list[PercentileMismatch], list[AggregateMismatch]]:
    """Every stored percentile and title aggregate that differs from a fresh computation.

    Both checks read one consistent snapshot (REPEATABLE READ, unless called inside a
    transaction already), so they can run while people are rating.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute(CHECK_PERCENTILES_SQL)
        ratings = [PercentileMismatch(*row) for row in cursor.fetchall()]
        cursor.execute(CHECK_TITLES_SQL)
        titles = [AggregateMismatch(row[0], row[1:4], row[4:7]) for row in cursor.fetchall()]
    return ratings, titles


# Statistics -----------------------------------------------------------------------------


def title_statistics(title: Title, max_years: int = 25) -> list[BarChart]:
    """Distribution of scores and of percentiles, and ratings per year, for SVG charts.

    Three GROUP BY queries, whatever the number of ratings.
    """
    ratings = Rating.objects.filter(title=title)
    score_counts = dict(
        ratings.annotate(bucket=F("score") / 10)
        .values("bucket")
        .annotate(n=Count("id"))
        .values_list("bucket", "n")
    )
    # 100 joins 90-99 so every bucket is ten wide.
    score_counts[9] = score_counts.get(9, 0) + score_counts.pop(10, 0)
    percentile_counts = dict(
        ratings.filter(percentile__isnull=False)
        .annotate(bucket=F("percentile") / 10)
        .values("bucket")
        .annotate(n=Count("id"))
        .values_list("bucket", "n")
    )
    year_counts = dict(
        ratings.annotate(year=ExtractYear("rated_at"))
        .values("year")
        .annotate(n=Count("id"))
        .values_list("year", "n")
    )
    score_bars = [
        Bar(f"{b * 10}-{b * 10 + 9 if b < 9 else 100}", score_counts.get(b, 0), f"{b * 10}")
        for b in range(10)
    ]
    percentile_bars = [
        Bar(f"{b * 10}-{b * 10 + 9}", percentile_counts.get(b, 0), f"{b * 10}") for b in range(10)
    ]
    year_bars = []
    if year_counts:
        last = max(year_counts)
        first = max(min(year_counts), last - max_years + 1)
        year_bars = [Bar(str(year), year_counts.get(year, 0)) for year in range(first, last + 1)]
    return [
        bar_chart(
            "scores",
            "Distribution of scores",
            score_bars,
            description="Number of ratings in each band of ten points on the 0-100 scale.",
            x_label="Score (0-100)",
        ),
        bar_chart(
            "percentiles",
            "Distribution of percentiles",
            percentile_bars,
            description=(
                "Number of ratings in each band of ten percentiles (each rater's own ranking)."
            ),
            x_label="Percentile",
        ),
        bar_chart(
            "years",
            "Ratings per year",
            year_bars,
            description="Number of ratings made in each year.",
            x_label="Year rated",
        ),
    ]

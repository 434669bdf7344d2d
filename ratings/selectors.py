"""Reads of ratings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import ExtractYear

from catalog.models import Credit, Person, Title
from core.charts import Bar, BarChart, bar_chart
from core.sorting import Sorts
from ratings.models import Rating
from ratings.services import ALL_FRESH_PERCENTILES_SQL, STATS_TABLE, TITLE_TABLE


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
        .shown_to(AnonymousUser())
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


def rating_columns(rating_ids, annotations: dict) -> dict[int, dict]:
    """Columns that higher apps compute for some ratings (``annotations``: the viewer's
    TCI with each rater, their likes), by rating id (one query)."""
    rows = Rating.objects.filter(pk__in=list(rating_ids)).annotate(**annotations)
    return {row.pop("pk"): row for row in rows.values("pk", *annotations)}


def title_page_ratings(
    title: Title,
    sort: str,
    page_number,
    viewer=None,
    *,
    annotations: dict | None = None,
    ordering: Sequence | None = None,
    reviews_only: bool = False,
) -> Page:
    """One page of a title's ratings and reviews with their raters (two queries), leaving
    out those of raters who do not let ``viewer`` see them (Rating.objects.shown_to).

    Higher apps add columns read in the same query (``annotations``: the viewer's TCI
    with each rater, likes) and may order by them (``ordering`` replaces the sort's)."""
    ordering = ordering or REVIEW_SORTS.order_by(sort)
    ratings = (
        Rating.objects.filter(title=title)
        .shown_to(viewer or AnonymousUser())
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
        .annotate(author_suspended=F("user__is_suspended"), **(annotations or {}))
        .order_by(*ordering)
    )
    if reviews_only:
        ratings = ratings.with_review()
    return Paginator(ratings, REVIEWS_PER_PAGE).get_page(page_number)


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

# The stored aggregates are in the side table (a title without a row reads zeros).
CHECK_TITLES_SQL = f"""
    SELECT t.id, t.ratings_count, t.percentile_sum, t.percentile_count,
           COALESCE(a.ratings_count, 0), COALESCE(a.percentile_sum, 0),
           COALESCE(a.percentile_count, 0)
      FROM (SELECT t.id, COALESCE(s.ratings_count, 0) AS ratings_count,
                   COALESCE(s.percentile_sum, 0) AS percentile_sum,
                   COALESCE(s.percentile_count, 0) AS percentile_count
              FROM {TITLE_TABLE} AS t LEFT JOIN {STATS_TABLE} AS s ON s.title_id = t.id) AS t
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


# People: a viewer's scores of one person's titles, a member's favourite people ----------

CREDIT_TABLE = Credit._meta.db_table
RATINGS_TABLE = Rating._meta.db_table
PERSON_TABLE = Person._meta.db_table
MIN_RATED_FOR_PERSON_RANK = 5
MIN_RATED_FOR_FAVOURITE_PEOPLE = 3
FAVOURITE_PEOPLE = 5

# SQL because it ranks the person's average among all the people the viewer rated often
# in the same role (an aggregate of aggregates), with the percentile formula of
# DESIGN.md: floor(100 * (below + equal / 2) / n).
PERSON_RANK_SQL = f"""
WITH per_person AS (
    SELECT c.person_id, avg(r.percentile) AS avg_pct
    FROM {RATINGS_TABLE} r JOIN {CREDIT_TABLE} c ON c.title_id = r.title_id
    WHERE r.user_id = %(user)s AND c.role = %(role)s AND r.percentile IS NOT NULL
    GROUP BY c.person_id
    HAVING count(*) >= %(min_rated)s
), this AS (SELECT avg_pct FROM per_person WHERE person_id = %(person)s)
SELECT (200 * count(*) FILTER (WHERE p.avg_pct < this.avg_pct)
        + 100 * count(*) FILTER (WHERE p.avg_pct = this.avg_pct)) / (2 * count(*)),
       count(*)
FROM per_person p CROSS JOIN this
"""

# SQL because each role's best and worst people are two window rankings over one
# aggregate of the member's ratings joined to the credits.
FAVOURITE_PEOPLE_SQL = f"""
WITH per_person AS (
    SELECT c.role, c.person_id, avg(r.percentile) AS avg_pct, count(*) AS rated
    FROM {RATINGS_TABLE} r JOIN {CREDIT_TABLE} c ON c.title_id = r.title_id
    WHERE r.user_id = %(user)s AND r.percentile IS NOT NULL AND c.role IN ('director', 'cast')
    GROUP BY c.role, c.person_id
    HAVING count(*) >= %(min_rated)s
), ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY role ORDER BY avg_pct DESC, rated DESC, person_id)
               AS best,
           row_number() OVER (PARTITION BY role ORDER BY avg_pct ASC, rated DESC, person_id)
               AS worst
    FROM per_person
)
SELECT ranked.role, ranked.person_id, p.name, ranked.avg_pct, ranked.rated,
       ranked.best, ranked.worst
FROM ranked JOIN {PERSON_TABLE} p ON p.id = ranked.person_id
WHERE ranked.best <= %(limit)s OR ranked.worst <= %(limit)s
"""


def viewer_ratings_by_title(user, title_ids) -> dict[int, Rating]:
    """The viewer's ratings of these titles, by title id (one query; none signed out)."""
    if not user.is_authenticated:
        return {}
    ratings = Rating.objects.filter(user=user, title_id__in=list(title_ids))
    return {rating.title_id: rating for rating in ratings}


@dataclass(frozen=True)
class PersonSummary:
    """ "You rated 7 of their 12 films, average percentile 71 (your 85th percentile for
    directors you rated 5+ times)"."""

    rated: int
    titles: int
    avg_percentile: float | None
    role: str
    role_rank: int | None


def person_summary(user, person, ratings: dict[int, Rating], titles: int, role: str):
    """The viewer's summary of a person from their ratings of the person's titles (read
    already), and where the person ranks among those they rated often in ``role``."""
    if not user.is_authenticated:
        return None
    known = [r.percentile for r in ratings.values() if r.percentile is not None]
    average = sum(known) / len(known) if known else None
    rank = None
    if len(known) >= MIN_RATED_FOR_PERSON_RANK:
        with connection.cursor() as cursor:
            cursor.execute(
                PERSON_RANK_SQL,
                {
                    "user": user.pk,
                    "role": role,
                    "person": person.pk,
                    "min_rated": MIN_RATED_FOR_PERSON_RANK,
                },
            )
            row = cursor.fetchone()
        rank = row[0] if row and row[1] else None
    return PersonSummary(len(ratings), titles, average, role, rank)


@dataclass(frozen=True)
class FavouritePerson:
    person: Person
    avg_percentile: float
    rated: int


def member_favourite_people(member, limit: int = FAVOURITE_PEOPLE) -> dict:
    """The directors and actors a member rates highest and lowest (by the average
    percentile of their ratings of the person's titles, 3 rated titles at least):
    {"directors": {"highest": [...], "lowest": [...]}, "actors": {...}}. One query."""
    found = {
        "directors": {"highest": [], "lowest": []},
        "actors": {"highest": [], "lowest": []},
    }
    with connection.cursor() as cursor:
        cursor.execute(
            FAVOURITE_PEOPLE_SQL,
            {"user": member.pk, "min_rated": MIN_RATED_FOR_FAVOURITE_PEOPLE, "limit": limit},
        )
        rows = cursor.fetchall()
    for role, person_id, name, average, rated, best, worst in rows:
        group = found["directors" if role == "director" else "actors"]
        entry = (Person(pk=person_id, name=name), float(average), rated)
        if best <= limit:
            group["highest"].append((best, FavouritePerson(*entry)))
        if worst <= limit:
            group["lowest"].append((worst, FavouritePerson(*entry)))
    for group in found.values():
        for key in ("highest", "lowest"):
            group[key] = [person for _rank, person in sorted(group[key], key=lambda x: x[0])]
        # With few people the two lists would repeat each other: each is named once.
        best = {favourite.person.pk for favourite in group["highest"]}
        group["lowest"] = [f for f in group["lowest"] if f.person.pk not in best]
    return found

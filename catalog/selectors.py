"""Reads for catalog pages."""

import math
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, FloatField, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractYear
from django.http import Http404

from catalog.models import Credit, CreditRole, Title, WatchLink
from catalog.search import name_trigrams, normalise_name, prefix_tsquery
from core.charts import Bar, BarChart, bar_chart
from core.sorting import Sorts
from moderation.querysets import user_suspended
from ratings.models import Rating

# A title needs this many ratings before it is ranked among the top titles, so that
# one enthusiastic rater cannot put an obscure title at the top.
TOP_TITLES_MIN_RATINGS = 10
# A title matches a query by trigrams when it contains at least this share of the
# query's trigrams: "intervew" shares 7 of its 9 with "interview".
MIN_TRIGRAM_COVERAGE = 0.5
REVIEWS_PER_PAGE = 20
MAIN_CAST = 8


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


# Search ---------------------------------------------------------------------------------

# Trigrams the title shares with the query; name_trigrams holds distinct values, so this
# is the size of the intersection.
_SHARED_SQL = (
    "(SELECT count(*) FROM unnest(catalog_title.name_trigrams) AS g(trigram)"
    " WHERE g.trigram = ANY(%s::varchar[]))"
)


def title_search(queryset: QuerySet[Title], query: str) -> QuerySet[Title]:
    """Titles matching a free-text query, annotated with `search_rank` (higher is better).

    Matches by prefix full-text search on the normalised name or by trigram overlap
    (typos); ranks by full-text rank, the share of the query's trigrams found, the
    trigram similarity of the whole name, and an exact-name bonus.
    """
    normalised = normalise_name(query)
    if not normalised:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    trigrams = name_trigrams(normalised)
    tsquery = SearchQuery(prefix_tsquery(normalised), search_type="raw", config="simple")
    min_shared = max(1, math.ceil(len(trigrams) * MIN_TRIGRAM_COVERAGE))
    shared = RawSQL(_SHARED_SQL, (trigrams,), output_field=FloatField())
    similarity = RawSQL(
        f"{_SHARED_SQL}::float / greatest(1, cardinality(catalog_title.name_trigrams)"
        f" + %s - {_SHARED_SQL})",
        (trigrams, len(trigrams), trigrams),
        output_field=FloatField(),
    )
    exact = RawSQL(
        "CASE WHEN catalog_title.search_name = %s THEN 1.0 ELSE 0.0 END",
        (normalised,),
        output_field=FloatField(),
    )
    return (
        queryset.annotate(shared_trigrams=shared)
        .filter(
            Q(search_vector=tsquery)
            | Q(name_trigrams__overlap=trigrams, shared_trigrams__gte=min_shared)
        )
        .annotate(
            search_rank=SearchRank(F("search_vector"), tsquery)
            + F("shared_trigrams") / float(len(trigrams))
            + similarity
            + exact
        )
    )


# Title page -----------------------------------------------------------------------------


def title_for_page(pk: int) -> Title:
    """A title with everything its page shows beside ratings, in four queries."""
    credits = Credit.objects.select_related("person").order_by("role", "order", "person__name")
    try:
        return Title.objects.prefetch_related(
            "genres",
            Prefetch("credits", queryset=credits),
            Prefetch("watch_links", queryset=WatchLink.objects.order_by("kind", "provider")),
        ).get(pk=pk)
    except Title.DoesNotExist:
        raise Http404("No title with this number.") from None


def title_by_pk(pk: int) -> Title:
    """A title alone (one query), 404 if there is none."""
    try:
        return Title.objects.get(pk=pk)
    except Title.DoesNotExist:
        raise Http404("No title with this number.") from None


@dataclass
class TitlePeople:
    directors: list[Credit] = field(default_factory=list)
    writers: list[Credit] = field(default_factory=list)
    cast: list[Credit] = field(default_factory=list)


def title_people(title: Title, main_cast: int = MAIN_CAST) -> TitlePeople:
    """Directors, writers and the first billed cast, from the prefetched credits."""
    people = TitlePeople()
    for credit in title.credits.all():
        if credit.role == CreditRole.DIRECTOR:
            people.directors.append(credit)
        elif credit.role == CreditRole.WRITER:
            people.writers.append(credit)
        elif len(people.cast) < main_cast:
            people.cast.append(credit)
    return people


def title_watch_links(title: Title) -> list[tuple[str, list[WatchLink]]]:
    """Watch links grouped by kind in the order stream, rent, buy."""
    groups: dict[str, list[WatchLink]] = {}
    for link in title.watch_links.all():
        groups.setdefault(link.get_kind_display(), []).append(link)
    order = ["Stream", "Rent", "Buy"]
    return sorted(groups.items(), key=lambda item: order.index(item[0]))


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
    ordering = REVIEW_SORTS.order_by(sort)
    ratings = (
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
        .annotate(author_suspended=user_suspended("user"))
        .order_by(*ordering)
    )
    return Paginator(ratings, REVIEWS_PER_PAGE).get_page(page_number)


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def trailer_embed_url(url: str) -> str:
    """The privacy-friendly embed URL of a YouTube or Vimeo trailer, or "" if unknown."""
    if not url:
        return ""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host in ("youtube.com", "youtube-nocookie.com"):
        if parsed.path == "/watch":
            video_id = parse_qs(parsed.query).get("v", [""])[0]
        elif parsed.path.startswith(("/embed/", "/shorts/")):
            video_id = parsed.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parsed.path.strip("/").split("/")[0]
    elif host in ("vimeo.com", "player.vimeo.com"):
        digits = [part for part in parsed.path.split("/") if part.isdigit()]
        return f"https://player.vimeo.com/video/{digits[0]}?autoplay=1" if digits else ""
    if _YOUTUBE_ID.match(video_id or ""):
        return f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1&rel=0"
    return ""


# Similar titles -------------------------------------------------------------------------

_SIMILAR_SQL = """
WITH my_genres AS (
    SELECT genre_id FROM catalog_title_genres WHERE title_id = %(title)s
), by_genre AS (
    SELECT tg.title_id, count(*) AS n
    FROM catalog_title_genres tg JOIN my_genres USING (genre_id)
    WHERE tg.title_id <> %(title)s
    GROUP BY tg.title_id
), my_people AS (
    SELECT person_id FROM catalog_credit
    WHERE title_id = %(title)s AND (role <> 'cast' OR "order" < %(main_cast)s)
), by_people AS (
    SELECT c.title_id, count(DISTINCT c.person_id) AS n
    FROM catalog_credit c JOIN my_people USING (person_id)
    WHERE c.title_id <> %(title)s
    GROUP BY c.title_id
), fans AS (
    SELECT user_id FROM ratings_rating
    WHERE title_id = %(title)s AND coalesce(percentile, score) >= 50
    ORDER BY rated_at DESC LIMIT %(max_fans)s
), by_fans AS (
    SELECT r.title_id, count(*) AS n
    FROM ratings_rating r JOIN fans USING (user_id)
    WHERE r.title_id <> %(title)s AND coalesce(r.percentile, r.score) >= 50
    GROUP BY r.title_id
), scored AS (
    SELECT title_id,
           coalesce(by_genre.n, 0) AS genres,
           coalesce(by_people.n, 0) AS people,
           coalesce(by_fans.n, 0) AS fans
    FROM by_genre FULL JOIN by_people USING (title_id) FULL JOIN by_fans USING (title_id)
)
SELECT s.title_id, s.genres, s.people, s.fans
FROM scored s JOIN catalog_title t ON t.id = s.title_id
ORDER BY 1.0 * s.genres / greatest(1, (SELECT count(*) FROM my_genres))
         + 1.5 * s.people + 2.0 * ln(1 + s.fans) DESC,
         t.ratings_count DESC, t.id
LIMIT %(limit)s
"""


@dataclass
class SimilarTitle:
    title: Title
    shared_genres: int
    shared_people: int
    shared_fans: int

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.shared_people:
            reasons.append(
                f"{self.shared_people} shared {'person' if self.shared_people == 1 else 'people'}"
            )
        if self.shared_genres:
            reasons.append(
                f"{self.shared_genres} shared genre{'s' if self.shared_genres > 1 else ''}"
            )
        if self.shared_fans:
            reasons.append(f"liked by {self.shared_fans} of its fans")
        return reasons


def similar_titles(title: Title, limit: int = 12, max_fans: int = 500) -> list[SimilarTitle]:
    """Titles like this one: shared genres, shared directors/writers/main cast, and
    co-ratings (titles its fans, those who rated it in their upper half, also liked).
    Two queries whatever the catalogue size."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SIMILAR_SQL,
            {"title": title.pk, "main_cast": MAIN_CAST, "max_fans": max_fans, "limit": limit},
        )
        rows = cursor.fetchall()
    titles = Title.objects.in_bulk([row[0] for row in rows])
    return [
        SimilarTitle(titles[pk], genres, people, fans)
        for pk, genres, people, fans in rows
        if pk in titles
    ]


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

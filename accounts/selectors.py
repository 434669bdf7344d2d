"""Reads for accounts pages: profiles (statistics, ratings lists, reviews), the ratings
export and import previews."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, Min, Q, QuerySet, Value
from django.db.models.functions import ExtractYear
from django.http import Http404

from accounts import importers
from accounts.importers.parsing import SITE_HEADER
from accounts.models import ImportBatch, User
from catalog.models import Genre, Title, TitleKind
from catalog.selectors import title_search
from collections_app.models import Collection, CollectionItem
from collections_app.selectors import user_public_collections
from core.charts import COUNTS_CHART, Bar, BarChart, bar_chart
from core.parsing import parse_int
from core.sorting import Sorts
from core.spreadsheet import csv_line
from core.text import ordinal
from library.models import Viewing, WatchlistEntry
from ratings import scales
from ratings.models import Rating

RATINGS_PER_PAGE = 30
COMPACT_RATINGS_PER_PAGE = 100
REVIEWS_PER_PAGE = 5
PREVIEW_ROWS_PER_PAGE = 50
EXPORT_CHUNK = 2_000
TOP_GENRES = 8

# Sort key -> (label, order_by). "-" keys are the reverse of the plain ones.
RATING_SORTS = Sorts(
    {
        "-date": ("Newest first", ("-rated_at", "-pk")),
        "date": ("Oldest first", ("rated_at", "pk")),
        "-score": ("Highest score", ("-score", "-rated_at", "-pk")),
        "score": ("Lowest score", ("score", "-rated_at", "-pk")),
        "-percentile": ("Highest percentile", ("-percentile", "-score", "-pk")),
        "percentile": ("Lowest percentile", ("percentile", "score", "pk")),
        "title": ("Title A-Z", ("title__name", "title__year", "pk")),
        "-title": ("Title Z-A", ("-title__name", "-title__year", "-pk")),
    },
    default="-date",
)
DEFAULT_RATING_SORT = RATING_SORTS.default

# Percentile bands drawn on the score distribution chart.
PERCENTILE_BANDS = ((0, 24), (25, 49), (50, 74), (75, 99))


def member_by_username(username: str) -> User:
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise Http404("No member with that name.") from None


# Profile statistics -------------------------------------------------------------------


def _buckets_for_scale(scale: str) -> list[tuple[str, range]]:
    """(label, stored scores) per bar: one bar per value of the viewer's scale, ten bars
    of ten points for 0-100."""
    if scale == scales.HUNDRED:
        edges = [
            (f"{low}-{low + 9 if low < 90 else 100}", range(low, low + 10 if low < 90 else 101))
            for low in range(0, 100, 10)
        ]
        return edges
    groups: dict[str, list[int]] = {}
    for score in range(101):
        groups.setdefault(scales.to_display(score, scale), []).append(score)
    return [(label, range(values[0], values[-1] + 1)) for label, values in groups.items()]


def score_distribution(member: User, scale: str) -> BarChart:
    """The member's ratings counted per value of the viewer's scale, each bar tinted by
    the percentile band of its ratings (one query)."""
    per_score = {
        row["score"]: row
        for row in Rating.objects.filter(user=member)
        .values("score")
        .annotate(n=Count("id"), percentile=Min("percentile"))
        .order_by()
    }
    bars: list[Bar] = []
    for label, scores in _buckets_for_scale(scale):
        rows = [per_score[s] for s in scores if s in per_score]
        count = sum(r["n"] for r in rows)
        percentiles = [r["percentile"] for r in rows if r["percentile"] is not None]
        low = min(percentiles) if percentiles else None
        high = max(percentiles) if percentiles else None
        band = None
        note = ""
        if percentiles:
            middle = (low + high) / 2
            band = next(i for i, (a, b) in enumerate(PERCENTILE_BANDS) if middle <= b + 0.999)
            span = ordinal(low) if high == low else f"{ordinal(low)}–{ordinal(high)}"
            note = f", {span} percentile"
        bars.append(Bar(label, count, band=band, note=note))
    return bar_chart(
        "distribution", "Number of ratings per score", bars, style=COUNTS_CHART, label_every=1
    )


def ratings_per_year(member: User) -> BarChart:
    """How many titles the member rated in each calendar year (one query)."""
    rows = (
        Rating.objects.filter(user=member)
        .annotate(year=ExtractYear("rated_at"))
        .values("year")
        .annotate(n=Count("id"))
        .order_by("year")
    )
    counts = {row["year"]: row["n"] for row in rows}
    bars = []
    if counts:
        first, last = min(counts), max(counts)
        first = max(first, last - 19)  # the last twenty years at most
        bars = [Bar(str(year), counts.get(year, 0)) for year in range(first, last + 1)]
    every = 1 if len(bars) <= 8 else 2 if len(bars) <= 14 else 4
    return bar_chart(
        "per-year", "Titles rated per year", bars, style=COUNTS_CHART, label_every=every
    )


def top_genres(member: User, limit: int = TOP_GENRES) -> list[dict]:
    """The genres the member rates most: name, slug, count and mean percentile."""
    return list(
        Genre.objects.filter(titles__ratings__user=member)
        .annotate(
            n=Count("titles__ratings"),
            avg_percentile=Avg("titles__ratings__percentile"),
        )
        .order_by("-n", "name")
        .values("name", "slug", "n", "avg_percentile")[:limit]
    )


def profile_counts(member: User) -> dict[str, int]:
    """Ratings, reviews (the publicly visible ones, as listed on the profile) and public
    collections."""
    publicly_visible_review = ~Q(review="") & Q(review_hidden=False, user__is_suspended=False)
    ratings = Rating.objects.filter(user=member).aggregate(
        ratings=Count("id"),
        reviews=Count("id", filter=publicly_visible_review),
        distinct_scores=Count("score", distinct=True),
    )
    ratings["collections"] = user_public_collections(member).count()
    return ratings


# Ratings list -----------------------------------------------------------------------


@dataclass
class RatingFilters:
    sort: str = DEFAULT_RATING_SORT
    kind: str = ""
    genre: str = ""
    year: int | None = None
    compact: bool = False

    @classmethod
    def from_query(cls, query, default_compact: bool = False) -> RatingFilters:
        """Filters from a request's GET; unknown values are ignored rather than refused."""
        kind = query.get("kind", "")
        year_text = query.get("year", "")
        view = query.get("view", "")
        return cls(
            sort=RATING_SORTS.parse(query.get("sort")),
            kind=kind if kind in TitleKind.values else "",
            genre=query.get("genre", "")[:60],
            year=parse_int(year_text, min=1870, max=2100),
            compact=view == "compact" if view in ("compact", "full") else default_compact,
        )

    @property
    def active(self) -> bool:
        return bool(self.kind or self.genre or self.year)


def member_ratings(member: User, filters: RatingFilters) -> QuerySet[Rating]:
    # author_suspended: a suspended member's reviews are hidden publicly (moderation).
    ratings = (
        Rating.objects.filter(user=member)
        .select_related("title")
        .annotate(author_suspended=Value(member.is_suspended))
    )
    if filters.kind:
        ratings = ratings.filter(title__kind=filters.kind)
    if filters.genre:
        ratings = ratings.filter(title__genres__slug=filters.genre)
    if filters.year:
        ratings = ratings.filter(title__year=filters.year)
    return ratings.order_by(*RATING_SORTS.order_by(filters.sort))


def member_ratings_page(member: User, filters: RatingFilters, page_number) -> Page:
    per_page = COMPACT_RATINGS_PER_PAGE if filters.compact else RATINGS_PER_PAGE
    return Paginator(member_ratings(member, filters), per_page).get_page(page_number)


def member_filter_options(member: User) -> dict:
    """Genres and release years present among the member's ratings (for the filter form)."""
    genres = list(
        Genre.objects.filter(titles__ratings__user=member)
        .distinct()
        .order_by("name")
        .values_list("slug", "name")
    )
    years = list(
        Title.objects.filter(ratings__user=member, year__isnull=False)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    return {"genres": genres, "years": years, "kinds": TitleKind.choices}


def member_reviews_page(member: User, page_number) -> Page:
    reviews = (
        Rating.objects.visible()
        .with_review()
        .filter(user=member)
        .select_related("title")
        .order_by("-rated_at", "-pk")
    )
    return Paginator(reviews, REVIEWS_PER_PAGE).get_page(page_number)


def member_public_collections(member: User, limit: int = 6) -> list:
    return list(user_public_collections(member)[:limit])


# Export -----------------------------------------------------------------------------


def rating_export_rows(member: User, newest_first: bool = True) -> Iterator[tuple[list, datetime]]:
    """The member's ratings as the cells of the site's CSV format (SITE_HEADER) plus the
    rating's time, read in chunks so any number of rows streams in constant memory."""
    order = ("-rated_at", "-pk") if newest_first else ("rated_at", "pk")
    rows = (
        Rating.objects.filter(user=member)
        .order_by(*order)
        .values_list(
            "title__name", "title__year", "title__imdb_id", "score", "percentile", "rated_at",
            "review",
        )
    )  # fmt: skip
    for name, year, imdb_id, score, percentile, rated_at, review in rows.iterator(
        chunk_size=EXPORT_CHUNK
    ):
        cells = [
            name,
            year or "",
            imdb_id or "",
            score,
            "" if percentile is None else percentile,
            rated_at.date().isoformat(),
            review,
        ]
        yield cells, rated_at


def export_csv_lines(member: User) -> Iterator[str]:
    """The member's ratings as CSV lines (header first), newest first. Cells a spreadsheet
    would run as formulas are escaped (core.spreadsheet)."""
    yield csv_line(SITE_HEADER)
    for cells, _rated_at in rating_export_rows(member):
        yield csv_line(cells)


# Import previews --------------------------------------------------------------------

PREVIEW_TABS = {
    importers.MATCHED: "Matched",
    importers.AMBIGUOUS: "Ambiguous",
    importers.UNMATCHED: "Not found",
    importers.INVALID: "Not readable",
}


IMPORT_FINDER_RESULTS = 6


def import_title_finder(query: str) -> list[Title]:
    """Titles for a line of an import the site could not match, found by the member with
    the site's typo- and accent-tolerant search, best match first."""
    query = " ".join(query.split())[:200]
    if not query:
        return []
    return list(
        title_search(Title.objects.all(), query)
        .only("pk", "name", "year", "kind")
        .order_by("-search_rank", "-ratings_count", "pk")[:IMPORT_FINDER_RESULTS]
    )


def import_batch_for(user: User, pk: int, *, with_rows: bool = True) -> ImportBatch:
    """The member's import (Http404 for anyone else's). The uploaded bytes are never
    read here; ``with_rows=False`` leaves the parsed rows out too (a progress read)."""
    batches = ImportBatch.objects.defer("upload_data")
    if not with_rows:
        batches = batches.defer("upload_data", "rows")
    try:
        return batches.get(pk=pk, user=user)
    except ImportBatch.DoesNotExist:
        raise Http404("No such import.") from None


def member_recent_imports(member: User, limit: int = 5) -> QuerySet[ImportBatch]:
    return (
        ImportBatch.objects.filter(user=member)
        .defer("rows", "upload_data")
        .order_by("-created_at")[:limit]
    )


def import_rows_page(batch: ImportBatch, status: str, page_number) -> Page:
    rows = [row for row in batch.rows if row["status"] == status]
    return Paginator(rows, PREVIEW_ROWS_PER_PAGE).get_page(page_number)


def import_score_mapping(batch: ImportBatch) -> list[tuple[str, int, int]]:
    """(score as written, stored 0-100 score, rows) for each distinct score in the file,
    e.g. ("3.5★", 70, 12)."""
    seen: dict[tuple[str, int], int] = {}
    for row in batch.rows:
        if row.get("score") is None:
            continue
        key = (row["raw_score"], row["score"])
        seen[key] = seen.get(key, 0) + 1
    ordered = sorted(seen.items(), key=lambda item: (item[0][1], item[0][0]))
    return [(f"{raw}{batch.score_suffix}", score, n) for (raw, score), n in ordered]


def import_existing_count(batch: ImportBatch) -> int:
    """How many matched titles the member has already rated (they are kept unless the
    member asks to replace them)."""
    title_ids = {row["title_id"] for row in batch.rows if row["status"] == importers.MATCHED}
    if not title_ids or batch.is_list:
        return 0
    return Rating.objects.filter(user=batch.user, title_id__in=title_ids).count()


UNMATCHED_HEADER = ["Line", "Title", "Year", "IMDb ID", "Score", "Date", "Review", "Reason"]


def import_unmatched_lines(batch: ImportBatch) -> Iterator[str]:
    """CSV lines of every row that was not imported (or will not be), with the reason."""
    yield csv_line(UNMATCHED_HEADER)
    for row in batch.rows:
        if row["status"] == importers.MATCHED:
            continue
        reason = row.get("error") or {
            importers.AMBIGUOUS: "Several titles match: "
            + "; ".join(label for _pk, label in row.get("candidates") or []),
            importers.UNMATCHED: "No title with this name and year in the catalog",
        }.get(row["status"], "")
        yield csv_line(
            [
                row["line"],
                row["name"],
                row.get("year") or "",
                row.get("imdb_id") or "",
                row.get("raw_score") or "",
                (row.get("rated_at") or "")[:10],
                row.get("review") or "",
                reason,
            ]
        )


# Leaving ----------------------------------------------------------------------------


def account_summary(member: User) -> dict[str, int]:
    """What deleting the account removes, counted (six queries)."""
    ratings = Rating.objects.filter(user=member).aggregate(
        ratings=Count("id"), reviews=Count("id", filter=~Q(review=""))
    )
    return {
        **ratings,
        "viewings": Viewing.objects.filter(user=member).count(),
        "watchlist": WatchlistEntry.objects.filter(user=member).count(),
        "collections": Collection.objects.filter(owner=member).count(),
        "collection_items": CollectionItem.objects.filter(collection__owner=member).count(),
        "imports": ImportBatch.objects.filter(user=member).count(),
    }

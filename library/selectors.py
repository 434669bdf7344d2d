"""Reads of the watchlist and the diary. Who may see them is decided by the caller
(``User.is_visible_to`` and ``watchlist_visible_to`` below); these only read."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from catalog.models import Genre, Title, WatchKind, WatchLink
from core.charts import COUNTS_CHART, Bar, BarChart, bar_chart
from library.models import Viewing, WatchlistEntry

VIEWINGS_PER_PAGE = 100


def watchlist_visible_to(member, viewer) -> bool:
    """A watchlist is its owner's (and staff's) alone unless the owner made it public;
    a public watchlist follows the member's visibility (everyone, members, nobody)."""
    if viewer.is_authenticated and (viewer.pk == member.pk or viewer.is_staff):
        return True
    return member.watchlist_public and member.is_visible_to(viewer)


# Watchlist ------------------------------------------------------------------------------


@dataclass
class WatchlistFilters:
    kind: str = ""
    genre: str = ""
    year_min: int | None = None
    year_max: int | None = None
    provider: str = ""

    @property
    def active(self) -> bool:
        return bool(self.kind or self.genre or self.year_min or self.year_max or self.provider)


def watchlist_entries(member, filters: WatchlistFilters | None = None) -> list[WatchlistEntry]:
    """The member's watchlist entries (with their titles), filtered, newest first: one
    query whatever the length of the list."""
    filters = filters or WatchlistFilters()
    qs = WatchlistEntry.objects.filter(user_id=member.pk).select_related("title__stats")
    if filters.kind:
        qs = qs.filter(title__kind=filters.kind)
    if filters.genre:
        qs = qs.filter(title__genres__slug=filters.genre)
    if filters.year_min is not None:
        qs = qs.filter(title__year__gte=filters.year_min)
    if filters.year_max is not None:
        qs = qs.filter(title__year__lte=filters.year_max)
    if filters.provider:
        qs = qs.filter(
            title__watch_links__provider=filters.provider,
            title__watch_links__kind=WatchKind.STREAM,
        )
    return list(qs.distinct().order_by("-added_at", "-pk"))


def watchlist_filter_options(member) -> dict:
    """The genres and streaming services of the titles on the member's list (two
    queries), for the filter form."""
    on_list = Title.objects.filter(watchlist_entries__user_id=member.pk)
    return {
        "genres": list(
            Genre.objects.filter(titles__in=on_list).distinct().values_list("slug", "name")
        ),
        "providers": list(
            WatchLink.objects.filter(title__in=on_list, kind=WatchKind.STREAM)
            .order_by("provider")
            .values_list("provider", flat=True)
            .distinct()
        ),
    }


def streaming_providers(title_ids: Iterable[int]) -> dict[int, list[str]]:
    """{title id: streaming services} for a page of titles (one query)."""
    found: dict[int, list[str]] = {}
    rows = (
        WatchLink.objects.filter(title_id__in=list(title_ids), kind=WatchKind.STREAM)
        .order_by("provider")
        .values_list("title_id", "provider")
    )
    for title_id, provider in rows:
        found.setdefault(title_id, []).append(provider)
    return found


def watchlisted_ids(user, title_ids: Iterable[int]) -> set[int]:
    """Which of these titles are on the user's watchlist (one query; none signed out)."""
    if not user.is_authenticated:
        return set()
    return set(
        WatchlistEntry.objects.filter(user_id=user.pk, title_id__in=list(title_ids)).values_list(
            "title_id", flat=True
        )
    )


def watchlist_count(member) -> int:
    return WatchlistEntry.objects.filter(user_id=member.pk).count()


# Diary ----------------------------------------------------------------------------------


@dataclass
class DiaryMonth:
    month: datetime.date
    count: int
    rewatches: int
    viewings: list = field(default_factory=list)


def diary_page(member, page_number) -> Page:
    """One page of the member's viewings, newest first, with their titles (one query
    besides the count)."""
    qs = (
        Viewing.objects.filter(user_id=member.pk)
        .select_related("title")
        .order_by("-watched_on", "-pk")
    )
    return Paginator(qs, VIEWINGS_PER_PAGE).get_page(page_number)


def diary_month_counts(member) -> list[DiaryMonth]:
    """Viewings and rewatches per month, newest month first (one query)."""
    rows = (
        Viewing.objects.filter(user_id=member.pk)
        .annotate(month=TruncMonth("watched_on"))
        .values("month")
        .annotate(n=Count("id"), rewatches=Count("id", filter=Q(rewatch=True)))
        .order_by("-month")
    )
    return [DiaryMonth(_as_date(row["month"]), row["n"], row["rewatches"]) for row in rows]


def diary_months(page: Page, counts: list[DiaryMonth]) -> list[DiaryMonth]:
    """The page's viewings grouped by month, each with the month's full counts (no
    query: both are already read)."""
    by_month = {month.month: month for month in counts}
    grouped: dict[datetime.date, DiaryMonth] = {}
    for viewing in page.object_list:
        key = viewing.watched_on.replace(day=1)
        if key not in grouped:
            total = by_month.get(key) or DiaryMonth(key, 0, 0)
            grouped[key] = DiaryMonth(key, total.count, total.rewatches)
        grouped[key].viewings.append(viewing)
    return list(grouped.values())


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def title_viewings(user, title) -> list[Viewing]:
    """The user's viewings of a title, oldest first ("You watched this 3 times")."""
    if not user.is_authenticated:
        return []
    return list(
        Viewing.objects.filter(user_id=user.pk, title_id=title.pk).order_by("watched_on", "pk")
    )


# The profile's diary charts: the rating charts' style, a little lower.
VIEWING_CHART = replace(COUNTS_CHART, height=200)


@dataclass
class ViewingStats:
    total: int
    rewatches: int
    titles: int
    per_year: list[tuple[int, int]]
    per_month: list[tuple[datetime.date, int]]

    @property
    def year_chart(self) -> BarChart:
        bars = [Bar(str(year), n) for year, n in self.per_year[-20:]]
        every = 1 if len(bars) <= 8 else 2 if len(bars) <= 14 else 4
        return bar_chart(
            "viewings-per-year", "Viewings per year", bars, unit="viewing",
            style=VIEWING_CHART, label_every=every,
        )  # fmt: skip

    @property
    def month_chart(self) -> BarChart:
        bars = [Bar(month.strftime("%b %y"), n) for month, n in self.per_month]
        return bar_chart(
            "viewings-per-month", "Viewings per month", bars, unit="viewing",
            style=VIEWING_CHART, label_every=1 if len(bars) <= 6 else 2,
        )  # fmt: skip


def viewing_stats(member, months: int = 12) -> ViewingStats:
    """Viewings in all, rewatches, distinct titles, per year and for the last ``months``
    months with any viewing (two queries: per month, then the distinct titles)."""
    rows = list(
        Viewing.objects.filter(user_id=member.pk)
        .annotate(month=TruncMonth("watched_on"))
        .values("month")
        .annotate(n=Count("id"), rewatches=Count("id", filter=Q(rewatch=True)))
        .order_by("month")
    )
    per_year: dict[int, int] = {}
    for row in rows:
        year = _as_date(row["month"]).year
        per_year[year] = per_year.get(year, 0) + row["n"]
    titles = 0
    if rows:
        titles = Viewing.objects.filter(user_id=member.pk).aggregate(
            n=Count("title", distinct=True)
        )["n"]
    return ViewingStats(
        sum(row["n"] for row in rows),
        sum(row["rewatches"] for row in rows),
        titles,
        sorted(per_year.items()),
        [(_as_date(row["month"]), row["n"]) for row in rows[-months:]],
    )

"""The watchlist and diary pages: they read library, taste (the probable scores the
watchlist is sorted by), catalog and the member's privacy setting, so they are built
here. Builders first (each page's whole context, its query budget asserted in
tests/library/test_pages.py), then the thin views."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts import selectors as accounts_selectors
from catalog.models import Title, TitleKind
from core.parsing import parse_int
from core.sorting import Sorts
from library import selectors as library_selectors
from library.forms import ViewingForm
from library.models import WatchlistEntry
from taste import selectors as taste_selectors

WATCHLIST_PER_PAGE = 48

# Sort key -> (label, unused order_by): the watchlist is sorted in Python, after its
# probable scores are read for every entry (two queries however long the list).
WATCHLIST_SORTS = Sorts(
    {
        "psi": ("Probable score", ()),
        "-added": ("Recently added", ()),
        "added": ("First added", ()),
        "-year": ("Newest titles", ()),
        "year": ("Oldest titles", ()),
        "runtime": ("Shortest", ()),
        "-runtime": ("Longest", ()),
    },
    default="psi",
)


@dataclass
class WatchlistRow:
    entry: WatchlistEntry
    psi: object  # taste.selectors.ProbableScore or None
    providers: list[str]

    @property
    def title(self) -> Title:
        return self.entry.title


def _sort_key(sort: str):
    def psi_key(row: WatchlistRow):
        ok = row.psi is not None and row.psi.ok
        return (0 if ok else 1, -(row.psi.score if ok else 0), -row.entry.added_at.timestamp())

    def missing_last(value, reverse: bool):
        if value is None:
            return (1, 0)
        return (0, -value if reverse else value)

    keys = {
        "psi": psi_key,
        "-added": lambda row: -row.entry.added_at.timestamp(),
        "added": lambda row: row.entry.added_at.timestamp(),
        "-year": lambda row: (missing_last(row.title.year, True), row.title.name),
        "year": lambda row: (missing_last(row.title.year, False), row.title.name),
        "runtime": lambda row: (missing_last(row.title.runtime_minutes, False), row.title.name),
        "-runtime": lambda row: (missing_last(row.title.runtime_minutes, True), row.title.name),
    }
    return keys[sort]


def watchlist_filters(query) -> library_selectors.WatchlistFilters:
    """Filters from a request's GET; unknown values are ignored rather than refused."""
    kind = query.get("kind", "")
    return library_selectors.WatchlistFilters(
        kind=kind if kind in TitleKind.values else "",
        genre=query.get("genre", "")[:60],
        year_min=parse_int(query.get("year_min", ""), min=1870, max=2100),
        year_max=parse_int(query.get("year_max", ""), min=1870, max=2100),
        provider=query.get("provider", "")[:80],
    )


# Why a viewer has no probable score at all (the same for every title): said once.
BLOCKING = (taste_selectors.FEW_RATINGS, taste_selectors.NO_PERCENTILES)


def _psi_blocker(viewer, psis: dict):
    if not psis:
        return taste_selectors.psi_blocker(viewer)
    return next((psi for psi in psis.values() if psi.status in BLOCKING), None)


def watchlist_context(request: HttpRequest, member) -> dict:
    """A member's watchlist: every entry's probable score for the viewer (with its range),
    sorted and filtered, one page of rows with their streaming services. Six queries
    (one more with a filter, for the unfiltered total), whatever the length of the list
    (tests/library/test_query_counts.py)."""
    viewer = request.user
    filters = watchlist_filters(request.GET)
    sort = WATCHLIST_SORTS.parse(request.GET.get("sort"))
    entries = library_selectors.watchlist_entries(member, filters)
    psis = taste_selectors.probable_scores(viewer, [entry.title for entry in entries])
    rows = [WatchlistRow(entry, psis.get(entry.title_id), []) for entry in entries]
    rows.sort(key=_sort_key(sort))
    page = Paginator(rows, WATCHLIST_PER_PAGE).get_page(request.GET.get("page"))
    providers = library_selectors.streaming_providers(row.entry.title_id for row in page)
    for row in page:
        row.providers = providers.get(row.entry.title_id, [])
    return {
        "member": member,
        "is_self": viewer.is_authenticated and viewer.pk == member.pk,
        "page_obj": page,
        "sort": sort,
        "sorts": WATCHLIST_SORTS.choices,
        "filters": filters,
        "options": library_selectors.watchlist_filter_options(member),
        "kinds": TitleKind.choices,
        "psi_blocker": _psi_blocker(viewer, psis),
        "total": library_selectors.watchlist_count(member) if filters.active else len(rows),
    }


def diary_context(request: HttpRequest, member) -> dict:
    """A member's diary: one page of viewings grouped by month, each month with its
    counts, and the totals (three queries)."""
    page = library_selectors.diary_page(member, request.GET.get("page"))
    counts = library_selectors.diary_month_counts(member)
    return {
        "member": member,
        "is_self": request.user.is_authenticated and request.user.pk == member.pk,
        "page_obj": page,
        "months": library_selectors.diary_months(page, counts),
        "month_counts": counts,
        "total": page.paginator.count,
        "rewatches": sum(month.rewatches for month in counts),
    }


def title_library_context(user, title) -> dict:
    """The title page's "Watchlist & diary" card: whether the title is on the viewer's
    watchlist and their viewings of it (two queries signed in, none signed out)."""
    if not user.is_authenticated:
        return {}
    return {
        "on_watchlist": bool(library_selectors.watchlisted_ids(user, [title.pk])),
        "viewings": library_selectors.title_viewings(user, title),
        "viewing_form": ViewingForm(),
    }


# Views ----------------------------------------------------------------------------------


def _visible_member(request, username: str):
    member = accounts_selectors.member_by_username(username)
    if not member.is_visible_to(request.user):
        raise Http404("No member with that name.")
    return member


@require_safe
@login_required
def my_watchlist(request):
    return render(request, "library/watchlist.html", watchlist_context(request, request.user))


@require_safe
def member_watchlist(request, username: str):
    member = accounts_selectors.member_by_username(username)
    if not library_selectors.watchlist_visible_to(member, request.user):
        raise Http404("No member with that name, or their watchlist is private.")
    return render(request, "library/watchlist.html", watchlist_context(request, member))


@require_safe
def member_diary(request, username: str):
    member = _visible_member(request, username)
    return render(request, "library/diary.html", diary_context(request, member))

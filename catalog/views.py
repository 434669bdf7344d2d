from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from catalog import selectors, services
from catalog.filters import SORT_CHOICES, TitleFilter
from catalog.models import Title
from core.http import canonical_redirect, safe_next
from ratings.selectors import viewer_rating
from taste import selectors as taste_selectors

TITLES_PER_PAGE = 24
# The browse filters folded under "Filters" (search and sort stay visible).
FILTER_FIELDS = [
    "kind", "genres", "year_min", "year_max", "runtime_min", "runtime_max", "min_ratings",
    "percentile_min", "percentile_max",
]  # fmt: skip


def _prefers_compact(request) -> bool:
    if request.user.is_authenticated:
        return request.user.prefers_compact
    return bool(request.session.get("prefers_compact", False))


@require_safe
def home(request):
    return render(
        request,
        "catalog/home.html",
        {
            "recently_rated": selectors.home_recently_rated_titles(),
            "top_titles": selectors.home_top_titles(),
            "recent_reviews": selectors.home_recent_reviews(),
        },
    )


@require_safe
def title_list(request):
    filterset = TitleFilter(request.GET, queryset=Title.objects.all())
    valid = filterset.is_valid()
    page = Paginator(filterset.qs, TITLES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page_obj": page,
        "sort_choices": SORT_CHOICES,
        "active_sort": filterset.active_sort,
        "has_query": bool(request.GET.get("q", "").strip()),
        "selected_genre_count": len(request.GET.getlist("genres")),
        "active_filter_count": sum(
            1 for name in FILTER_FIELDS if any(v.strip() for v in request.GET.getlist(name))
        ),
    }
    # htmx does not swap 4xx responses, so its requests get the message with a 200.
    status = 200 if valid or request.htmx else 400
    if request.htmx.target == "browse-results":
        return render(request, "catalog/title_list.html#results", context, status=status)
    return render(request, "catalog/title_list.html", context, status=status)


def _canonical_title(request, pk: int, slug: str, view_name: str):
    if view_name == "catalog:title-detail":
        title = selectors.title_for_page(pk)
    else:
        title = selectors.title_by_pk(pk)
    return title, canonical_redirect(request, title, slug, view_name)


def _reviews_context(request, title: Title) -> dict:
    sort = selectors.REVIEW_SORTS.parse(request.GET.get("sort"))
    return {
        "title": title,
        "reviews_page": selectors.title_page_ratings(title, sort, request.GET.get("reviews_page")),
        "review_sort": sort,
        "review_sorts": selectors.REVIEW_SORTS.choices,
        "compact": _prefers_compact(request),
    }


@require_safe
def title_detail(request, pk: int, slug: str):
    title, redirect_response = _canonical_title(request, pk, slug, "catalog:title-detail")
    if redirect_response:
        return redirect_response
    context = _reviews_context(request, title)
    if request.htmx.target == "title-reviews":
        return render(request, "catalog/title_detail.html#reviews", context)
    context.update(
        {
            "people": selectors.title_people(title),
            "watch_groups": selectors.title_watch_links(title),
            "trailer_embed": selectors.trailer_embed_url(title.trailer_url),
            # Read once for the probable-score card and the rating panel.
            "viewer_rating": viewer_rating(request.user, title),
        }
    )
    return render(request, "catalog/title_detail.html", context)


@require_POST
def title_compact_view(request, pk: int, slug: str):
    """Turn the compact view of reviews on or off; remembered for the viewer."""
    value = request.POST.get("compact")
    if value not in ("on", "off"):
        return HttpResponseBadRequest("compact must be on or off.")
    title = selectors.title_by_pk(pk)
    services.set_compact_view(request, value == "on")
    if request.htmx:
        return render(
            request, "catalog/title_detail.html#reviews", _reviews_context(request, title)
        )
    return redirect(safe_next(request, f"{title.get_absolute_url()}#title-reviews"))


@require_safe
def title_similar(request, pk: int, slug: str):
    title, redirect_response = _canonical_title(request, pk, slug, "catalog:title-similar")
    if redirect_response:
        return redirect_response
    # Precomputed co-rating similarity (taste); the catalog's own guess while there is none.
    similar = taste_selectors.similar_titles(title) or selectors.similar_titles(title)
    context = {"title": title, "similar": similar}
    if request.htmx:
        return render(request, "catalog/title_similar.html#similar", context)
    return render(request, "catalog/title_similar.html", context)


@require_safe
def title_statistics(request, pk: int, slug: str):
    title, redirect_response = _canonical_title(request, pk, slug, "catalog:title-statistics")
    if redirect_response:
        return redirect_response
    context = {"title": title, "charts": selectors.title_statistics(title)}
    if request.htmx:
        return render(request, "catalog/title_statistics.html#statistics", context)
    return render(request, "catalog/title_statistics.html", context)

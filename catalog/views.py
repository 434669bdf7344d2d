from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from catalog.filters import SORT_CHOICES, TitleFilter
from catalog.models import Title
from catalog.selectors import browse_page, person_search
from core import cache as section_cache

# The browse filters folded under "Filters" (search and sort stay visible).
FILTER_FIELDS = [
    "kind", "genres", "year_min", "year_max", "runtime_min", "runtime_max", "min_ratings",
    "percentile_min", "percentile_max",
]  # fmt: skip


RESULTS_TEMPLATE = "catalog/title_list.html#results"


@require_safe
def title_list(request):
    filterset = TitleFilter(request.GET, queryset=Title.objects.all())
    valid = filterset.is_valid()
    query = request.GET.get("q", "").strip()
    context = {
        "filter": filterset,
        "sort_choices": SORT_CHOICES,
        "active_sort": filterset.active_sort,
        "has_query": bool(query),
        "selected_genre_count": len(request.GET.getlist("genres")),
        "active_filter_count": sum(
            1 for name in FILTER_FIELDS if any(v.strip() for v in request.GET.getlist(name))
        ),
    }

    def results_context() -> dict:
        page = browse_page(filterset.qs, request.GET, request.GET.get("page"))
        return {
            **context,
            "page_obj": page,
            # People matching the search, above the titles on its first page.
            "people": person_search(query[:200]) if query and page.number == 1 else [],
        }

    def render_results() -> str:
        return render_to_string(RESULTS_TEMPLATE, results_context(), request)

    # HTML cached until any title, rating or genre changes (core.cache.cached_html): the
    # filter form (the same for everyone with the same query) and, signed out, the
    # results (signed in, they carry the viewer's probable scores and watchlist).
    scopes = [section_cache.CATALOG]
    key = section_cache.query_key(request.GET)
    results_html = None
    if request.user.is_authenticated:
        context.update(results_context())
    else:
        results_html = section_cache.cached_html("browse-results", scopes, key, render_results)
    # htmx does not swap 4xx responses, so its requests get the message with a 200.
    status = 200 if valid or request.htmx else 400
    if request.htmx.target == "browse-results":
        if results_html is not None:
            return HttpResponse(results_html, status=status)
        return render(request, RESULTS_TEMPLATE, context, status=status)
    context["results_html"] = results_html
    context["filters_html"] = section_cache.cached_html(
        "browse-filters",
        scopes,
        section_cache.query_key(request.GET, leave_out=["page"]),
        lambda: render_to_string("catalog/title_list.html#filters", context, request),
    )
    return render(request, "catalog/title_list.html", context, status=status)

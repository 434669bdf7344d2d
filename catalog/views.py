from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
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


# The cached parts of the page (core.cache.Sections) and their templates.
FILTERS, FILTERS_TEMPLATE = "browse-filters", "catalog/title_list.html#filters"
RESULTS, RESULTS_TEMPLATE = "browse-results", "catalog/title_list.html#results"


@require_safe
def title_list(request):
    """Browse and search. The filter form (the same for everyone with the same query)
    and, signed out, the results are HTML cached until any title, rating or genre
    changes (core.cache); signed in, the results carry the viewer's probable scores and
    watchlist and are rendered live. When both are cached nothing else is built."""
    query = request.GET.get("q", "").strip()
    anonymous = not request.user.is_authenticated
    scopes = [section_cache.CATALOG]
    wanted = {FILTERS: (scopes, section_cache.query_key(request.GET, leave_out=["page"]))}
    if anonymous:
        wanted[RESULTS] = (scopes, section_cache.query_key(request.GET))
    sections = section_cache.Sections(wanted)
    built = {}

    def form_context() -> dict:
        if not built:
            filterset = TitleFilter(request.GET, queryset=Title.objects.all())
            built.update(
                filter=filterset,
                valid=filterset.is_valid(),
                sort_choices=SORT_CHOICES,
                active_sort=filterset.active_sort,
                has_query=bool(query),
                selected_genre_count=len(request.GET.getlist("genres")),
                active_filter_count=sum(
                    1 for name in FILTER_FIELDS if any(v.strip() for v in request.GET.getlist(name))
                ),
            )
        return built

    def results_context() -> dict:
        context = form_context()
        page = browse_page(context["filter"].qs, request.GET, request.GET.get("page"))
        return {
            **context,
            "page_obj": page,
            # People matching the search, above the titles on its first page.
            "people": person_search(query[:200]) if query and page.number == 1 else [],
        }

    def render_part(template: str, context) -> dict:
        context = context()
        return {
            "html": render_to_string(template, context, request),
            "valid": context["valid"],
        }

    filters = sections.get(FILTERS, lambda: render_part(FILTERS_TEMPLATE, form_context))
    context = {"has_query": bool(query), "filters_html": mark_safe(filters["html"])}
    if anonymous:
        results = sections.get(RESULTS, lambda: render_part(RESULTS_TEMPLATE, results_context))
        context["results_html"] = mark_safe(results["html"])
    else:
        context.update(results_context(), results_html=None)
    # htmx does not swap 4xx responses, so its requests get the message with a 200.
    status = 200 if filters["valid"] or request.htmx else 400
    if request.htmx.target == "browse-results":
        if anonymous:
            return HttpResponse(context["results_html"], status=status)
        return render(request, RESULTS_TEMPLATE, context, status=status)
    return render(request, "catalog/title_list.html", context, status=status)

from django.shortcuts import render
from django.views.decorators.http import require_safe

from catalog.filters import SORT_CHOICES, TitleFilter
from catalog.models import Title
from catalog.selectors import browse_page, person_search

# The browse filters folded under "Filters" (search and sort stay visible).
FILTER_FIELDS = [
    "kind", "genres", "year_min", "year_max", "runtime_min", "runtime_max", "min_ratings",
    "percentile_min", "percentile_max",
]  # fmt: skip


@require_safe
def title_list(request):
    filterset = TitleFilter(request.GET, queryset=Title.objects.all())
    valid = filterset.is_valid()
    page = browse_page(filterset.qs, request.GET, request.GET.get("page"))
    query = request.GET.get("q", "").strip()
    context = {
        "filter": filterset,
        "page_obj": page,
        "sort_choices": SORT_CHOICES,
        "active_sort": filterset.active_sort,
        "has_query": bool(query),
        # People matching the search, above the titles on its first page.
        "people": person_search(query[:200]) if query and page.number == 1 else [],
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

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from catalog import selectors
from catalog.models import Title


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


def title_detail(request, pk: int, slug: str):
    title = get_object_or_404(Title, pk=pk)
    if slug != title.slug:
        return redirect(title, permanent=True)
    return render(request, "catalog/title_detail.html", {"title": title})


def title_list(request):
    page = Paginator(Title.objects.order_by("-ratings_count", "name"), 48).get_page(
        request.GET.get("page")
    )
    return render(request, "catalog/title_list.html", {"page_obj": page})

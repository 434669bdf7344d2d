from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import Title
from taste import engine, selectors, tasks
from taste.forms import RecommendationFilterForm

SOULMATES_PER_PAGE = 50
RECOMMENDATIONS_PER_PAGE = 24


@require_GET
@login_required
def soulmates(request):
    page = Paginator(selectors.soulmates_queryset(request.user), SOULMATES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "taste/soulmates.html",
        {
            "page_obj": page,
            "soulmates": selectors.as_soulmates(request.user, page.object_list),
            "profile": selectors.taste_profile(request.user),
            "tci_cutoff": engine.TCI_CUTOFF,
            "shrink": engine.TCI_SHRINK,
        },
    )


@require_GET
@login_required
def tci_explain(request, username: str):
    other = get_object_or_404(get_user_model(), username=username)
    if not other.is_visible_to(request.user):
        raise Http404("No member with that name.")
    if other.pk == request.user.pk:
        return render(request, "taste/tci_self.html", status=200)
    return render(
        request,
        "taste/tci_explain.html",
        {"other": other, "explanation": selectors.tci_explanation(request.user, other)},
    )


@require_GET
@login_required
def psi_explain(request, title_id: int):
    title = get_object_or_404(Title, pk=title_id)
    return render(
        request,
        "taste/psi_explain.html",
        {"title": title, "explanation": selectors.psi_explanation(request.user, title)},
    )


@require_GET
@login_required
def recommendations(request):
    form = RecommendationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = 400 if form.is_bound and not form.is_valid() else 200
    predictions = selectors.recommendations(
        request.user,
        kind=filters.get("kind", ""),
        genre=filters.get("genre", ""),
        year_min=filters.get("year_min"),
        year_max=filters.get("year_max"),
    )
    page = Paginator(predictions, RECOMMENDATIONS_PER_PAGE).get_page(request.GET.get("page"))
    blocker = None if page.paginator.count else selectors.psi_blocker(request.user)
    profile = selectors.taste_profile(request.user)
    if blocker is None:
        tasks.refresh_if_stale(request.user.pk, profile)
    return render(
        request,
        "taste/recommendations.html",
        {
            "form": form,
            "page_obj": page,
            "profile": profile,
            "blocker": blocker,
        },
        status=status,
    )

"""Views of the pages that read several apps: they parse input, call the page's builder
(pages.builders) and any write explicitly, and render."""

from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts import selectors as accounts_selectors
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from core.http import canonical_redirect, safe_next
from pages import builders
from taste import services as taste_services

# htmx targets of the profile that are rendered alone, and their partials.
PROFILE_PARTS = {"profile-ratings": "ratings", "profile-reviews": "reviews"}


@require_safe
def home(request):
    return render(request, "catalog/home.html", builders.home_context(request))


def _canonical_title(request, pk: int, slug: str, view_name: str):
    if view_name == "catalog:title-detail":
        title = catalog_selectors.title_for_page(pk)
    else:
        title = catalog_selectors.title_by_pk(pk)
    return title, canonical_redirect(request, title, slug, view_name)


@require_safe
def title_detail(request, pk: int, slug: str):
    title, redirect_response = _canonical_title(request, pk, slug, "catalog:title-detail")
    if redirect_response:
        return redirect_response
    if request.htmx.target == "title-reviews":
        context = builders.title_reviews_context(request, title)
        return render(request, "catalog/title_detail.html#reviews", context)
    context = builders.title_page_context(request, title)
    psi = context["probable_score_card"]["psi"]
    if psi is not None and psi.ok:
        # Remembered so that, once the viewer rates the title, the page can say what was
        # predicted and the profile can measure how close the predictions came.
        taste_services.record_shown_prediction(
            request.user, title, psi.score, psi.prediction.percentile
        )
    return render(request, "catalog/title_detail.html", context)


@require_POST
def title_compact_view(request, pk: int, slug: str):
    """Turn the compact view of reviews on or off; remembered for the viewer."""
    value = request.POST.get("compact")
    if value not in ("on", "off"):
        return HttpResponseBadRequest("compact must be on or off.")
    title = catalog_selectors.title_by_pk(pk)
    catalog_services.set_compact_view(request, value == "on")
    if request.htmx:
        return render(
            request,
            "catalog/title_detail.html#reviews",
            builders.title_reviews_context(request, title),
        )
    return redirect(safe_next(request, f"{title.get_absolute_url()}#title-reviews"))


@require_safe
def title_similar(request, pk: int, slug: str):
    title, redirect_response = _canonical_title(request, pk, slug, "catalog:title-similar")
    if redirect_response:
        return redirect_response
    context = builders.title_similar_context(title)
    if request.htmx:
        return render(request, "catalog/title_similar.html#similar", context)
    return render(request, "catalog/title_similar.html", context)


@require_safe
def title_statistics(request, pk: int, slug: str):
    title, redirect_response = _canonical_title(request, pk, slug, "catalog:title-statistics")
    if redirect_response:
        return redirect_response
    context = builders.title_statistics_context(title)
    if request.htmx:
        return render(request, "catalog/title_statistics.html#statistics", context)
    return render(request, "catalog/title_statistics.html", context)


def profile(request, username: str):
    member = accounts_selectors.member_by_username(username)
    part = PROFILE_PARTS.get(request.htmx.target) if request.htmx else None
    context = builders.profile_context(request, member, part=part)
    if part:
        return render(request, f"accounts/profile.html#{part}", context)
    return render(request, "accounts/profile.html", context)

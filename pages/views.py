"""Views of the pages that read several apps: they parse input, call the page's builder
(pages.builders) and any write explicitly, and render."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.templatetags.static import static
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors as accounts_selectors
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Title
from core.http import canonical_redirect, safe_next
from core.text import ordinal
from library import services as library_services
from library.forms import rating_viewing_form
from pages import builders, sections
from pages.library_pages import title_library_context
from ratings import scales
from ratings import services as rating_services
from ratings.forms import RatingForm, rating_form_for, rating_panel_context
from ratings.selectors import viewer_rating
from taste import services as taste_services

# htmx targets of the profile that are rendered alone, and their partials.
PROFILE_PARTS = {"profile-ratings": "ratings", "profile-reviews": "reviews"}


@require_safe
def favicon(request):
    """/favicon.ico, asked for by browsers and feed readers that ignore the page's icon link."""
    return redirect(static("img/favicon.svg"), permanent=True)


@require_safe
def home(request):
    try:
        context = builders.home_context(request)
    except ValidationError as error:
        # A hand-edited or truncated feed cursor ("after=").
        return render(
            request, "social/refused.html", {"message": " ".join(error.messages)}, status=400
        )
    if request.htmx.target == "home-feed":
        return render(request, "social/_home_feed.html", context)
    return render(request, "catalog/home.html", context)


@require_safe
def person_detail(request, pk: int, slug: str):
    person = catalog_selectors.person_for_page(pk)
    redirect_response = canonical_redirect(request, person, slug, "catalog:person-detail")
    if redirect_response:
        return redirect_response
    context = builders.person_page_context(request, person)
    return render(request, "catalog/person_detail.html", context)


def _canonical_title(request, pk: int, slug: str, view_name: str):
    title = catalog_selectors.title_by_pk(pk)
    return title, canonical_redirect(request, title, slug, view_name)


@require_safe
def title_detail(request, pk: int, slug: str):
    # The title and its page's shared parts, cached until it or its ratings change.
    reviews_only = request.htmx.target == "title-reviews"
    shared = sections.TitlePage(request, pk, reviews_only=reviews_only)
    title = shared.title
    redirect_response = canonical_redirect(request, title, slug, "catalog:title-detail")
    if redirect_response:
        return redirect_response
    if reviews_only:
        context = builders.title_reviews_context(request, title, shared)
        return render(request, "catalog/title_detail.html#reviews", context)
    context = builders.title_page_context(request, title, shared)
    _record_shown(request.user, title, context["probable_score_card"])
    return render(request, "catalog/title_detail.html", context)


def _record_shown(user, title: Title, card: dict) -> None:
    psi = card["psi"]
    if psi is not None and psi.ok:
        # Remembered so that, once the viewer rates the title, the page can say what was
        # predicted and the profile can measure how close the predictions came.
        taste_services.record_shown_prediction(user, title, psi.score, psi.prediction.percentile)


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


def _title_section(request, pk: int, slug: str, view_name: str, template: str, partial: str, build):
    """A lazily loaded section of the title page: its partial for htmx, a page of its own
    without JavaScript."""
    title, redirect_response = _canonical_title(request, pk, slug, view_name)
    if redirect_response:
        return redirect_response
    context = build(title)
    return render(request, f"{template}#{partial}" if request.htmx else template, context)


@require_safe
def title_similar(request, pk: int, slug: str):
    return _title_section(
        request,
        pk,
        slug,
        "catalog:title-similar",
        "catalog/title_similar.html",
        "similar",
        builders.title_similar_context,
    )


@require_safe
def title_statistics(request, pk: int, slug: str):
    return _title_section(
        request,
        pk,
        slug,
        "catalog:title-statistics",
        "catalog/title_statistics.html",
        "statistics",
        builders.title_statistics_context,
    )


def profile(request, username: str):
    member = accounts_selectors.member_by_username(username)
    if not member.is_visible_to(request.user):
        # Members only, or private: to others the profile does not exist.
        raise Http404("No member with that name.")
    part = PROFILE_PARTS.get(request.htmx.target) if request.htmx else None
    if not request.user.is_authenticated:
        body = sections.profile_html(
            request, member, part, lambda: builders.profile_context(request, member, part=part)
        )
        if part:
            return HttpResponse(body)
        return render(request, "accounts/profile.html", {"member": member, "cached_body": body})
    context = builders.profile_context(request, member, part=part)
    if part:
        return render(request, f"accounts/profile.html#{part}", context)
    return render(request, "accounts/profile.html", context)


# Rating a title --------------------------------------------------------------------------
# The rating form's views live here, not in ratings, because saving a rating in place
# redraws more of the title page than the rating panel: the average percentile and the
# probable-score card (the PSI becomes "Your PSI was 78", the "Rate 6 more titles" count
# moves), swapped out of band from the same response. Without JavaScript the POST
# redirects to the title page, which rebuilds all of it. URL names stay ratings:rate and
# ratings:unrate (config/urls.py puts ``ratings_patterns`` in that namespace).

RATING_PAGE_TEMPLATE = "ratings/rate.html"
RATING_PANEL_TEMPLATE = "ratings/_rating_panel.html"
# The panel, then the cards of the title page it changed, swapped out of band.
RATING_SAVED_TEMPLATE = "pages/_rating_saved.html"


def _sign_in_first(request, title: Title) -> HttpResponse:
    """Anonymous writes: a redirect to the sign-in page (htmx follows HX-Redirect)."""
    if request.htmx:
        response = HttpResponse("Sign in to rate titles.", status=403)
        login = redirect_to_login(title.get_absolute_url())
        response["HX-Redirect"] = login["Location"]
        return response
    return redirect_to_login(title.get_absolute_url())


def _title_back_url(title: Title) -> str:
    return f"{title.get_absolute_url()}#rating-panel"


def _saved_summary(rating, title: Title, user) -> str:
    score = scales.to_display(rating.score, scales.scale_of(user))
    parts = [f"Saved your rating of {title.name}: {score}"]
    if rating.percentile is not None:
        parts.append(f", your {ordinal(rating.percentile)} percentile")
    return "".join(parts) + "."


def _average_summary(aggregate) -> str:
    count = aggregate.ratings_count
    noun = "rating" if count == 1 else "ratings"
    if aggregate.avg_percentile is None:
        return f"{count} total {noun}"
    return f"Avg Percentile {floatformat(aggregate.avg_percentile, 2)}% from {count} total {noun}"


def _saved_in_place(
    request, title: Title, rating, notice: str, average: str, watchlist_undo: bool = False
) -> HttpResponse:
    """The htmx answer to a save or delete: the rating panel with its notice (and an
    "Undo" when the rating took the title off the watchlist), and, out of band, the
    title's average percentile, the probable-score card and the watchlist and diary
    card built afresh."""
    user = request.user
    card = builders.probable_score_card(user, title, rating)
    _record_shown(user, title, card)
    context = rating_panel_context(user, title, my_rating=rating, notice=notice)
    context["average_summary"] = average
    context["probable_score_card"] = {**card, "oob": True}
    context["viewing_form"] = rating_viewing_form()
    context["watchlist_undo"] = watchlist_undo
    context["library"] = title_library_context(user, title)
    return render(request, RATING_SAVED_TEMPLATE, context)


def _rate_and_log(user, title: Title, rating_data: dict, viewing_data: dict):
    """Save the rating, log the viewing ticked beside it, and take the title off the
    watchlist, all or nothing. Returns (rating, viewing or None, taken off the list)."""
    with transaction.atomic():
        rating = rating_services.rate(user, title, rating_data["score"], rating_data["review"])
        viewing = None
        if viewing_data.get("log"):
            viewing = library_services.viewing_create(
                user=user,
                title=title,
                watched_on=viewing_data["watched_on"],
                rewatch=viewing_data["rewatch"],
            )
        removed = library_services.watchlist_remove(user=user, title=title)
    return rating, viewing, removed


@require_http_methods(["GET", "POST"])
def rate(request, pk: int):
    """Create or change the viewer's rating of a title.

    GET shows the form on a page of its own (the no-JavaScript edit page); POST saves.
    """
    title = get_object_or_404(Title, pk=pk)
    if not request.user.is_authenticated:
        return _sign_in_first(request, title)
    scale = scales.scale_of(request.user)
    if request.method == "GET":
        my_rating = viewer_rating(request.user, title)
        context = rating_panel_context(
            request.user, title, form=rating_form_for(request.user, my_rating), my_rating=my_rating
        )
        context["viewing_form"] = rating_viewing_form()
        return render(request, RATING_PAGE_TEMPLATE, {**context, "standalone": True})

    form = RatingForm(request.POST, scale=scale)
    viewing_form = rating_viewing_form(request.POST)
    forms_valid = form.is_valid()
    if viewing_form.is_valid() and forms_valid:
        try:
            rating, viewing, removed = _rate_and_log(
                request.user, title, form.cleaned_data, viewing_form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            # rate() set the title's new aggregate on rating.title (the same object).
            summary = _saved_summary(rating, title, request.user)
            if viewing is not None:
                summary += f" Logged your viewing of {viewing.watched_on:%d %b %Y}."
            if request.htmx:
                return _saved_in_place(
                    request,
                    title,
                    rating,
                    summary,
                    _average_summary(rating.title),
                    watchlist_undo=removed,
                )
            messages.success(
                request,
                f"{summary} {_average_summary(rating.title)}.",
                extra_tags=builders.RATING_NOTICE_TAG,
            )
            if removed:
                messages.info(
                    request,
                    f"{title.name} is off your watchlist now; “+ Watchlist” below puts it back.",
                )
            return redirect(_title_back_url(title))

    context = rating_panel_context(request.user, title, form=form)
    context["viewing_form"] = viewing_form
    if request.htmx:
        # htmx swaps only 2xx responses: the panel with its errors comes back as 200.
        return render(request, RATING_PANEL_TEMPLATE, context)
    return render(request, RATING_PAGE_TEMPLATE, {**context, "standalone": True}, status=400)


@require_POST
def unrate(request, pk: int):
    """Delete the viewer's rating of a title."""
    title = get_object_or_404(Title, pk=pk)
    if not request.user.is_authenticated:
        return _sign_in_first(request, title)
    had_rating = viewer_rating(request.user, title) is not None
    aggregate = rating_services.unrate(request.user, title)
    notice = (
        f"Deleted your rating of {title.name}."
        if had_rating
        else f"You had not rated {title.name}; nothing to delete."
    )
    if request.htmx:
        return _saved_in_place(request, title, None, notice, _average_summary(aggregate))
    messages.success(request, notice, extra_tags=builders.RATING_NOTICE_TAG)
    return redirect(_title_back_url(title))

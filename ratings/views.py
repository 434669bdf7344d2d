"""Rating views: the rating panel's form, with htmx in place and plain POST without JS."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.views.decorators.http import require_http_methods, require_POST

from catalog.models import Title
from core.text import ordinal
from ratings import scales, services
from ratings.forms import RatingForm, rating_form_for, rating_panel_context
from ratings.selectors import viewer_rating

PANEL_TEMPLATE = "ratings/_rating_panel.html"
PAGE_TEMPLATE = "ratings/rate.html"


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


def _average_summary(aggregate: Title | services.TitleAggregate) -> str:
    count = aggregate.ratings_count
    noun = "rating" if count == 1 else "ratings"
    if aggregate.avg_percentile is None:
        return f"{count} total {noun}"
    return f"Avg Percentile {floatformat(aggregate.avg_percentile, 2)}% from {count} total {noun}"


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
        return render(request, PAGE_TEMPLATE, {**context, "standalone": True})

    form = RatingForm(request.POST, scale=scale)
    if form.is_valid():
        try:
            rating = services.rate(
                request.user, title, form.cleaned_data["score"], form.cleaned_data["review"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            # rate() set the title's new aggregate on rating.title (the same object).
            summary = _saved_summary(rating, title, request.user)
            if request.htmx:
                context = rating_panel_context(
                    request.user, title, my_rating=rating, notice=summary
                )
                context["average_summary"] = _average_summary(rating.title)
                return render(request, PANEL_TEMPLATE, context)
            messages.success(request, f"{summary} {_average_summary(rating.title)}.")
            return redirect(_title_back_url(title))

    context = rating_panel_context(request.user, title, form=form)
    if request.htmx:
        # htmx swaps only 2xx responses: the panel with its errors comes back as 200.
        return render(request, PANEL_TEMPLATE, context)
    return render(request, PAGE_TEMPLATE, {**context, "standalone": True}, status=400)


@require_POST
def unrate(request, pk: int):
    """Delete the viewer's rating of a title."""
    title = get_object_or_404(Title, pk=pk)
    if not request.user.is_authenticated:
        return _sign_in_first(request, title)
    had_rating = viewer_rating(request.user, title) is not None
    aggregate = services.unrate(request.user, title)
    notice = (
        f"Deleted your rating of {title.name}."
        if had_rating
        else f"You had not rated {title.name}; nothing to delete."
    )
    if request.htmx:
        context = rating_panel_context(request.user, title, notice=notice)
        context["average_summary"] = _average_summary(aggregate)
        return render(request, PANEL_TEMPLATE, context)
    messages.success(request, notice)
    return redirect(_title_back_url(title))

"""The watchlist button and logging viewings: thin views over library.services. Each
answers htmx with the partial it redraws and a plain form post with a redirect."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog.models import Title
from core.http import safe_next
from library import selectors, services
from library.forms import ViewingForm

BUTTON_TEMPLATE = "library/_watchlist_button.html"
VIEWINGS_TEMPLATE = "library/_title_viewings.html"


def _sign_in_first(request, back: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse("Sign in to keep a watchlist.", status=403)
        response["HX-Redirect"] = redirect_to_login(back)["Location"]
        return response
    return redirect_to_login(back)


def _watchlist_change(request, title_id: int, add: bool) -> HttpResponse:
    title = get_object_or_404(Title, pk=title_id)
    back = safe_next(request, title.get_absolute_url())
    if not request.user.is_authenticated:
        return _sign_in_first(request, back)
    if add:
        services.watchlist_add(user=request.user, title=title)
        notice = f"Added {title.name} to your watchlist."
    else:
        services.watchlist_remove(user=request.user, title=title)
        notice = f"Removed {title.name} from your watchlist."
    if request.htmx:
        context = {
            "title": title,
            "on_list": add,
            "next": back,
            "notice": notice,
            "variant": request.POST.get("variant", ""),
        }
        return render(request, BUTTON_TEMPLATE, context)
    messages.success(request, notice)
    return redirect(back)


@require_POST
def watchlist_add(request, title_id: int):
    return _watchlist_change(request, title_id, add=True)


@require_POST
def watchlist_remove(request, title_id: int):
    return _watchlist_change(request, title_id, add=False)


def _viewings_answer(request, title: Title, form: ViewingForm, notice: str = ""):
    if request.htmx:
        context = {
            "title": title,
            "viewings": selectors.title_viewings(request.user, title),
            "viewing_form": form,
            "viewing_notice": notice,
        }
        # htmx swaps only 2xx answers: a refused form comes back as 200 with its errors.
        return render(request, VIEWINGS_TEMPLATE, context)
    messages.success(request, notice)
    return redirect(f"{title.get_absolute_url()}#title-viewings")


@require_POST
def viewing_log(request, title_id: int):
    """Log a viewing of a title from its page (date, rewatch, note)."""
    title = get_object_or_404(Title, pk=title_id)
    if not request.user.is_authenticated:
        return _sign_in_first(request, title.get_absolute_url())
    form = ViewingForm(request.POST)
    if form.is_valid():
        try:
            services.viewing_create(
                user=request.user,
                title=title,
                watched_on=form.cleaned_data["watched_on"],
                rewatch=form.cleaned_data["rewatch"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            when = form.cleaned_data["watched_on"].strftime("%d %b %Y")
            return _viewings_answer(
                request, title, ViewingForm(), notice=f"Logged your viewing of {when}."
            )
    if request.htmx:
        return _viewings_answer(request, title, form)
    context = {"title": title, "viewing_form": form, "viewings": []}
    return render(request, "library/viewing_log.html", context, status=400)


@require_POST
def viewing_delete(request, pk: int):
    if not request.user.is_authenticated:
        return _sign_in_first(request, "/")
    removed = services.viewing_delete(user=request.user, viewing_id=pk)
    if not removed:
        return HttpResponse("No such viewing of yours.", status=404)
    messages.success(request, "Removed that viewing from your diary.")
    return redirect(safe_next(request, "/"))

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import export, importers, selectors, services, site_import, tasks
from accounts.forms import (
    AccountDeleteForm,
    ImportConfirmForm,
    ImportPickForm,
    ImportResolveForm,
    ImportUploadForm,
    SettingsForm,
    SignInForm,
    SignUpForm,
)
from accounts.models import ImportBatch
from core.http import safe_next
from core.parsing import parse_int


class SignInView(LoginView):
    """Django's sign-in page; a refused sign-in answers 400 with the form."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="moderation.backends.ModerationBackend")
        messages.success(
            request,
            f"Welcome, {user.username}! Choose the scale you like to rate on, then rate a "
            "few titles.",
        )
        return redirect(safe_next(request) or reverse("accounts:settings"))
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "next": safe_next(request)},
        status=400 if form.errors else 200,
    )


@login_required
def account_settings(request):
    user = request.user
    form = SettingsForm(request.POST or None, request.FILES or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.profile_update(
            user,
            display_name=data["display_name"],
            bio=data["bio"],
            rating_scale=data["rating_scale"],
            prefers_compact=data["prefers_compact"],
            avatar=data.get("avatar"),
            remove_avatar=data.get("remove_avatar", False),
            visibility=data["visibility"],
            watchlist_public=data["watchlist_public"],
        )
        messages.success(request, "Your settings are saved.")
        return redirect("accounts:settings")
    if form.errors:
        # Show the values the person had saved, not the rejected ones, beside the form.
        user.refresh_from_db()
    return render(
        request, "accounts/settings.html", {"form": form}, status=400 if form.errors else 200
    )


def _download(request, chunks, content_type: str, name: str, extension: str):
    """A streamed attachment named after the member and today's date."""
    stamp = timezone.now().strftime("%Y-%m-%d")
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{request.user.username}-{stamp}.{extension}"'
    )
    return response


@never_cache
@login_required
def export_all(request):
    """Everything the member put on the site, as one ZIP streamed while it is written."""
    chunks = export.export_zip_chunks(request.user)
    return _download(request, chunks, "application/zip", "movie-ratings", "zip")


@never_cache
@login_required
def account_delete(request):
    """Delete one's own account, after a summary of what goes and the password."""
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        username = request.user.username
        services.account_delete(user=request.user)
        logout(request)
        messages.success(
            request, f"The account {username} and everything in it are deleted. Goodbye."
        )
        return redirect("home")
    return render(
        request,
        "accounts/account_delete.html",
        {"form": form, "summary": selectors.account_summary(request.user)},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def export_ratings(request):
    chunks = selectors.export_csv_lines(request.user)
    return _download(request, chunks, "text/csv; charset=utf-8", "ratings", "csv")


@login_required
def import_upload(request):
    """Store the file and queue its reading (accounts.tasks); nothing is parsed here.
    With tasks run at once (TASKS_IMMEDIATE, tests) the file has been read by the time
    import_start returns, and a file that cannot be read is refused on this page."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 400
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        if site_import.is_zip(data):
            return _import_site_export(request, form, data)
        try:
            batch = tasks.import_start(
                request.user,
                data=data,
                filename=upload.name,
                plain_scale=form.cleaned_data["plain_scale"],
            )
        except importers.ImportFileError as error:
            form.add_error("file", str(error))
        except ValidationError as error:
            form.add_error(None, error.messages[0])
            status = 409
        else:
            batch = selectors.import_batch_for(request.user, batch.pk, with_rows=False)
            if batch.status != ImportBatch.Status.FAILED:
                return redirect(batch)
            services.import_batch_delete(batch)
            form.add_error("file", batch.error)
    recent = selectors.member_recent_imports(request.user)
    return render(
        request,
        "accounts/import.html",
        {"form": form, "recent": recent, "max_mb": settings.MAX_IMPORT_BYTES // 1048576},
        status=status if form.errors else 200,
    )


def _import_site_export(request, form, data: bytes) -> HttpResponse:
    """A ZIP from /account/export/: restored at once (accounts.site_import)."""
    try:
        result = site_import.account_import_zip(request.user, data)
    except importers.ImportFileError as error:
        form.add_error("file", str(error))
        recent = selectors.member_recent_imports(request.user)
        context = {
            "form": form,
            "recent": recent,
            "max_mb": settings.MAX_IMPORT_BYTES // 1048576,
        }
        return render(request, "accounts/import.html", context, status=400)
    messages.success(request, result.summary)
    for problem in result.problems:
        messages.warning(request, problem)
    return redirect("accounts:import")


@login_required
def import_preview(request, pk: int):
    batch = selectors.import_batch_for(request.user, pk, with_rows=False)
    if (
        batch.is_running
        or batch.status == ImportBatch.Status.FAILED
        or request.htmx.target == "import-progress"
    ):
        return _import_progress(request, batch)
    tab = request.GET.get("show", "")
    if tab not in selectors.PREVIEW_TABS:
        tab = next(
            (status for status in selectors.PREVIEW_TABS if batch.counts.get(status)),
            importers.MATCHED,
        )
    context = {
        "batch": batch,
        "tab": tab,
        "tabs": [
            (status, label, batch.counts.get(status, 0))
            for status, label in selectors.PREVIEW_TABS.items()
        ],
        "rows_page": selectors.import_rows_page(batch, tab, request.GET.get("page")),
        "mapping": selectors.import_score_mapping(batch),
        "existing": selectors.import_existing_count(batch),
        "confirm_form": ImportConfirmForm(),
        "not_imported": batch.counts.get("total", 0) - batch.counts.get(importers.MATCHED, 0),
        "finder": _import_finder(request),
    }
    if request.htmx.target == "import-rows":
        return render(request, "accounts/import_preview.html#rows", context)
    return render(request, "accounts/import_preview.html", context)


def _import_progress(request, batch) -> HttpResponse:
    """A running import's progress (the page, or the fragment htmx polls), or a failed
    one's reason. Reads the batch's status and counters only."""
    context = {"batch": batch}
    if request.htmx.target == "import-progress":
        response = render(request, "accounts/import_progress.html#progress", context)
        if not batch.is_running:
            # Finished (or failed) since the page was shown: reload it whole.
            response["HX-Refresh"] = "true"
        return response
    return render(request, "accounts/import_progress.html", context)


def _import_finder(request) -> dict:
    """The catalog search of one unmatched line (?find_line=12&find=intervew)."""
    line = parse_int(request.GET.get("find_line", ""), min=1)
    query = request.GET.get("find", "").strip()
    if line is None or not query:
        return {}
    return {"line": line, "query": query, "results": selectors.import_title_finder(query)}


def _preview_url(batch, back: str, line: int | None = None) -> str:
    """The preview page at the tab and page a form was posted from ("ambiguous:3")."""
    tab, _, page = back.partition(":")
    if tab not in selectors.PREVIEW_TABS:
        tab = importers.AMBIGUOUS
    url = reverse("accounts:import-preview", kwargs={"pk": batch.pk}) + f"?show={tab}"
    if parse_int(page, min=1):
        url += f"&page={page}"
    return url + (f"#import-line-{line}" if line else "#import-rows")


@login_required
@require_POST
def import_pick(request, pk: int):
    """Match a line the site could not match to a title the member found."""
    batch = selectors.import_batch_for(request.user, pk)
    form = ImportPickForm(request.POST)
    back = request.POST.get("back", "")
    if not form.is_valid():
        messages.error(request, "Search the catalog for the line and choose one of the titles.")
        return redirect(_preview_url(batch, back))
    line = form.cleaned_data["line"]
    try:
        row = services.import_batch_pick_title(batch, line, form.cleaned_data["title"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_preview_url(batch, back, line))
    messages.success(request, f"Line {line}: {row['title_label']}. It will be imported.")
    return redirect(_preview_url(batch, back, line))


@login_required
@require_POST
def import_resolve(request, pk: int):
    batch = selectors.import_batch_for(request.user, pk)
    form = ImportResolveForm(request.POST)
    back = request.POST.get("back", "")
    if not form.is_valid():
        messages.error(request, "Choose one of the titles listed, or leave the line out.")
        return redirect(_preview_url(batch, back))
    try:
        row = services.import_batch_resolve(
            batch, form.cleaned_data["line"], form.cleaned_data["title"]
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_preview_url(batch, back))
    messages.success(
        request,
        f"Line {row['line']}: {row['title_label']}."
        if row.get("title_id")
        else f"Line {row['line']} is waiting for a choice; it is left out unless you pick one.",
    )
    return redirect(_preview_url(batch, back))


@login_required
@require_POST
def import_confirm(request, pk: int):
    """Queue the writing (accounts.tasks); with tasks run at once it is done on return."""
    batch = selectors.import_batch_for(request.user, pk, with_rows=False)
    form = ImportConfirmForm(request.POST)
    form.is_valid()
    try:
        tasks.import_confirm(
            batch, replace_existing=form.cleaned_data.get("replace_existing", False)
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(batch)
    batch = selectors.import_batch_for(request.user, pk, with_rows=False)
    if batch.status == ImportBatch.Status.APPLIED:
        messages.success(request, _result_message(batch))
    elif batch.status == ImportBatch.Status.FAILED:
        messages.error(request, batch.error)
    else:
        messages.info(request, "Importing: this page shows how far it has got.")
    return redirect(batch)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _result_message(batch) -> str:
    result = batch.result
    if batch.is_watchlist:
        message = f"Added {_plural(result['added'], 'title')} to your watchlist."
        if result.get("already_rated"):
            message += (
                f" {_plural(result['already_rated'], 'title')} you have rated already "
                "were not added (listed on this page)."
            )
        return message
    if batch.is_list:
        if result.get("collection_skipped"):
            return f"No collection was created: {result['skipped_reason']}"
        return (
            f"Created the collection “{result['collection_name']}” with "
            f"{_plural(result['added'], 'title')}."
        )
    message = f"Imported {_plural(result['written'], 'rating')}."
    if result.get("kept_existing"):
        message += f" Kept {result['kept_existing']} you had already given."
    if result.get("reviews_skipped"):
        message += (
            f" {_plural(result['reviews_skipped'], 'review')} left out: you reached the "
            "hourly review limit (the scores are saved)."
        )
    if batch.is_diary:
        message += f" Logged {_plural(result.get('viewings', 0), 'viewing')} in your diary."
    return message


@login_required
@require_POST
def import_cancel(request, pk: int):
    batch = selectors.import_batch_for(request.user, pk)
    try:
        services.import_batch_cancel(batch)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(batch)
    messages.info(request, "Import cancelled: nothing was changed.")
    return redirect("accounts:import")


@never_cache
@login_required
def import_unmatched(request, pk: int):
    batch = selectors.import_batch_for(request.user, pk)
    response = StreamingHttpResponse(
        selectors.import_unmatched_lines(batch), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="not-imported-{batch.pk}.csv"'
    return response

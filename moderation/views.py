"""Members' side of moderation: the report form. Moderators work in the admin."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from moderation import selectors, services
from moderation.forms import ReportForm
from moderation.models import Kind

TEMPLATE = "moderation/report.html"


@require_http_methods(["GET", "POST"])
def report(request, kind: str, pk: int):
    """Report a review, a collection or a profile to the moderators."""
    if kind not in Kind.values:
        raise Http404("There is nothing to report here.")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    target = selectors.reportable_target(kind, pk)
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.report(
                    request.user,
                    target,
                    form.cleaned_data["reason"],
                    form.cleaned_data["details"],
                )
            except ValidationError as refusal:
                if refusal.code == "already_reported":
                    messages.info(request, " ".join(refusal.messages))
                    return redirect(target.url)
                form.add_error(None, refusal.messages)
                status = 429 if refusal.code == "too_many_reports" else 400
            else:
                messages.success(
                    request,
                    f"Thank you. Your report about this {target.kind} was sent to the "
                    "moderators; they will look at it soon.",
                )
                return redirect(target.url)
        else:
            status = 400
    return render(request, TEMPLATE, {"form": form, "target": target}, status=status)

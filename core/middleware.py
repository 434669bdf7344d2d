"""Middleware that refuses malformed input at the edge, before any view reads it, and
the read-your-writes switch for read replicas."""

import time

from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseBadRequest

from core.parsing import parse_int
from core.replicas import replica_aliases, replica_reads_allowed

NUL = "\x00"


def _has_nul(query_dict) -> bool:
    return any(NUL in key or any(NUL in value for value in values)
               for key, values in query_dict.lists())  # fmt: skip


class RejectNulMiddleware:
    """Answer 400 to a request with a NUL character in its path, query string or form
    fields (or uploaded file names): PostgreSQL cannot store NUL in text, so such input
    would otherwise fail deep in a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            NUL in request.path_info
            or _has_nul(request.GET)
            or (request.method == "POST" and self._post_has_nul(request))
        ):
            return HttpResponseBadRequest(
                "The request contains a NUL character, which this site does not accept.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _post_has_nul(request) -> bool:
        if _has_nul(request.POST):
            return True
        return any(NUL in (upload.name or "") for upload in request.FILES.values())


class AdminActionGuardMiddleware:
    """Answer 400 to an admin action whose selected rows are not ids of the list's model
    (a non-integer or out-of-range ``_selected_action``), for every registered
    ModelAdmin, Django's and third-party ones included; Django's admin would pass them
    to the database and fail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is not None and (hierarchy := model_admin.date_hierarchy):
            # Django's admin catches ValueError but not OverflowError for a huge year.
            for part in ("year", "month", "day"):
                value = request.GET.get(f"{hierarchy}__{part}")
                if value is not None and parse_int(value, min=1, max=9999) is None:
                    return HttpResponseBadRequest(
                        f"“{value[:50]}” is not a {part}.", content_type="text/plain; charset=utf-8"
                    )
        if (
            model_admin is None
            or request.method != "POST"
            or "action" not in request.POST
            or not request.resolver_match.url_name.endswith("_changelist")
        ):
            return None
        pk = model_admin.model._meta.pk
        if pk.is_relation:  # a one-to-one primary key holds the other model's id
            pk = pk.target_field
        low, high = connection.ops.integer_field_ranges.get(pk.get_internal_type(), (None, None))
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                row = pk.to_python(value)
                if row is None or (low is not None and not low <= row <= high):
                    raise ValidationError("out of range")
            except (ValidationError, TypeError, ValueError):
                return HttpResponseBadRequest(
                    f"“{value[:50]}” is not a row of this list: select rows with their "
                    "checkboxes and try the action again.",
                    content_type="text/plain; charset=utf-8",
                )
        return None


class ReplicaReadsMiddleware:
    """Read-your-writes for read replicas (core/replicas.py).

    A request with an unsafe method (POST, PUT, PATCH, DELETE) reads the primary and
    leaves a signed cookie holding the time until which this browser keeps reading the
    primary (``REPLICA_STICKY_SECONDS``): a member who just rated sees the rating on the
    next page even while the replicas lag. Other requests read a replica. Does nothing
    when no replica is configured.
    """

    COOKIE = "primary_until"
    SALT = "core.middleware.ReplicaReadsMiddleware"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        writing = request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
        token = replica_reads_allowed.set(not writing and not self._sticky(request))
        try:
            response = self.get_response(request)
        finally:
            replica_reads_allowed.reset(token)
        if writing:
            seconds = settings.REPLICA_STICKY_SECONDS
            response.set_signed_cookie(
                self.COOKIE,
                str(time.time() + seconds),
                salt=self.SALT,
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def _sticky(self, request) -> bool:
        """Whether this browser wrote less than REPLICA_STICKY_SECONDS ago (the signed
        cookie holds the end of that period; a forged or garbled one counts as absent)."""
        value = request.get_signed_cookie(self.COOKIE, default=None, salt=self.SALT)
        try:
            return value is not None and time.time() < float(value)
        except ValueError:
            return False

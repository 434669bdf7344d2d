"""Redirect helpers shared by every app's views."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.static import serve


def safe_next(request: HttpRequest, fallback: str = "") -> str:
    """The ``next`` parameter (POST first, then GET) if it is a path on this site, else
    ``fallback``.

    Only relative paths are accepted ("/titles/?page=2"): an absolute URL, a
    scheme-relative one ("//evil.com") or a bare word ("abc", which redirect() would
    try to resolve as a view name) gives the fallback.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback


def canonical_redirect(
    request: HttpRequest, obj, slug: str, view_name: str | None = None
) -> HttpResponsePermanentRedirect | None:
    """A permanent redirect to the object's URL with its current slug when the request
    used another one (renamed object, hand-typed link), keeping the query string;
    None when the slug is already right.

    The URL is ``view_name`` reversed with the object's pk and slug, or the object's
    ``get_absolute_url()`` without a view name.
    """
    if slug == obj.slug:
        return None
    if view_name:
        url = reverse(view_name, kwargs={"pk": obj.pk, "slug": obj.slug})
    else:
        url = obj.get_absolute_url()
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


def serve_media(request: HttpRequest, path: str):
    """An uploaded file (poster, avatar), or 404. A name the file system refuses (too
    long, say) is a file that is not there, not a server error. MEDIA_ROOT is read per
    request, so the tests' temporary media directory is the one served."""
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except OSError as error:
        raise Http404("No such file.") from error

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from accounts import urls as accounts_urls
from catalog import urls as catalog_urls
from pages import urls as pages_urls

admin.site.site_header = "Movie Ratings administration"
admin.site.site_title = "Movie Ratings admin"
admin.site.index_title = "Catalog, members and moderation"

urlpatterns = [
    path("", include(pages_urls)),
    path("admin/", admin.site.urls),
    # The pages built by pages/ keep their names in the namespaces of the apps they
    # have always been under (accounts:profile, catalog:title-detail, ...).
    path("", include((accounts_urls.urlpatterns + pages_urls.accounts_patterns, "accounts"))),
    path("", include((catalog_urls.urlpatterns + pages_urls.catalog_patterns, "catalog"))),
    path("", include((pages_urls.ratings_patterns, "ratings"))),
    path("", include("collections_app.urls")),
    path("", include("taste.urls")),
    path("", include("moderation.urls")),
]


def serve_media(request, path: str):
    # MEDIA_ROOT is read per request (not fixed when the URLconf loads), so the tests'
    # temporary media directory is the one served and nothing lands in the real var/media.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Uploaded posters and avatars are served by the site itself so that a self-hosted
# install needs no separate file server; a reverse proxy may take this over.
urlpatterns += [
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve_media),
]

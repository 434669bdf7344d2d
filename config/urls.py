from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from accounts import urls as accounts_urls
from catalog import urls as catalog_urls
from core.http import serve_media
from library import urls as library_urls
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
    path("", include((library_urls.urlpatterns + pages_urls.library_patterns, "library"))),
    path("", include("taste.urls")),
    path("", include("moderation.urls")),
    path("", include("social.urls")),
]


# Uploaded posters and avatars are served by the site itself so that a self-hosted
# install needs no separate file server; a reverse proxy may take this over.
urlpatterns += [
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve_media),
]

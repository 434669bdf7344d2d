from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from catalog import views as catalog_views

admin.site.site_header = "Movie Ratings administration"
admin.site.site_title = "Movie Ratings admin"
admin.site.index_title = "Catalog, members and moderation"

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("catalog.urls")),
    path("", include("ratings.urls")),
    path("", include("collections_app.urls")),
    path("", include("taste.urls")),
    path("", include("moderation.urls")),
]

# Uploaded posters and avatars are served by the site itself so that a self-hosted
# install needs no separate file server; a reverse proxy may take this over.
urlpatterns += [
    re_path(
        rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
]

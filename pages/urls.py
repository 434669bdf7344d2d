"""URLs of the pages built here, under the names they have always had.

config/urls.py puts ``catalog_patterns`` in the ``catalog`` namespace and
``accounts_patterns`` in the ``accounts`` namespace beside those apps' own URLs, so
``catalog:title-detail`` and ``accounts:profile`` keep working while catalog and
accounts never import pages; ``ratings_patterns`` likewise keep ``ratings:rate`` and
``ratings:unrate`` (the rating form's views redraw cards of the title page, so they live
here).
"""

from django.urls import path

from pages import library_pages, views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
]

catalog_patterns = [
    path("people/<int:pk>/<slug:slug>/", views.person_detail, name="person-detail"),
    path("titles/<int:pk>/<slug:slug>/", views.title_detail, name="title-detail"),
    path(
        "titles/<int:pk>/<slug:slug>/compact/", views.title_compact_view, name="title-compact-view"
    ),
    path("titles/<int:pk>/<slug:slug>/similar/", views.title_similar, name="title-similar"),
    path(
        "titles/<int:pk>/<slug:slug>/statistics/",
        views.title_statistics,
        name="title-statistics",
    ),
]

accounts_patterns = [
    path("u/<str:username>/", views.profile, name="profile"),
]

# Two segments after the title id: the title page owns titles/<pk>/<slug>/ and is included
# first, so titles/<pk>/rate/ would resolve to a title page with slug "rate".
ratings_patterns = [
    path("titles/<int:pk>/rating/edit/", views.rate, name="rate"),
    path("titles/<int:pk>/rating/delete/", views.unrate, name="unrate"),
]

# The watchlist and diary pages read taste and accounts beside library: built here, named
# in the ``library`` namespace with library's own URLs (config/urls.py).
library_patterns = [
    path("watchlist/", library_pages.my_watchlist, name="watchlist"),
    path("u/<str:username>/watchlist/", library_pages.member_watchlist, name="member-watchlist"),
    path("u/<str:username>/diary/", library_pages.member_diary, name="diary"),
]

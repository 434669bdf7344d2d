from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("titles/", views.title_list, name="title-list"),
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

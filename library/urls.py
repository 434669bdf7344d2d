from django.urls import path

from library import views

app_name = "library"

urlpatterns = [
    path("watchlist/add/<int:title_id>/", views.watchlist_add, name="watchlist-add"),
    path("watchlist/remove/<int:title_id>/", views.watchlist_remove, name="watchlist-remove"),
    path("diary/log/<int:title_id>/", views.viewing_log, name="viewing-log"),
    path("diary/viewings/<int:pk>/delete/", views.viewing_delete, name="viewing-delete"),
]

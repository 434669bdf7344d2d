from django.urls import path

from collections_app import views

app_name = "collections"

urlpatterns = [
    path("collections/", views.collection_list, name="collection-list"),
]

from django.urls import path

from collections_app import views

app_name = "collections"

urlpatterns = [
    path("collections/", views.collection_list, name="collection-list"),
    path("collections/mine/", views.my_collections, name="my-collections"),
    path("collections/new/", views.collection_create, name="collection-create"),
    # Action URLs come before the detail URL; services never give a collection the slug
    # "edit", "delete" or "items", so the two cannot be confused.
    path("collections/<int:pk>/edit/", views.collection_edit, name="collection-edit"),
    path("collections/<int:pk>/delete/", views.collection_delete, name="collection-delete"),
    path("collections/<int:pk>/items/add/", views.item_add, name="item-add"),
    path(
        "collections/<int:pk>/items/<int:item_pk>/remove/",
        views.item_remove,
        name="item-remove",
    ),
    path("collections/<int:pk>/items/<int:item_pk>/move/", views.item_move, name="item-move"),
    path("collections/<int:pk>/items/<int:item_pk>/note/", views.item_note, name="item-note"),
    path("collections/<int:pk>/<slug:slug>/", views.collection_detail, name="collection-detail"),
    # The title page's pieces (under collections/ so they never meet catalog's title URLs).
    path(
        "collections/for-title/<int:title_pk>/",
        views.title_collections,
        name="title-collections",
    ),
    path("collections/add-title/<int:title_pk>/", views.title_add, name="title-add"),
]

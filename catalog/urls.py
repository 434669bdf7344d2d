from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("titles/", views.title_list, name="title-list"),
    path("titles/<int:pk>/<slug:slug>/", views.title_detail, name="title-detail"),
]

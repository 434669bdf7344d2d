from django.urls import path

from catalog import views

app_name = "catalog"

# The title page and its fragments (catalog:title-detail, -similar, -statistics,
# -compact-view) read several apps: they live in pages/urls.py, added to this
# namespace by config/urls.py.
urlpatterns = [
    path("titles/", views.title_list, name="title-list"),
]

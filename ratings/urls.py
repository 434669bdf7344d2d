from django.urls import path

from ratings import views

app_name = "ratings"

# Two segments after the title id: the catalog's title page owns titles/<pk>/<slug>/ and is
# included first, so titles/<pk>/rate/ would resolve to a title page with slug "rate".
urlpatterns = [
    path("titles/<int:pk>/rating/edit/", views.rate, name="rate"),
    path("titles/<int:pk>/rating/delete/", views.unrate, name="unrate"),
]

from django.urls import path

from taste import views

app_name = "taste"

urlpatterns = [
    path("soulmates/", views.soulmates, name="soulmates"),
    path("recommendations/", views.recommendations, name="recommendations"),
    path("taste/tci/<str:username>/", views.tci_explain, name="tci-explain"),
    path("taste/psi/<int:title_id>/", views.psi_explain, name="psi-explain"),
]

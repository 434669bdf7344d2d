from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

# accounts:profile reads several apps: it lives in pages/urls.py, added to this namespace
# by config/urls.py.

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("accounts:password-change-done")
        ),
        name="password-change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password-change-done",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            success_url=reverse_lazy("accounts:password-reset-done"),
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("account/", views.account_settings, name="settings"),
    path("account/export/", views.export_all, name="export"),
    path("account/export/ratings.csv", views.export_ratings, name="export-ratings"),
    path("account/delete/", views.account_delete, name="delete"),
    path("account/import/", views.import_upload, name="import"),
    path("account/import/<int:pk>/", views.import_preview, name="import-preview"),
    path("account/import/<int:pk>/resolve/", views.import_resolve, name="import-resolve"),
    path("account/import/<int:pk>/pick/", views.import_pick, name="import-pick"),
    path("account/import/<int:pk>/confirm/", views.import_confirm, name="import-confirm"),
    path("account/import/<int:pk>/cancel/", views.import_cancel, name="import-cancel"),
    path(
        "account/import/<int:pk>/not-imported.csv",
        views.import_unmatched,
        name="import-unmatched",
    ),
]

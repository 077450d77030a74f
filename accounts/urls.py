from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.forms import LocalisedPasswordResetForm, ThrottledAuthenticationForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=ThrottledAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password_change_done")),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        views.PasswordResetView.as_view(
            form_class=LocalisedPasswordResetForm,
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("profile/", views.profile, name="profile"),
    path("directory/", views.directory, name="directory"),
    path("agency/users/", views.agency_users, name="agency_users"),
    path("agency/users/new/", views.agency_user_create, name="agency_user_create"),
    path("agency/users/<int:pk>/", views.agency_user_edit, name="agency_user_edit"),
    path(
        "agency/users/<int:pk>/deactivate/",
        views.agency_user_deactivate,
        name="agency_user_deactivate",
    ),
    path(
        "agency/users/<int:pk>/reactivate/",
        views.agency_user_reactivate,
        name="agency_user_reactivate",
    ),
    path(
        "agency/users/<int:pk>/unlock/",
        views.agency_user_unlock,
        name="agency_user_unlock",
    ),
    path(
        "agency/users/<int:pk>/tokens/<int:token_pk>/revoke/",
        views.agency_user_token_revoke,
        name="agency_user_token_revoke",
    ),
    path(
        "agency/users/<int:pk>/send-password-link/",
        views.agency_user_send_reset,
        name="agency_user_send_reset",
    ),
]

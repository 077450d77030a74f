"""django-otp-webauthn's endpoints, under the namespace its template tags expect."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as library

from accounts import webauthn

app_name = "otp_webauthn"

urlpatterns = [
    path(
        "registration/begin/",
        library.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        library.CompleteCredentialRegistrationView.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        library.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        webauthn.CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]

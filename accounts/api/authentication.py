"""Session authentication for the REST API that counts only sessions past the second factor."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, get_authorization_header

from accounts import mfa


class SecondFactorSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, refusing a session that has not passed the second factor.

    A password alone signs a browser in to the verify page only; its session cookie must
    not open the API either. A call that brings its own credentials (``Authorization``)
    is left to the authentication class of that scheme.
    """

    message = _("Complete the second sign-in step (authenticator app or security key) first.")

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        if mfa.gate(request._request) is not mfa.Gate.OPEN:
            if get_authorization_header(request):
                return None
            raise exceptions.AuthenticationFailed(self.message)
        return result


class SecondFactorSessionScheme(SessionScheme):
    """The same session cookie in the OpenAPI schema."""

    target_class = "accounts.api.authentication.SecondFactorSessionAuthentication"

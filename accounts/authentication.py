"""API token authentication for the REST API and the exchange endpoints (TAXII, blocklists).

``Authorization: Token <key>`` and ``Authorization: Bearer <key>`` are the same thing.
A read-only token is refused (403) on any method that could change something.
"""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from accounts import tokens

KEYWORDS = ("token", "bearer")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: give the scheme and the token, separated by one space.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        try:
            token = tokens.authenticate(key, getattr(request, "_request", request))
        except tokens.TokenRefused as refused:
            raise exceptions.AuthenticationFailed(refused.message) from None
        check_scope(token, request.method)
        return (token.user, token)

    def authenticate_header(self, request):
        return "Token"


def check_scope(token, method):
    if token.is_read_only and method not in SAFE_METHODS:
        raise exceptions.PermissionDenied(
            _("This API token is read-only: it cannot change anything. Use a read-write token.")
        )


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _(
                'An API token, as "Token <key>" or "Bearer <key>". Read-only tokens may only read.'
            ),
        }

"""Who is calling an exchange endpoint: a signed-in browser or a tool with credentials.

Tools authenticate as TAXII clients do: HTTP Basic with username and password, or
an API token as ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``.
Without an ``Authorization`` header the browser session counts (reads only).
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import (
    BasicAuthentication,
    TokenAuthentication,
    get_authorization_header,
)

REALM = "Concord"


class BearerAuthentication(TokenAuthentication):
    keyword = "Bearer"


class ExchangeBasicAuthentication(BasicAuthentication):
    www_authenticate_realm = REALM


AUTHENTICATORS = (ExchangeBasicAuthentication, TokenAuthentication, BearerAuthentication)
CHALLENGE = f'Basic realm="{REALM}", Bearer realm="{REALM}"'


def authenticate(request):
    """The calling user, or None when anonymous.

    Raises ``AuthenticationFailed`` for credentials that are given but wrong, or an
    unknown scheme: a tool with a bad token must hear so, not see an empty feed.
    """
    header = get_authorization_header(request).split()
    if not header:
        return request.user if request.user.is_authenticated else None
    for authenticator in AUTHENTICATORS:
        result = authenticator().authenticate(request)
        if result is not None:
            request.user = result[0]  # the audit trail names who took the export
            return result[0]
    raise exceptions.AuthenticationFailed(_("Unsupported authorization scheme."))

"""Who is calling an exchange endpoint: a signed-in browser or a tool with credentials.

Tools authenticate as TAXII clients do: HTTP Basic with username and password, or
an API token as ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``
(``accounts.authentication``, the same check as the REST API's; read-only tokens
suffice). Without an ``Authorization`` header the browser session counts (reads only).
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication, get_authorization_header

from accounts import mfa, throttle
from accounts.authentication import ApiTokenAuthentication

REALM = "Concord"


class ExchangeBasicAuthentication(BasicAuthentication):
    """HTTP Basic, counted and refused by the password throttle (``accounts.throttle``).

    A locked-out caller is refused before its password is checked, as is a deactivated
    user or one of a deactivated agency (``accounts.backends``); an account with a second
    factor, or that must have one, is refused whatever its password.
    """

    www_authenticate_realm = REALM

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            # No account is named so; the database would refuse to even look.
            raise exceptions.AuthenticationFailed(_("Invalid username/password."))
        try:
            user, auth = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise exceptions.AuthenticationFailed(throttle.LOCKOUT_MESSAGE) from None
            raise
        # A password alone opens nothing of an account that signs in with a second factor:
        # its tools use an API token, made by a session that passed the factor.
        if mfa.has_second_factor(user) or mfa.required_for(user):
            raise exceptions.AuthenticationFailed(
                _(
                    "This account signs in with a second factor: HTTP Basic is refused. "
                    "Create an API token on the API tokens page and use it instead."
                )
            )
        return user, auth


AUTHENTICATORS = (ExchangeBasicAuthentication, ApiTokenAuthentication)
CHALLENGE = f'Basic realm="{REALM}", Bearer realm="{REALM}"'


def authenticate(request):
    """The calling user, or None when anonymous.

    Raises ``AuthenticationFailed`` for credentials that are given but wrong, or an
    unknown scheme: a tool with a bad token must hear so, not see an empty feed.
    ``PermissionDenied`` for a read-only token on a method that could write.
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

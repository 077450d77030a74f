"""Security keys and passkeys through django-otp-webauthn, wired to Concord's records.

The library does the ceremonies and the cryptography; these subclasses name new keys,
record enrolments and failed verifications, and give the session a new id once it passed.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp_webauthn import exceptions, helpers, views

from accounts import mfa


class WebAuthnHelper(helpers.WebAuthnHelper):
    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        # A credential the platform may sync (backup eligible) is what users know as a passkey.
        device.name = _("Passkey") if device.backup_eligible else _("Security key")
        return device

    def register_complete(self, user, state, data):
        with transaction.atomic():
            device = super().register_complete(user, state, data)
            mfa.enrolled_webauthn(self.request, device)
        return device


class CompleteAuthentication(views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        # The password step signed the user in; the key now verifies the session.
        mfa.mark_passed(self.request, device)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and self.request.user.is_authenticated:
            mfa.record_failure(self.request, exc.code)
        return super().handle_exception(exc)

"""Second factor status of a request (a stand-in until multi-factor sign-in lands)."""

from django.conf import settings


def second_factor_passed(request):
    """True when the session passed a second factor, or the account needs none."""
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None:
        return bool(is_verified())
    agency = getattr(user, "agency", None)
    return not (getattr(settings, "MFA_REQUIRED", False) or getattr(agency, "require_mfa", False))

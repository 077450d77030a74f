import zoneinfo
from functools import partial
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware
from django_otp.models import Device
from rest_framework.views import APIView


class UserTimezoneMiddleware:
    """Show times in the signed-in user's time zone and pages in their language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
        else:
            timezone.deactivate()
        return self.get_response(request)


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's middleware, without its query for the device that verified the session
    when the session's user came with the ids of their devices (``accounts.backends``, on
    PostgreSQL): a verified session then costs no query more than any other."""

    def _verify_user_sync(self, request, user):
        from accounts import mfa

        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        confirmed = (
            mfa.device_still_confirmed(user, persistent_id)
            if persistent_id and user.is_authenticated
            else None
        )
        if confirmed is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        if confirmed:
            # Read only by code that uses the device itself; being verified needs its id.
            user.otp_device = SimpleLazyObject(partial(Device.from_persistent_id, persistent_id))
        else:
            del request.session[DEVICE_ID_SESSION_KEY]
        return user


class SecondFactorMiddleware:
    """Keep a session that has not passed the second factor on the pages that ask for it.

    A user with a factor reaches only the verify page; a user who must have one and has
    none, only the enrolment pages. Sign-out, the JavaScript translation catalogue and the
    WebAuthn endpoints of the step answer too; every other page redirects to the step,
    keeping where the user was going. REST API views are left to their authentication
    classes, which refuse such a session (``accounts.api.authentication``).
    """

    ALWAYS = {"accounts:logout", "otp_webauthn:js-i18n-catalog", "health", "accessibility"}
    ALLOWED = {
        "verify": {
            "accounts:mfa_verify",
            "otp_webauthn:credential-authentication-begin",
            "otp_webauthn:credential-authentication-complete",
        },
        "enrol": {
            "accounts:mfa_security",
            "accounts:mfa_totp_add",
            "otp_webauthn:credential-registration-begin",
            "otp_webauthn:credential-registration-complete",
        },
    }
    TARGET = {"verify": "accounts:mfa_verify", "enrol": "accounts:mfa_security"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from accounts import mfa

        state = mfa.gate(request)
        if state is mfa.Gate.OPEN or _is_api_view(view_func):
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if view_name in self.ALWAYS or view_name in self.ALLOWED[state.value]:
            return None
        url = reverse(self.TARGET[state.value])
        if request.method in ("GET", "HEAD"):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            # htmx would draw the step inside the fragment it asked for: load it as a page.
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)


def _is_api_view(view_func):
    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)

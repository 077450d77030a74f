"""The second sign-in factor: who needs one, whether this session passed it, the factors.

django-otp does the verification: authenticator apps (``otp_totp``), recovery codes
(``otp_static``, with its throttling of wrong codes) and, through django-otp-webauthn,
security keys and passkeys. A session has passed the second factor when django-otp's
middleware found the device that verified it (``request.user.is_verified()``).

Other parts of Concord ask here ``second_factor_passed(request)`` (the API token
issuance), ``session_verified(request)`` (the admin site, which asks a factor of staff
whatever the rule) and ``required_for(user)``.
"""

import enum
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

RECOVERY_CODE_COUNT = 10
# Codes being shown after their creation, until the user says they kept them.
NEW_CODES_SESSION_KEY = "mfa_new_recovery_codes"


class Kind(enum.StrEnum):
    TOTP = "totp"
    WEBAUTHN = "webauthn"
    RECOVERY = "recovery"


KIND_LABELS = {
    Kind.TOTP: gettext_lazy("Authenticator app"),
    Kind.WEBAUTHN: gettext_lazy("Security key or passkey"),
    Kind.RECOVERY: gettext_lazy("Recovery codes"),
}
_MODELS = {Kind.TOTP: TOTPDevice, Kind.WEBAUTHN: WebAuthnCredential, Kind.RECOVERY: StaticDevice}


class Gate(enum.Enum):
    OPEN = "open"  # nothing is asked of this session
    VERIFY = "verify"  # the user has a factor: the session must pass it
    ENROL = "enrol"  # the user must have a factor and has none


# ---------------------------------------------------------------------------- policy


def required_for(user) -> bool:
    """Whether ``user`` must sign in with a second factor (platform setting or agency rule)."""
    if not user.is_authenticated:
        return False
    if settings.MFA_REQUIRED:
        return True
    return bool(user.agency_id and user.agency.require_mfa)


def factor_exists(user_ref=None):
    """A boolean expression: the user (``user_ref``, default ``OuterRef("pk")``) has a factor.

    ``accounts.backends`` reads it with the session's user, so that asking
    ``has_second_factor`` on every request costs no query.
    """
    user_ref = OuterRef("pk") if user_ref is None else user_ref
    condition = (
        Exists(TOTPDevice.objects.filter(user=user_ref, confirmed=True))
        | Exists(WebAuthnCredential.objects.filter(user=user_ref, confirmed=True))
        | Exists(StaticToken.objects.filter(device__user=user_ref, device__confirmed=True))
    )
    return ExpressionWrapper(condition, output_field=BooleanField())


def confirmed_device_ids():
    """PostgreSQL annotations: the ids of the user's confirmed devices, an array per kind.

    Read with the session's user (``accounts.backends``), they tell the middleware that
    the device which verified the session still exists without a query of its own.
    """
    from django.contrib.postgres.expressions import ArraySubquery

    return {
        f"device_ids_{kind}": ArraySubquery(
            model.objects.filter(user=OuterRef("pk"), confirmed=True).order_by().values("pk")
        )
        for kind, model in _MODELS.items()
    }


def remember_device_ids(user):
    """Keep the arrays read with ``user`` by the label of django-otp's persistent ids."""
    user.confirmed_device_ids = {
        model.model_label(): frozenset(getattr(user, f"device_ids_{kind}"))
        for kind, model in _MODELS.items()
    }


def device_still_confirmed(user, persistent_id):
    """Whether the device ``persistent_id`` is a confirmed device of ``user``, as read with
    the user; None when the user came without that knowledge."""
    known = getattr(user, "confirmed_device_ids", None)
    if known is None:
        return None
    label, _sep, pk = persistent_id.rpartition("/")
    return pk.isdigit() and int(pk) in known.get(label, ())


def has_second_factor(user) -> bool:
    """Whether ``user`` has a confirmed factor (recovery codes left count too)."""
    if not user.is_authenticated:
        return False
    known = getattr(user, "second_factor_present", None)
    if known is not None:
        return known
    return (
        _has_primary_factor(user)
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def _has_primary_factor(user):
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


# ---------------------------------------------------------------------------- session


def second_factor_passed(request) -> bool:
    """True when this session (a Django or DRF request) passed the second factor, or its
    user has none and needs none: the password was then all there was to pass.

    False for a user with a factor whose session has not used it, for a user who must
    have one and has none, and for anonymous requests. Where a factor is required of
    everyone (``MFA_REQUIRED``), True means the session used one.
    """
    request = getattr(request, "_request", request)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return gate(request) is Gate.OPEN


def session_verified(request) -> bool:
    """True when a device of the user verified this session (``django_otp``'s
    ``is_verified()``), whether or not the user needed one."""
    request = getattr(request, "_request", request)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def gate(request) -> Gate:
    """What this request's session must do before it may use Concord."""
    user = request.user
    if not user.is_authenticated or session_verified(request):
        return Gate.OPEN
    if has_second_factor(user):
        return Gate.VERIFY
    if required_for(user):
        return Gate.ENROL
    return Gate.OPEN


def mark_passed(request, device):
    """The session passed the second factor with ``device``; a new session id goes with it."""
    request.session.cycle_key()
    otp_login(request, device)


# ---------------------------------------------------------------------------- factors


@dataclass
class Factor:
    kind: Kind
    device: object
    remaining: int | None = None  # recovery codes left

    @property
    def key(self):
        return f"{self.kind}-{self.device.pk}"

    @property
    def label(self):
        return KIND_LABELS[self.kind]

    @property
    def name(self):
        return self.device.name or self.label

    @property
    def added_at(self) -> datetime | None:
        return getattr(self.device, "created_at", None)

    @property
    def last_used_at(self) -> datetime | None:
        return getattr(self.device, "last_used_at", None)


def factors_of(user):
    """The user's confirmed factors: apps and keys first (oldest first), then recovery codes."""
    factors = [
        Factor(Kind.TOTP, device)
        for device in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    factors += [
        Factor(Kind.WEBAUTHN, device)
        for device in WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    for device in StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk"):
        factors.append(Factor(Kind.RECOVERY, device, remaining=device.token_set.count()))
    return factors


def factor_of(user, key):
    """The factor ``key`` ("totp-12") of ``user``, or None: another user's is never found."""
    kind, _sep, pk = (key or "").partition("-")
    if kind not in Kind.__members__.values() or not pk.isdigit():
        return None
    device = _MODELS[Kind(kind)].objects.filter(user=user, confirmed=True, pk=int(pk)).first()
    if device is None:
        return None
    remaining = device.token_set.count() if kind == Kind.RECOVERY else None
    return Factor(Kind(kind), device, remaining=remaining)


def pending_totp(user):
    """The authenticator app being set up (unconfirmed), created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=str(KIND_LABELS[Kind.TOTP]), confirmed=False
        )
    return device


# ---------------------------------------------------------------------------- verification


class CodeRefused(Exception):
    """A code was not accepted; ``message`` says why, for the form."""

    def __init__(self, message, *, throttled=False):
        super().__init__(message)
        self.message = message
        self.throttled = throttled


def normalise_code(code):
    return "".join((code or "").split()).replace("-", "").lower()


def verify_code(request, code):
    """Check ``code`` (authenticator app or recovery code) for the session's user.

    On success the session has passed the second factor and the device is returned.
    A wrong code counts against the device (django-otp's throttling: 1, 2, 4, 8... s
    before the next try) and is recorded; while throttled no code is checked.
    """
    user = request.user
    code = normalise_code(code)
    is_app_code = code.isdigit() and len(code) == 6
    model = TOTPDevice if is_app_code else StaticDevice
    with transaction.atomic():
        devices = list(
            model.objects.filter(user=user, confirmed=True).select_for_update().order_by("pk")
        )
        allowed = [d for d in devices if d.verify_is_allowed()[0]]
        if devices and not allowed:
            until = min(d.verify_is_allowed()[1]["locked_until"] for d in devices)
            refused = CodeRefused(_throttled_message(until), throttled=True)
            record_failure(request, "throttled")
        else:
            for device in allowed:
                if device.verify_token(code):
                    mark_passed(request, device)
                    return device
            refused = CodeRefused(
                _(
                    "This code is not valid. Enter the current code of your authenticator "
                    "app, or one of your recovery codes."
                )
            )
            record_failure(request, "wrong_code")
    # Raised outside the transaction: the failure count and the record must stay.
    raise refused


def _throttled_message(until):
    seconds = max(1, int((until - timezone.now()).total_seconds() + 0.999))
    return ngettext(
        "Too many wrong codes. Wait %(seconds)s second before you try again.",
        "Too many wrong codes. Wait %(seconds)s seconds before you try again.",
        seconds,
    ) % {"seconds": seconds}


def record_failure(request, reason):
    _record("MFA_FAILED", request, details={"reason": reason})


# ---------------------------------------------------------------------------- changes


def confirm_totp(request, device, code):
    """Confirm the authenticator app being set up with a code it shows; returns it."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            refused = CodeRefused(_throttled_message(extra["locked_until"]), throttled=True)
        elif not device.verify_token(normalise_code(code)):
            refused = CodeRefused(
                _(
                    "This code does not match. Check that your device's clock is right, "
                    "then enter the code the app shows now."
                )
            )
        else:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _enrolled(request, Kind.TOTP, device)
            return device
    # Raised outside the transaction: the failure count must stay.
    raise refused


def enrolled_webauthn(request, device):
    """A security key or passkey was registered (django-otp-webauthn saved it)."""
    _enrolled(request, Kind.WEBAUTHN, device)


def _enrolled(request, kind, device):
    _record(
        "MFA_ENROLLED",
        request,
        details={"factor": str(kind), "device": device.pk, "name": device.name},
    )
    if not session_verified(request):
        # Proven just now: the new factor verifies this session.
        mark_passed(request, device)


def new_recovery_codes(request):
    """Replace the user's recovery codes with a fresh set and return the codes once."""
    user = request.user
    with transaction.atomic():
        replaced = StaticDevice.objects.filter(user=user).exists()
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(
            user=user, name=str(KIND_LABELS[Kind.RECOVERY]), confirmed=True
        )
        codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        _record(
            "MFA_ENROLLED",
            request,
            details={
                "device": device.pk,
                "factor": str(Kind.RECOVERY),
                "replaced": replaced,
                "count": len(codes),
            },
        )
    return [format_recovery_code(code) for code in codes]


def format_recovery_code(code):
    return f"{code[:4]}-{code[4:]}"


def remove_factor(request, factor):
    """Remove one of the session user's factors.

    Recovery codes go with the last app or key: alone they would be a weaker factor than
    the one the user enrolled. The session stays verified when it was verified by the
    removed device and another app or key remains.
    """
    user = request.user
    with transaction.atomic():
        was_session_device = request.session.get(DEVICE_ID_SESSION_KEY) == (
            factor.device.persistent_id
        )
        factor.device.delete()
        removed = [str(factor.kind)]
        if (
            factor.kind != Kind.RECOVERY
            and not _has_primary_factor(user)
            and StaticDevice.objects.filter(user=user).delete()[0]
        ):
            removed.append(str(Kind.RECOVERY))
        _record(
            "MFA_REMOVED",
            request,
            details={"factors": removed, "name": factor.name},
        )
        if was_session_device:
            remaining = next(iter(_primary_devices(user)), None)
            if remaining is not None:
                otp_login(request, remaining)
    return removed


def _primary_devices(user):
    yield from TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    yield from WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")


def is_last_primary(user, factor):
    """Removing ``factor`` leaves the user without an app or a key."""
    if factor.kind == Kind.RECOVERY:
        return False
    return sum(1 for _d in _primary_devices(user)) <= 1


def delete_all_factors(user):
    """Every device of ``user``, confirmed or not; returns how many of each kind went."""
    counts = {}
    for kind, model in _MODELS.items():
        deleted = model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
        if deleted:
            counts[str(kind)] = deleted
    return counts


def _record(action, request, **kwargs):
    """Record a change to the session user's own factors, for their agency's admins."""
    from coordination.audit import record
    from coordination.audit.choices import AuditAction

    user = request.user
    record(AuditAction[action], request=request, target=user, agency=user.agency_id, **kwargs)

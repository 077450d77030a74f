"""Limits on password guessing and password reset requests.

Every place that takes a password calls ``django.contrib.auth.authenticate`` with the
request: the sign-in form, the Django admin login, HTTP Basic on TAXII and the blocklists,
the API token endpoint. django-axes' backend (first in ``AUTHENTICATION_BACKENDS``) refuses
a locked-out attempt before any password is checked, and its handler counts each failure
in ``axes.AccessAttempt``: one row per (username, address, user agent). Three limits apply
to the failures of the last ``AXES_COOLOFF_TIME`` (15 minutes); reaching one refuses
further attempts until that time has passed since the last counted failure:

- ``AXES_FAILURE_LIMIT`` (5) for one username from one address: the lockout a user who
  mistypes meets. It is keyed on the pair, so an attacker elsewhere cannot cause it.
- ``ADDRESS_LIMIT`` (30) from one address, whatever the usernames: spraying one password
  over many accounts gets 30 tries per 15 minutes, not one per account.
- ``USERNAME_LIMIT`` (50) for one username from every address together: a guess spread
  over many addresses gets 50 tries per 15 minutes. It does not hold at an address from
  which the user signed in during the last ``FAMILIAR_DAYS``: a botnet can make the account
  refuse strangers for a while, not keep its owner out at their usual place. Fifty is high
  enough that it takes ten attacker addresses to reach, and low enough that a distributed
  guess makes at most 4,800 tries a day.

The client address is read from ``TRUSTED_PROXY_COUNT``, never from a header a client may
set, and an IPv6 client counts as its /64 (one subscriber's network).
"""

import ipaddress
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ADDRESS_LIMIT = 30
USERNAME_LIMIT = 50
FAMILIAR_DAYS = 30

# Password reset requests per hour: per email address asked for (the mailbox a stranger
# could flood) and per client address (one client probing many addresses).
RESET_WINDOW = 3600
RESET_PER_EMAIL = 3
RESET_PER_CLIENT = 10

LOCKOUT_MESSAGE = _("Too many failed sign-in attempts. Wait a few minutes or reset your password.")


def client_address(request):
    """The address of the client, as the configured trusted proxies report it.

    Each of the ``TRUSTED_PROXY_COUNT`` proxies appends the address it was connected from
    to ``X-Forwarded-For``; the entry written by the outermost one is the client. Entries
    before it are the client's own words and are ignored. DRF's ``NUM_PROXIES`` follows
    the same rule.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        candidate = hops[-min(count, len(hops))]
    else:
        candidate = remote
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return remote


def throttle_address(request):
    """The address failures are counted under: the client's, an IPv6 client's /64."""
    address = client_address(request)
    if address and ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address


def attempted_username(request, credentials):
    """The username given, as it fits axes' columns (a longer one names no account)."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    if username is None:
        return None
    return str(username).replace("\x00", "")[:150]


def _attempts(username, address, since):
    """Failures since ``since``: for the pair, the address and the username."""
    pair = Q(username=username, ip_address=address)
    return AccessAttempt.objects.filter(
        Q(ip_address=address) | Q(username=username), attempt_time__gte=since
    ).aggregate(
        pair=Sum("failures_since_start", filter=pair, default=0),
        address=Sum("failures_since_start", filter=Q(ip_address=address), default=0),
        username=Sum("failures_since_start", filter=Q(username=username), default=0),
    )


def is_familiar(username, address):
    """True when ``username`` signed in from ``address`` in the last ``FAMILIAR_DAYS``."""
    if not username or not address:
        return False
    since = timezone.now() - timedelta(days=FAMILIAR_DAYS)
    return AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=since
    ).exists()


class ThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with one limit per dimension (see the module docstring).

    axes compares one number with ``AXES_FAILURE_LIMIT``; ``get_failures`` answers the
    pair's count, or the limit itself when the address or the username has reached its
    own limit. ``request.throttle_scope`` says which limit holds.
    """

    def get_failures(self, request, credentials=None):
        username = attempted_username(request, credentials)
        address = request.axes_ip_address
        counts = _attempts(username, address, get_cool_off_threshold(request))
        pair_limit = settings.AXES_FAILURE_LIMIT
        scope = "pair" if counts["pair"] >= pair_limit else None
        if scope is None and counts["address"] >= ADDRESS_LIMIT:
            scope = "address"
        if (
            scope is None
            and counts["username"] >= USERNAME_LIMIT
            and not is_familiar(username, address)
        ):
            scope = "username"
        request.throttle_scope = scope
        return max(counts["pair"], pair_limit) if scope else counts["pair"]

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            # Refused by the lockout: no password was checked; nothing new to record.
            request.throttle_refused = bool(getattr(request, "axes_locked_out", False))
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def reset_user_attempts(self, request, credentials=None):
        """A success clears the failures of that username at that address only.

        axes would also clear the address's and the username's counts: signing in to
        one's own account between sprays would then reset the spraying limit.
        """
        username = attempted_username(request, credentials)
        deleted, _rows = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return deleted


def record_lockout(sender, request, username, ip_address, **kwargs):
    """Audit a lockout when it begins (axes signals every refused attempt as well)."""
    from coordination.audit import record
    from coordination.audit.choices import AuditAction

    if request is None or getattr(request, "throttle_refused", False):
        return
    user_model = get_user_model()
    target = user_model.objects.filter(username=username).only("agency_id").first()
    record(
        AuditAction.LOCKED_OUT,
        request=getattr(request, "_request", request),
        actor=None,
        object_type="user",
        object_ref=username or "",
        agency=getattr(target, "agency_id", None),
        details={
            "username": username or "",
            "locked": getattr(request, "throttle_scope", None) or "pair",
            "counted_as": ip_address or "",
        },
    )


def lockout_response(request, original_response, credentials=None):
    """axes' answer to a request that met a lockout.

    Pages that explain the lockout themselves (the sign-in form, beside its fields) and
    refusals a tool understands (401/403 of HTTP Basic) are kept; any other page (the
    Django admin's login form) makes way for an explanation with status 429.
    """
    if original_response is not None and (
        original_response.status_code != 200 or getattr(request, "lockout_explained", False)
    ):
        return original_response
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        status=429,
    )


def lock_status(username):
    """What holds a user's sign-in: failures, addresses, and whether they are locked.

    ``locked_addresses`` counts the addresses where the pair limit holds; ``locked_elsewhere``
    says the username limit holds at addresses the user never signed in from.
    """
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    per_address = list(rows.values("ip_address").annotate(failures=Sum("failures_since_start")))
    failures = sum(row["failures"] for row in per_address)
    locked_addresses = sum(
        1 for row in per_address if row["failures"] >= settings.AXES_FAILURE_LIMIT
    )
    return {
        "failures": failures,
        "addresses": len(per_address),
        "locked_addresses": locked_addresses,
        "locked_elsewhere": failures >= USERNAME_LIMIT,
        "locked": bool(locked_addresses) or failures >= USERNAME_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }


def unlock(username):
    """Forget the failures of ``username`` everywhere: their sign-in works again at once."""
    return AxesProxyHandler.reset_attempts(username=username)


def is_locked(request, username):
    """True when an attempt for ``username`` from this request would be refused."""
    return AxesProxyHandler.is_locked(request, {"username": username})


def purge_history():
    """Forget sign-ins older than ``FAMILIAR_DAYS`` and failures older than the window.

    Neither counts any more; what is left of who signed in when is the audit trail's.
    """
    now = timezone.now()
    signed_in, _kinds = AccessLog.objects.filter(
        attempt_time__lt=now - timedelta(days=FAMILIAR_DAYS)
    ).delete()
    failed, _kinds = AccessAttempt.objects.filter(
        attempt_time__lt=now - settings.AXES_COOLOFF_TIME
    ).delete()
    return signed_in, failed


def count_hit(key, window):
    """Count one event under ``key`` in a window that starts with the first; the new count."""
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, window)
        return 1

"""Pages of the second factor: the sign-in step, the user's sign-in security, the agency rule.

The verification itself is django-otp's and django-otp-webauthn's (``accounts.mfa``).
Every page here answers ``Cache-Control: no-store``: some show secrets.
"""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import actions, mfa
from accounts.mfa_forms import AgencySecurityForm, CodeForm, PasswordConfirmForm, TOTPConfirmForm
from accounts.views import _managed_user, agency_admin_required


def _next_url(request):
    """The safe ``next`` of this request (query or form), or empty."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _with_next(url, next_url):
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


def _refuse_unverified(request):
    """A user with a factor changes their factors only from a session that passed it."""
    if mfa.gate(request) is mfa.Gate.VERIFY:
        raise PermissionDenied(_("Confirm your second factor first."))


# ------------------------------------------------------------------------ the sign-in step


@never_cache
@sensitive_post_parameters("code")
def verify(request):
    """The second sign-in step: a code, a recovery code, or a security key or passkey."""
    if not request.user.is_authenticated:
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{request.GET.urlencode()}")
    next_url = _next_url(request)
    state = mfa.gate(request)
    if state is mfa.Gate.ENROL:
        return redirect(_with_next(reverse("accounts:mfa_security"), next_url))
    if state is mfa.Gate.OPEN:
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = CodeForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    kinds = {factor.kind for factor in mfa.factors_of(request.user)}
    return render(
        request,
        "accounts/mfa_verify.html",
        {
            "form": form,
            "next": next_url,
            "has_key": mfa.Kind.WEBAUTHN in kinds,
            "has_codes": bool(kinds & {mfa.Kind.TOTP, mfa.Kind.RECOVERY}),
            "gate_page": True,
        },
    )


# ------------------------------------------------------------------------ own factors


@never_cache
@login_required
def security(request):
    """The user's factors, and the ways to add one. Also the enrolment page when required."""
    state = mfa.gate(request)
    if state is mfa.Gate.VERIFY:
        return redirect(_with_next(reverse("accounts:mfa_verify"), request.get_full_path()))
    request.session.pop(mfa.NEW_CODES_SESSION_KEY, None)
    factors = mfa.factors_of(request.user)
    has_primary = any(f.kind != mfa.Kind.RECOVERY for f in factors)
    next_url = _next_url(request)
    return render(
        request,
        "accounts/mfa_security.html",
        {
            "factors": factors,
            "has_primary": has_primary,
            "has_recovery": any(f.kind == mfa.Kind.RECOVERY for f in factors),
            "required": mfa.required_for(request.user),
            "must_enrol": state is mfa.Gate.ENROL,
            "gate_page": state is mfa.Gate.ENROL,
            "next": next_url,
            "done_url": _with_next(reverse("accounts:mfa_security"), next_url),
        },
    )


@never_cache
@login_required
@sensitive_post_parameters("code")
def totp_add(request):
    """Set up an authenticator app: QR code and key, then a code that proves the app has it."""
    _refuse_unverified(request)
    device = mfa.pending_totp(request.user)
    form = TOTPConfirmForm(request.POST or None, request=request, device=device)
    next_url = _next_url(request)
    if request.method == "POST" and form.is_valid():
        messages.success(
            request,
            _(
                "Your authenticator app is set up. From now on Concord asks for its code when you sign in."
            ),
        )
        return redirect(_with_next(reverse("accounts:mfa_security"), next_url))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/mfa_totp_add.html",
        {
            "form": form,
            "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "next": next_url,
            "gate_page": mfa.gate(request) is mfa.Gate.ENROL,
        },
    )


@never_cache
@login_required
@require_POST
def recovery_codes_new(request):
    """A new set of recovery codes; the old set stops working."""
    _refuse_unverified(request)
    if not any(f.kind != mfa.Kind.RECOVERY for f in mfa.factors_of(request.user)):
        messages.error(request, _("Add an authenticator app or a security key first."))
        return redirect("accounts:mfa_security")
    request.session[mfa.NEW_CODES_SESSION_KEY] = mfa.new_recovery_codes(request)
    return redirect(_with_next(reverse("accounts:mfa_recovery_codes"), _next_url(request)))


@never_cache
@login_required
def recovery_codes(request):
    """The codes just made, shown until the user leaves this page for the security page."""
    codes = request.session.get(mfa.NEW_CODES_SESSION_KEY)
    if not codes:
        return redirect("accounts:mfa_security")
    return render(
        request,
        "accounts/mfa_recovery_codes.html",
        {
            "codes": codes,
            "done_url": _with_next(reverse("accounts:mfa_security"), _next_url(request)),
        },
    )


@never_cache
@login_required
def recovery_codes_download(request):
    codes = request.session.get(mfa.NEW_CODES_SESSION_KEY)
    if not codes:
        raise Http404(_("These recovery codes were already put away. Make a new set if needed."))
    text = "\n".join(
        [
            _("Concord recovery codes for %(username)s (%(site)s)")
            % {"username": request.user.get_username(), "site": settings.SITE_URL},
            _("Each code works once, in place of your authenticator app or security key."),
            "",
            *codes,
            "",
        ]
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="concord-recovery-codes.txt"'
    return response


@never_cache
@login_required
@sensitive_post_parameters("password")
def remove(request, key):
    """Remove a factor, after a confirmation page and the user's password."""
    _refuse_unverified(request)
    factor = mfa.factor_of(request.user, key)
    if factor is None:
        raise Http404(_("No such factor."))
    blocked = mfa.required_for(request.user) and mfa.is_last_primary(request.user, factor)
    form = PasswordConfirmForm(request.POST or None, request=request)
    if request.method == "POST" and not blocked and form.is_valid():
        removed = mfa.remove_factor(request, factor)
        if str(mfa.Kind.RECOVERY) in removed and factor.kind != mfa.Kind.RECOVERY:
            messages.success(
                request,
                _("%(name)s was removed, and your recovery codes with it.") % {"name": factor.name},
            )
        else:
            messages.success(request, _("%(name)s was removed.") % {"name": factor.name})
        return redirect("accounts:mfa_security")
    return render(
        request,
        "accounts/mfa_remove.html",
        {"factor": factor, "form": form, "blocked": blocked},
    )


# ------------------------------------------------------------------------ agency admins


@never_cache
@agency_admin_required
def agency_security(request):
    """The agency's rule: whether its users must sign in with a second factor."""
    from coordination.audit import record
    from coordination.audit.choices import AuditAction

    agency = request.user.agency
    form = AgencySecurityForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            with transaction.atomic():
                form.save()
                record(
                    AuditAction.AGENCY_CHANGED,
                    request=request,
                    target=agency,
                    agency=agency.pk,
                    details={"require_mfa": agency.require_mfa},
                )
        messages.success(request, _("The sign-in rule of your agency was saved."))
        return redirect("accounts:agency_security")
    counts = (
        actions.managed_users(request.user)
        .filter(is_active=True)
        .annotate(has_factor=mfa.factor_exists())
        .aggregate(active=Count("pk"), enrolled=Count("pk", filter=Q(has_factor=True)))
    )
    return render(
        request,
        "accounts/agency_security.html",
        {
            "form": form,
            "agency": agency,
            "platform_required": settings.MFA_REQUIRED,
            "counts": counts,
        },
    )


@never_cache
@agency_admin_required
def agency_user_mfa_reset(request, pk):
    """GET asks for confirmation; POST removes every factor of the user and emails them."""
    user = _managed_user(request, pk)
    if user.pk == request.user.pk:
        raise PermissionDenied(_("Manage your own factors on your sign-in security page."))
    if request.method == "POST":
        removed = actions.reset_second_factors(request.user, user, request=request)
        if removed:
            messages.success(
                request,
                _("The second factors of %(name)s were removed. An email tells them so.")
                % {"name": user.display_name},
            )
        else:
            messages.info(
                request, _("%(name)s had no second factor.") % {"name": user.display_name}
            )
        return redirect("accounts:agency_user_edit", pk=user.pk)
    return render(
        request,
        "accounts/agency_user_mfa_reset.html",
        {"managed": user, "factors": mfa.factors_of(user)},
    )

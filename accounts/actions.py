"""Business operations on accounts: one function per verb, the only writers.

The agency user pages call these; each checks that the actor is an active agency
admin acting on a user of their own agency, so the rule lives here once even if
an API or a management command calls it later. API tokens are created and revoked
here too, and each change to an account, an agency or a token is recorded in the
audit trail (``coordination.audit``).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts import throttle, tokens
from accounts.choices import Role, TokenRevocation
from accounts.models import Agency, ApiToken, User
from coordination.audit import record
from coordination.audit.choices import AuditAction

# Fields an agency admin may set; agency, staff and superuser flags are never among them.
MANAGED_FIELDS = ("username", "first_name", "last_name", "email", "role", "language", "timezone")


def is_agency_admin(user):
    return bool(
        user
        and user.is_authenticated
        and user.has_role(Role.AGENCY_ADMIN)
        and user.agency_id is not None
    )


def managed_users(admin):
    """The users ``admin`` may manage: their own agency's, never staff or superusers.

    Staff and superusers are excluded even when they belong to the agency: an
    agency admin able to change their email could take their account over.
    """
    if not is_agency_admin(admin):
        return User.objects.none()
    return User.objects.filter(agency_id=admin.agency_id, is_superuser=False, is_staff=False)


def _require_manager(admin, user=None):
    if not is_agency_admin(admin):
        raise PermissionDenied(_("Only agency admins manage users."))
    if user is not None and (
        user.agency_id != admin.agency_id or user.is_superuser or user.is_staff
    ):
        raise PermissionDenied(_("You may only manage users of your own agency."))


@transaction.atomic
def create_user(admin, *, request=None, **fields):
    """Create a user in ``admin``'s agency with no password: they set one from an email."""
    _require_manager(admin)
    unknown = set(fields) - set(MANAGED_FIELDS)
    if unknown:
        raise TypeError(f"Not settable: {', '.join(sorted(unknown))}")
    user = User(agency_id=admin.agency_id, is_staff=False, is_superuser=False, **fields)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    record(
        AuditAction.USER_CREATED,
        request=request,
        actor=admin,
        target=user,
        agency=user.agency_id,
        details={"role": user.role},
    )
    return user


@transaction.atomic
def update_user(admin, user, *, request=None, **changes):
    _require_manager(admin, user)
    unknown = set(changes) - set(MANAGED_FIELDS)
    if unknown:
        raise TypeError(f"Not settable: {', '.join(sorted(unknown))}")
    if user.pk == admin.pk and changes.get("role", user.role) != user.role:
        raise PermissionDenied(_("You cannot change your own role."))
    old_role = user.role
    changed = sorted(name for name, value in changes.items() if getattr(user, name) != value)
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean()
    user.save()
    if changed:
        record_user_changed(user, changed, old_role, request=request, actor=admin)
    return user


def record_user_changed(user, fields, old_role, *, request=None, actor=None):
    """USER_CHANGED with the names of the changed fields (not their values) and the roles."""
    details = {"fields": sorted(fields)}
    if "role" in fields:
        details["role"] = {"old": old_role, "new": user.role}
    record(
        AuditAction.USER_CHANGED,
        request=request,
        actor=actor,
        target=user,
        agency=user.agency_id,
        details=details,
    )


@transaction.atomic
def set_active(admin, user, active, *, request=None):
    """Deactivate or reactivate a user. Deactivation ends their sessions and API tokens."""
    _require_manager(admin, user)
    if user.pk == admin.pk and not active:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    # Inactive users fail session and token authentication on their next request.
    changed = User.objects.filter(pk=user.pk).exclude(is_active=active).update(is_active=active)
    user.is_active = active
    if changed:
        record_activation(user, request=request, actor=admin)
    return user


@transaction.atomic
def unlock_sign_in(admin, user, *, request=None):
    """Forget the failed sign-ins of ``user``: they can sign in again at once."""
    _require_manager(admin, user)
    throttle.unlock(user.get_username())
    record(
        AuditAction.USER_CHANGED,
        request=request,
        actor=admin,
        target=user,
        details={"sign_in": "unlocked"},
    )


def record_activation(user, *, request=None, actor=None):
    """USER_DEACTIVATED or USER_REACTIVATED; deactivation revokes the user's tokens.

    Tokens revoked stay revoked: reactivating an account gives it no token back.
    """
    record(
        AuditAction.USER_REACTIVATED if user.is_active else AuditAction.USER_DEACTIVATED,
        request=request,
        actor=actor,
        target=user,
        agency=user.agency_id,
    )
    if not user.is_active:
        revoke_api_tokens(
            ApiToken.objects.filter(user=user),
            reason=TokenRevocation.USER_DEACTIVATED,
            request=request,
            actor=actor,
        )


@transaction.atomic
def set_agency_active(agency, active, *, by, request=None):
    """Deactivate or reactivate an agency (platform admins only).

    The users of an inactive agency fail every authentication at their next request
    (``accounts.backends``, ``accounts.tokens``); their API tokens are revoked and stay
    revoked after a reactivation, which restores their sign-in alone.
    """
    if not (by and by.is_active and by.is_superuser):
        raise PermissionDenied(_("Only platform admins activate or deactivate agencies."))
    if not active and by.agency_id == agency.pk:
        raise PermissionDenied(_("You cannot deactivate your own agency."))
    changed = Agency.objects.filter(pk=agency.pk).exclude(is_active=active).update(is_active=active)
    agency.is_active = active
    if not changed:
        return agency
    record(
        AuditAction.AGENCY_ACTIVATED if active else AuditAction.AGENCY_DEACTIVATED,
        request=request,
        actor=by,
        object_type="agency",
        object_ref=agency.short_name,
        agency=agency.pk,
    )
    if not active:
        revoke_agency_tokens(agency, request=request, actor=by)
    return agency


# API tokens


@transaction.atomic
def create_api_token(user, *, name, scope, days, request=None):
    """A new token for ``user``; returns ``(token, key)``. The key is not kept anywhere."""
    if not user.is_active:
        raise PermissionDenied(_("An inactive account cannot have API tokens."))
    if not 1 <= days <= tokens.max_days():
        raise ValidationError(
            {"days": _("Between 1 and %(days)s days.") % {"days": tokens.max_days()}}
        )
    key = tokens.new_key()
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        prefix=tokens.key_prefix(key),
        key_hash=tokens.key_hash(key),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    record(
        AuditAction.TOKEN_CREATED,
        request=request,
        actor=user,
        target=token,
        agency=user.agency_id,
        details={
            "token": token.prefix,
            "name": token.name,
            "scope": token.scope,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, key


def own_tokens(user):
    return ApiToken.objects.filter(user=user)


@transaction.atomic
def revoke_api_token(token, *, by, request=None):
    """Revoke one token: its owner, an admin of the owner's agency, or a platform admin."""
    if token.user_id == by.pk:
        reason = TokenRevocation.OWNER
    elif by.is_active and by.is_superuser:
        reason = TokenRevocation.PLATFORM_ADMIN
    else:
        _require_manager(by, token.user)
        reason = TokenRevocation.AGENCY_ADMIN
    revoked = revoke_api_tokens(
        ApiToken.objects.filter(pk=token.pk), reason=reason, request=request, actor=by
    )
    token.refresh_from_db(fields=["revoked_at", "revoked_reason"])
    return bool(revoked)


def revoke_api_tokens(queryset, *, reason, request=None, actor=None):
    """Revoke the live tokens of ``queryset``, one TOKEN_REVOKED record each. Returns them."""
    now = timezone.now()
    with transaction.atomic():
        live = list(
            queryset.filter(Q(revoked_at__isnull=True) & Q(expires_at__gt=now))
            .select_for_update()
            .values_list("pk", "prefix", "user__username", "user__agency_id")
        )
        if not live:
            return []
        ApiToken.objects.filter(pk__in=[row[0] for row in live], revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason
        )
        for pk, prefix, username, agency_id in live:
            record(
                AuditAction.TOKEN_REVOKED,
                request=request,
                actor=actor,
                object_type="apitoken",
                object_ref=str(pk),
                agency=agency_id,
                details={"token": prefix, "user": username, "reason": str(reason)},
            )
    return live


def revoke_user_tokens(user, *, request=None):
    """Revoke what is left of an inactive user's tokens (``User.save``)."""
    actor = request.user if request is not None and request.user.is_authenticated else None
    return revoke_api_tokens(
        ApiToken.objects.filter(user=user),
        reason=TokenRevocation.USER_DEACTIVATED,
        request=request,
        actor=actor,
    )


def revoke_agency_tokens(agency, *, request=None, actor=None):
    return revoke_api_tokens(
        ApiToken.objects.filter(user__agency=agency),
        reason=TokenRevocation.AGENCY_DEACTIVATED,
        request=request,
        actor=actor,
    )


def password_changed(user, *, request=None):
    """After ``user``'s password was set or removed, by any path: revoke their tokens.

    ``request`` is the request that changed it, where a view says so (``User.audit_request``).
    """
    actor = None
    if request is not None:
        actor = request.user if request.user.is_authenticated else user
    record(
        AuditAction.PASSWORD_CHANGED,
        request=request,
        actor=actor,
        target=user,
        agency=user.agency_id,
        details={"by_self": actor is not None and actor.pk == user.pk},
    )
    revoke_api_tokens(
        ApiToken.objects.filter(user=user),
        reason=TokenRevocation.PASSWORD_CHANGED,
        request=request,
        actor=actor,
    )


def password_link(user, base_url=None):
    """An absolute set-password link from Django's password reset token machinery."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{(base_url or settings.SITE_URL).rstrip('/')}{path}"


def send_password_email(admin, user, *, invitation, base_url=None):
    """Email ``user`` a link to set their password, in their language and time zone.

    ``invitation`` picks the welcome text for a new account; otherwise the text
    says their agency admin asked for a reset.
    """
    _require_manager(admin, user)
    if not user.email:
        raise PermissionDenied(_("This user has no email address."))
    name = "account_invitation" if invitation else "password_reset_by_admin"
    context = {
        "user": user,
        "admin": admin,
        "agency": admin.agency,
        "link": password_link(user, base_url),
        "site_url": base_url or settings.SITE_URL,
        "expires_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with (
        translation.override(user.language or settings.LANGUAGE_CODE),
        timezone.override(user.timezone or "UTC"),
    ):
        subject = "".join(render_to_string(f"emails/{name}-subject.txt", context).splitlines())
        body = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(subject.strip(), body, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()

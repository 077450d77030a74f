"""Business operations on accounts: one function per verb, the only writers.

The agency user pages call these; each checks that the actor is an active agency
admin acting on a user of their own agency, so the rule lives here once even if
an API or a management command calls it later.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts import throttle
from accounts.choices import Role
from accounts.models import User
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
def create_user(admin, **fields):
    """Create a user in ``admin``'s agency with no password: they set one from an email."""
    _require_manager(admin)
    unknown = set(fields) - set(MANAGED_FIELDS)
    if unknown:
        raise TypeError(f"Not settable: {', '.join(sorted(unknown))}")
    user = User(agency_id=admin.agency_id, is_staff=False, is_superuser=False, **fields)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def update_user(admin, user, **changes):
    _require_manager(admin, user)
    unknown = set(changes) - set(MANAGED_FIELDS)
    if unknown:
        raise TypeError(f"Not settable: {', '.join(sorted(unknown))}")
    if user.pk == admin.pk and changes.get("role", user.role) != user.role:
        raise PermissionDenied(_("You cannot change your own role."))
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def set_active(admin, user, active):
    """Deactivate or reactivate a user. Deactivation ends their sessions and API tokens."""
    _require_manager(admin, user)
    if user.pk == admin.pk and not active:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    # Inactive users fail session and token authentication on their next request.
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
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

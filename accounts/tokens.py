"""API token keys: making them, hashing them, and the one check every caller goes through.

A key is ``concord_`` followed by 40 random URL-safe characters (240 bits). Only its
SHA-256 is stored, so a copy of the database opens nothing. Keys are random, not
chosen by people: a plain SHA-256 is enough, and the lookup by hash is one indexed
query whose timing says nothing about the key.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_START = "concord_"
# The part of a key kept in clear to tell tokens apart: 6 of its random characters.
PREFIX_LENGTH = len(KEY_START) + 6
# ``last_used_at`` is written at most this often per token, so that reads stay reads
# (no write and commit on every call) and TOKEN_USED is recorded once per interval, not
# once per call.
LAST_USED_PRECISION = timedelta(minutes=5)


class TokenRefused(Exception):
    """The key is unknown, or its token no longer works; ``message`` says which."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def new_key():
    return KEY_START + secrets.token_urlsafe(30)


def key_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key):
    """What is kept of a key in clear. Keys of the former format (40 hex) keep 6."""
    return key[:PREFIX_LENGTH] if key.startswith(KEY_START) else key[:6]


def max_days():
    return settings.API_TOKEN_MAX_DAYS


def default_days():
    return min(30, max_days())


def authenticate(key, request=None):
    """The token of ``key`` with its user (and agency) loaded, or ``TokenRefused``.

    One query on the hot path; a second, at most every ``LAST_USED_PRECISION``, notes
    the use.
    """
    from accounts.models import ApiToken

    if not key or len(key) > 200:
        raise TokenRefused(_("Invalid token."))
    digest = key_hash(key)
    tokens = ApiToken.objects.select_related("user__agency")
    if connection.vendor == "postgresql":
        from incidents.querysets import view_permission_id_read

        tokens = tokens.annotate(
            group_ids_read=_group_ids(), view_permission_id_read=view_permission_id_read()
        )
    token = tokens.filter(key_hash=digest).first()
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        raise TokenRefused(_("Invalid token."))
    user = token.user
    if token.revoked_at is not None:
        raise TokenRefused(_("Token revoked."))
    if token.is_expired:
        raise TokenRefused(_("Token expired."))
    if not user.is_active:
        raise TokenRefused(_("User inactive or deleted."))
    if user.agency_id is not None and not user.agency.is_active:
        raise TokenRefused(_("The user's agency is deactivated."))
    if hasattr(token, "group_ids_read"):
        from incidents.querysets import check_permission_ids

        user.remember_visibility_group_ids(token.group_ids_read or [])
        check_permission_ids(token.view_permission_id_read)
    note_use(token, request)
    return token


def note_use(token, request=None):
    """Set ``last_used_at`` unless set less than ``LAST_USED_PRECISION`` ago; audit that use.

    The condition is in the UPDATE itself, so concurrent calls write (and record) once.
    """
    from accounts.models import ApiToken
    from coordination.audit import record
    from coordination.audit.choices import AuditAction

    now = timezone.now()
    if token.last_used_at is not None and token.last_used_at > now - LAST_USED_PRECISION:
        return
    with transaction.atomic():
        updated = (
            ApiToken.objects.filter(pk=token.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION))
            .update(last_used_at=now)
        )
        if updated:
            record(
                AuditAction.TOKEN_USED,
                request=request,
                actor=token.user,
                target=token,
                agency=token.user.agency_id,
                details={"token": token.prefix, "scope": token.scope},
            )
    token.last_used_at = now


def _group_ids():
    from django.contrib.postgres.expressions import ArraySubquery

    from accounts.models import User

    memberships = User.groups.through.objects.filter(user_id=OuterRef("user_id"))
    return ArraySubquery(memberships.order_by("group_id").values("group_id"))

"""Sending one email row: claim it, send it, record the outcome. Safe to run twice."""

import contextlib
import random
import smtplib
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from coordination.notifications.choices import Channel, Status
from coordination.notifications.models import Notification

TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


def max_attempts():
    return settings.NOTIFICATION_MAX_ATTEMPTS


def claim_lease():
    """A row claimed longer ago than this belongs to a worker that died mid-send."""
    return timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)


def retry_delay(attempts):
    """Exponential backoff with jitter, capped: 30 s, 1 min, 2 min ... 1 h by default."""
    first = settings.NOTIFICATION_RETRY_FIRST_SECONDS
    ceiling = min(settings.NOTIFICATION_RETRY_MAX_SECONDS, first * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _mail_domain():
    return urlsplit(settings.SITE_URL).hostname or "concord.invalid"


def thread_id(thread):
    """The Message-ID every mail of one thread refers to (``In-Reply-To``/``References``)."""
    return f"<{thread}@{_mail_domain()}>"


def build_message(notification):
    headers = {
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        # One fixed id per row: should a send be repeated after a crash between the
        # server's acceptance and our bookkeeping, mail clients see the same message.
        "Message-ID": f"<notification.{notification.pk}@{_mail_domain()}>",
    }
    if notification.thread:
        headers["In-Reply-To"] = thread_id(notification.thread)
        headers["References"] = thread_id(notification.thread)
    message = EmailMultiAlternatives(
        notification.subject,
        notification.body_text,
        to=[notification.email],
        headers=headers,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


# One SMTP connection per worker process, reused from one email to the next (opening a
# connection per message costs more than sending it). Keyed by the mail settings so a
# change of server is picked up.
_smtp = {"key": None, "connection": None}


def _settings_key():
    return (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)


def _open_connection():
    if _smtp["key"] != _settings_key() or _smtp["connection"] is None:
        close_connection()
        connection = get_connection()
        connection.open()
        _smtp.update(key=_settings_key(), connection=connection)
    return _smtp["connection"]


def close_connection():
    connection, _smtp["connection"] = _smtp["connection"], None
    if connection is not None:
        # Closing a broken connection: nothing left to save.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()


def send(message):
    """Send over the kept connection; a connection the server dropped is reopened once."""
    reused = _smtp["connection"] is not None and _smtp["key"] == _settings_key()
    connection = _open_connection()
    try:
        connection.send_messages([message])
    except smtplib.SMTPServerDisconnected:
        close_connection()
        if not reused:
            raise
        _open_connection().send_messages([message])
    except TRANSIENT_ERRORS:
        close_connection()
        raise


def claim(pk):
    """Pending → sending by compare-and-swap; only one worker ever wins a row."""
    now = timezone.now()
    won = Notification.objects.filter(
        pk=pk, channel=Channel.EMAIL, status=Status.PENDING, next_attempt_at__lte=now
    ).update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return Notification.objects.get(pk=pk) if won else None


def deliver(pk):
    """Send email row ``pk`` if it is due and nobody else is sending it.

    Returns the new status (None when the row was not ours to send).
    """
    notification = claim(pk)
    if notification is None:
        return None
    try:
        send(build_message(notification))
    except TRANSIENT_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if notification.attempts >= max_attempts():
            Notification.objects.filter(pk=pk, status=Status.SENDING).update(
                status=Status.FAILED, last_error=error, claimed_at=None
            )
            return Status.FAILED
        Notification.objects.filter(pk=pk, status=Status.SENDING).update(
            status=Status.PENDING,
            last_error=error,
            claimed_at=None,
            next_attempt_at=timezone.now() + retry_delay(notification.attempts),
        )
        return Status.PENDING
    Notification.objects.filter(pk=pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return Status.SENT


def seconds_until_next_attempt(pk):
    """How long a row waiting for its retry still waits (None if it no longer waits)."""
    next_at = (
        Notification.objects.filter(pk=pk, status=Status.PENDING)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if next_at is None:
        return None
    return max(0.0, (next_at - timezone.now()).total_seconds())


def due_ids(limit=500):
    """Pending email rows whose time has come (index ``notification_due_idx``)."""
    return list(
        Notification.objects.filter(
            channel=Channel.EMAIL, status=Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def release_stale_claims():
    """Rows left 'sending' by a worker that died go back to pending."""
    return Notification.objects.filter(
        channel=Channel.EMAIL,
        status=Status.SENDING,
        claimed_at__lt=timezone.now() - claim_lease(),
    ).update(status=Status.PENDING, claimed_at=None, next_attempt_at=timezone.now())


def retry_failed(notification):
    """An agency admin's retry: the row starts again with a fresh set of attempts."""
    return Notification.objects.filter(pk=notification.pk, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )

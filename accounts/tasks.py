"""Celery tasks of the accounts app: ids and plain values in, safe to run twice."""

import logging
import smtplib

from celery import shared_task

log = logging.getLogger(__name__)


def queue_password_reset(email, address):
    """Hand the reset to the worker; with the broker down the page answers the same.

    No outbox row keeps it for later: that row would hold the live link. The user asks
    again.
    """
    try:
        send_password_reset.delay(email, address)
    except Exception:  # any broker failure: logged, the request goes on
        log.exception("A password reset could not be queued")


@shared_task(
    name="accounts.send_password_reset",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_password_reset(email, address=""):
    """Send the password reset link to the accounts of ``email``, if there are any.

    The link is made here, when the email leaves: the broker message holds the address
    typed, the database holds nothing that opens the account. A redelivered task sends
    a second link, which is as harmless as the user asking twice.
    """
    from accounts.forms import LocalisedPasswordResetForm
    from coordination.audit import record
    from coordination.audit.choices import AuditAction

    form = LocalisedPasswordResetForm({"email": email})
    if not form.is_valid():
        return
    for user in form.deliver():
        record(
            AuditAction.PASSWORD_RESET_REQUESTED,
            actor=None,
            target=user,
            details={"requested_from": address},
        )


@shared_task(name="accounts.purge_sign_in_history", ignore_result=True)
def purge_sign_in_history():
    from accounts import throttle

    throttle.purge_history()

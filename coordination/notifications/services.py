"""``notify()``: write an event's notifications inside the caller's transaction.

The caller (an action of another app) hands over what happened as a plain context; this
module knows no incident or request. Rows are rendered now, in each recipient's language
and time zone, and email rows are queued for Celery once the transaction commits.
"""

from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from coordination.notifications.choices import Channel, Delivery, Event, Status
from coordination.notifications.models import Notification, Preference


@dataclass(frozen=True)
class Mailbox:
    """An agency's functional mailbox as a recipient."""

    email: str
    agency_id: int | None = None
    language: str = "en"
    timezone: str = "UTC"


@dataclass
class Message:
    """One event occurrence, as the calling app describes it.

    ``key`` identifies the occurrence (e.g. ``incident-shared:42``): delivering the same
    key twice writes nothing new. ``confidential`` (TLP:AMBER+STRICT or RED material) keeps
    the details out of every email; the email then says what happened and links to it.
    """

    event: Event
    key: str
    context: dict
    link: str
    thread: str = ""
    confidential: bool = False
    extra: dict = field(default_factory=dict)
    # Exercise content: "[EXERCISE]" opens the subject and the body of every email.
    exercise: bool = False


# Events worded by one set of templates (the headline in the context tells them apart).
TEMPLATES_OF = {
    Event.REQUEST_SUBMITTED: "request_change",
    Event.REQUEST_SENT: "request_change",
    Event.REQUEST_UPDATED: "request_change",
}


EXERCISE_MARK = "[EXERCISE]"
EXERCISE_NOTICE = gettext_noop("This message belongs to a joint cyber exercise, not a real case.")


def render(event, context, *, language, tz, confidential, exercise=False):
    """Subject, text and HTML of ``event`` in ``language`` and time zone ``tz``.

    ``exercise``: the subject and both bodies open with ``EXERCISE_MARK`` (the HTML
    layout draws it as a band), so no reader takes an exercise for a real case.
    """
    ctx = {
        **context,
        "confidential": confidential,
        "site_url": settings.SITE_URL,
        "exercise": exercise,
    }
    stem = TEMPLATES_OF.get(event, event)
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(tz or "UTC"):
        ctx["LANGUAGE_CODE"] = translation.get_language()
        subject = render_to_string(f"emails/{stem}-subject.txt", ctx)
        text = render_to_string(f"emails/{stem}-body.txt", ctx)
        html = render_to_string(f"emails/{stem}-body.html", ctx)
        subject, text = " ".join(subject.split()), text.strip() + "\n"
        if exercise:
            subject = f"{EXERCISE_MARK} {subject}"
            text = f"{EXERCISE_MARK} {translation.gettext(EXERCISE_NOTICE)}\n\n{text}"
    return subject, text, html


def _preferences(users, event):
    chosen = dict(
        Preference.objects.filter(user__in=users, event=event).values_list("user_id", "delivery")
    )
    return {user.pk: chosen.get(user.pk, Delivery.IMMEDIATE) for user in users}


def notify(message, *, users=(), mailboxes=()):
    """Write the in-app and email rows of ``message`` for ``users`` and ``mailboxes``.

    Users get an in-app notification, and an email now or in their daily digest as their
    preference for this event says. Mailboxes get an email. Returns the rows written.
    """
    message.context.setdefault("link", message.link)
    users = [u for u in {u.pk: u for u in users}.values() if u.is_active]
    preferences = _preferences(users, message.event)
    now = timezone.now()
    rows = []
    for user in users:
        subject, text, html = render(
            message.event,
            {**message.context, "recipient": user},
            language=user.language,
            tz=user.timezone,
            confidential=False,  # in the app, behind login and the incident's own rules
            exercise=message.exercise,
        )
        common = {
            "event": message.event,
            "recipient": user,
            "agency_id": user.agency_id,
            "link": message.link,
            "thread": message.thread,
        }
        rows.append(
            Notification(
                **common,
                channel=Channel.APP,
                subject=subject,
                body_text=text,
                status=Status.SENT,
                sent_at=now,
                dedupe_key=f"{message.key}:app:u{user.pk}",
                # A digest reader gets this row in tomorrow's digest email.
                digested_at=None if preferences[user.pk] == Delivery.DIGEST else now,
            )
        )
        if preferences[user.pk] == Delivery.IMMEDIATE and user.email:
            subject, text, html = render(
                message.event,
                {**message.context, "recipient": user},
                language=user.language,
                tz=user.timezone,
                confidential=message.confidential,
                exercise=message.exercise,
            )
            rows.append(
                Notification(
                    **common,
                    channel=Channel.EMAIL,
                    email=user.email,
                    subject=subject,
                    body_text=text,
                    body_html=html,
                    status=Status.PENDING,
                    next_attempt_at=now,
                    dedupe_key=f"{message.key}:email:u{user.pk}",
                )
            )
    for mailbox in {m.email.lower(): m for m in mailboxes if m.email}.values():
        subject, text, html = render(
            message.event,
            {**message.context, "recipient": None, "mailbox": mailbox},
            language=mailbox.language,
            tz=mailbox.timezone,
            confidential=message.confidential,
            exercise=message.exercise,
        )
        rows.append(
            Notification(
                event=message.event,
                channel=Channel.EMAIL,
                agency_id=mailbox.agency_id,
                email=mailbox.email,
                subject=subject,
                body_text=text,
                body_html=html,
                link=message.link,
                thread=message.thread,
                status=Status.PENDING,
                next_attempt_at=now,
                dedupe_key=f"{message.key}:email:{mailbox.email.lower()}",
            )
        )
    return _store(rows)


def _store(rows):
    """Insert rows, skipping those whose dedupe key exists, and queue the new emails."""
    keys = [row.dedupe_key for row in rows]
    existing = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    fresh = [row for row in rows if row.dedupe_key not in existing]
    # ignore_conflicts: a concurrent writer of the same key wins; ours is a duplicate.
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    stored = Notification.objects.filter(dedupe_key__in=[r.dedupe_key for r in fresh])
    email_ids = list(
        stored.filter(channel=Channel.EMAIL, status=Status.PENDING).values_list("pk", flat=True)
    )
    if email_ids:
        transaction.on_commit(partial(queue_delivery, email_ids))
    return list(stored)


# Monotonic time until which publishing is skipped after the broker refused a message.
_broker_down_until = 0.0


def queue_delivery(ids):
    """Hand email rows to the worker. If the broker is down they stay pending for the sweep.

    After one refused publish, later requests skip the broker for a while rather than
    each waiting for its connection timeout: the outbox sweep sends what was written.
    """
    import logging
    import time

    from django.conf import settings

    from coordination.notifications.tasks import deliver_notification

    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    for pk in ids:
        try:
            deliver_notification.delay(pk)
        except Exception:  # broker unreachable: the sweep re-queues pending rows
            _broker_down_until = time.monotonic() + settings.NOTIFICATION_BROKER_BACKOFF_SECONDS
            logging.getLogger(__name__).warning(
                "Could not queue notification %s; the sweep will send it.", pk, exc_info=True
            )
            return

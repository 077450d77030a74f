"""The daily digest: at 07:00 in each user's own time zone, one email of what they missed."""

import zoneinfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from coordination.notifications import subjects
from coordination.notifications.choices import Channel, Event, Status
from coordination.notifications.models import Notification
from coordination.notifications.services import _store, render

DIGEST_HOUR = 7


def _local_now(user, now):
    try:
        return now.astimezone(zoneinfo.ZoneInfo(user.timezone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return now.astimezone(zoneinfo.ZoneInfo("UTC"))


def send_due_digests(now=None):
    """Write a digest email for every user whose 07:00 has come and who has rows waiting."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(channel=Channel.APP, digested_at__isnull=True)
    users = (
        get_user_model()
        .objects.filter(pk__in=waiting.values("recipient_id"), is_active=True)
        .exclude(email="")
    )
    written = 0
    for user in users:
        local = _local_now(user, now)
        key = f"digest:u{user.pk}:{local.date().isoformat()}"
        # Before 07:00, or today's digest already went: what came since waits for tomorrow.
        if local.hour < DIGEST_HOUR or Notification.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():
            waiting_rows = list(waiting.filter(recipient=user).order_by("created_at", "pk"))
            # Only what the reader may still see goes into the email; the rest is done with.
            items = [i for i in subjects.mark_visible(user, waiting_rows) if i.is_visible]
            Notification.objects.filter(pk__in=[i.pk for i in waiting_rows]).update(digested_at=now)
            if not items:
                continue
            subject, text, html = render(
                Event.DIGEST,
                {"recipient": user, "items": items, "date": local.date()},
                language=user.language,
                tz=user.timezone,
                confidential=False,
            )
            _store(
                [
                    Notification(
                        channel=Channel.EMAIL,
                        event=Event.DIGEST,
                        recipient=user,
                        agency_id=user.agency_id,
                        email=user.email,
                        subject=subject,
                        body_text=text,
                        body_html=html,
                        link="/notifications/",
                        status=Status.PENDING,
                        next_attempt_at=now,
                        dedupe_key=key,
                    )
                ]
            )
            written += 1
    return written

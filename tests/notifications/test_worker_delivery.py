"""End to end: the outbox, a real Celery worker and a real SMTP server."""

import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from coordination.notifications import tasks
from coordination.notifications.choices import Channel, Status
from coordination.notifications.models import Notification
from incidents import actions
from incidents.choices import ParticipationRole
from tests.factories import make_incident
from tests.notifications.conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_share_is_emailed_once_through_a_real_worker_and_smtp_server(
    workers, smtp_sink, lead_user, invited_agency, invited_user
):
    # Given a worker on its own queue, and the web side queuing onto it
    workers.start()
    invited_agency.mailbox = "permanence@ofac.example.fr"
    invited_agency.save()
    incident = make_incident(lead_user, title="Botnet takedown")

    # When the incident is shared with the French agency (rows written, queued on commit)
    actions.share_incident(incident, invited_agency, ParticipationRole.CONTRIBUTOR, lead_user)
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert emails.count() == 2

    # Then the worker delivers both to the SMTP server
    assert wait_until(lambda: emails.filter(status=Status.SENT).count() == 2)
    # ... and a redelivered task sends nothing more
    for pk in emails.values_list("pk", flat=True):
        tasks.deliver_notification.delay(pk)
    time.sleep(3)
    assert len(smtp_sink.messages) == 2
    by_address = {rcpt[0]: message for rcpt, message in smtp_sink.messages}
    assert set(by_address) == {invited_user.email, "permanence@ofac.example.fr"}
    for message in by_address.values():
        assert message["Subject"].startswith(f"[{incident.reference}]")
        assert message["Auto-Submitted"] == "auto-generated"
        host = urlsplit(settings.SITE_URL).hostname
        assert message["In-Reply-To"] == f"<incident.{incident.reference}@{host}>"
        assert message.is_multipart()
        text = message.get_payload(0).get_payload(decode=True).decode()
        assert f"{settings.SITE_URL}{incident.get_absolute_url()}" in text

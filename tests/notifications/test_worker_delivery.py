"""End to end: a share goes through the outbox, a real Celery worker and a real SMTP server."""

import os
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from coordination.notifications import tasks
from coordination.notifications.choices import Channel, Status
from coordination.notifications.models import Notification
from incidents import actions
from incidents.choices import ParticipationRole
from tests.factories import make_incident

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Sink:
    """An SMTP server that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    sink = Sink()
    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check it is up
        probe.bind(("127.0.0.1", 0))
        sink.port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def _database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(require_postgres, smtp_sink):
    queue = f"concord-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "coordination", "worker", "-Q", queue]
        + ["--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=info"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.terminate()
    try:
        process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def _wait_until(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_share_is_emailed_once_through_a_real_worker_and_smtp_server(
    worker, smtp_sink, monkeypatch, lead_user, invited_agency, invited_user
):
    # Given a worker on its own queue, and the web side queuing onto it
    monkeypatch.setattr(
        tasks.deliver_notification,
        "delay",
        lambda pk: tasks.deliver_notification.apply_async((pk,), queue=worker),
    )
    invited_agency.mailbox = "permanence@ofac.example.fr"
    invited_agency.save()
    incident = make_incident(lead_user, title="Botnet takedown")

    # When the incident is shared with the French agency (rows written, queued on commit)
    actions.share_incident(incident, invited_agency, ParticipationRole.CONTRIBUTOR, lead_user)
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert emails.count() == 2

    # Then the worker delivers both to the SMTP server
    assert _wait_until(lambda: emails.filter(status=Status.SENT).count() == 2)
    # ... and a redelivered task sends nothing more
    for pk in emails.values_list("pk", flat=True):
        tasks.deliver_notification.apply_async((pk,), queue=worker)
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

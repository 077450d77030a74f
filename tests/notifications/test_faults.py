"""Faults on the way out: broker down, SMTP refusing, a worker killed mid-send.

Real PostgreSQL, Redis, Celery workers and SMTP server; nothing lost, nothing twice.
"""

import pytest
from celery import current_app
from kombu import pools

from coordination.notifications import services, tasks
from coordination.notifications.choices import Channel, Status
from coordination.notifications.models import Notification
from incidents import actions
from incidents.choices import ParticipationRole
from tests.factories import make_incident
from tests.notifications.conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _emails():
    return Notification.objects.filter(channel=Channel.EMAIL)


def _use_broker(url):
    """Point this (web) process's Celery app at ``url``, dropping pooled connections."""
    app = current_app._get_current_object()
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.broker_write_url = None


@pytest.fixture
def broker_outage(require_redis, monkeypatch):
    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    _use_broker(UNREACHABLE_BROKER)
    yield lambda: _use_broker(require_redis)
    _use_broker(require_redis)


def test_changes_made_while_redis_is_down_are_all_sent_once_by_the_sweep(
    workers, smtp_sink, broker_outage, lead_user, invited_agency, invited_user
):
    invited_agency.mailbox = "permanence@ofac.example.fr"
    invited_agency.save()
    incidents = [make_incident(lead_user, title=f"Phishing wave {i}") for i in range(200)]
    workers.start()

    # 200 changes while the broker cannot be reached: every one commits, alerts stay pending
    for incident in incidents:
        actions.share_incident(incident, invited_agency, ParticipationRole.OBSERVER, lead_user)
    assert _emails().count() == 400
    assert _emails().filter(status=Status.PENDING).count() == 400

    # Redis is back: the sweep queues what is pending, the worker sends it
    broker_outage()
    tasks.sweep_outbox()
    assert wait_until(lambda: _emails().filter(status=Status.SENT).count() == 400, timeout=180)
    # A second sweep (beat keeps running) finds nothing more to send
    tasks.sweep_outbox()
    assert wait_until(lambda: len(smtp_sink.messages) >= 400, timeout=30)
    ids = smtp_sink.message_ids()
    assert len(ids) == 400
    assert len(set(ids)) == 400, "a notification was emailed twice"


def test_smtp_refusing_for_a_while_is_retried_then_delivered_once(
    workers, smtp_sink, lead_user, invited_agency, invited_user
):
    invited_agency.mailbox = ""
    invited_agency.save()
    smtp_sink.refuse_next = 3  # the first three attempts get "451 try again later"
    workers.start()
    incident = make_incident(lead_user, title="Ransomware at a hospital")

    actions.share_incident(incident, invited_agency, ParticipationRole.CONTRIBUTOR, lead_user)
    row = _emails().get()

    assert wait_until(lambda: _emails().filter(status=Status.SENT).count() == 1, timeout=60)
    row.refresh_from_db()
    assert smtp_sink.refused == 3
    assert row.attempts == 4
    assert [rcpt for rcpt, _ in smtp_sink.messages] == [[invited_user.email]]


def test_a_worker_killed_while_sending_is_replaced_and_the_mail_sent_exactly_once(
    workers, smtp_sink, lead_user, invited_agency, invited_user
):
    invited_agency.mailbox = ""
    invited_agency.save()
    smtp_sink.stall_rcpt = 30  # the first send hangs in the SMTP conversation
    first = workers.start()
    incident = make_incident(lead_user, title="Data leak")
    actions.share_incident(incident, invited_agency, ParticipationRole.CONTRIBUTOR, lead_user)
    row = _emails().get()

    # The worker is killed while the server holds it, before the message was accepted
    assert wait_until(lambda: smtp_sink.stalled, timeout=60)
    workers.kill(first)
    row.refresh_from_db()
    assert row.status == Status.SENDING and not smtp_sink.messages

    # A new worker; the periodic sweep releases the dead claim once its lease ends
    workers.start()
    assert wait_until(
        lambda: tasks.sweep_outbox() or _emails().filter(status=Status.SENT).exists(), timeout=60
    )
    assert wait_until(lambda: len(smtp_sink.messages) == 1, timeout=30)
    tasks.sweep_outbox()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.message_ids()[0].startswith(f"<notification.{row.pk}@")

"""The outbox: what a change writes, and how each row is delivered exactly once."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.choices import Role
from coordination.notifications import delivery, tasks
from coordination.notifications.choices import Channel, Delivery, Event, Status
from coordination.notifications.digest import send_due_digests
from coordination.notifications.models import Notification, Preference
from coordination.notifications.services import Mailbox, Message, notify
from incidents import actions
from incidents.choices import TLP, ParticipationRole
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def fr_agency(invited_agency):
    invited_agency.mailbox = "permanence@ofac.example.fr"
    invited_agency.save()
    return invited_agency


def _share(lead_user, agency, **incident_fields):
    incident = make_incident(lead_user, **incident_fields)
    actions.share_incident(incident, agency, ParticipationRole.CONTRIBUTOR, lead_user)
    return incident


def _emails(**filters):
    return Notification.objects.filter(channel=Channel.EMAIL, **filters)


def test_sharing_notifies_the_agency_users_in_app_and_by_email_and_its_mailbox(
    lead_user, fr_agency, invited_user, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.deliver_notification, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        incident = _share(lead_user, fr_agency)

    app = Notification.objects.get(channel=Channel.APP, recipient=invited_user)
    assert app.event == Event.INCIDENT_SHARED
    assert app.link == incident.get_absolute_url()
    assert incident.reference in app.subject
    assert app.read_at is None
    emails = {n.email: n for n in _emails()}
    assert set(emails) == {invited_user.email, "permanence@ofac.example.fr"}
    assert all(n.status == Status.PENDING for n in emails.values())
    assert sorted(queued) == sorted(n.pk for n in emails.values())
    # Nobody of the inviting agency is notified of their own action.
    assert not Notification.objects.filter(recipient=lead_user).exists()


def test_notifications_are_written_only_if_the_change_commits(lead_user, fr_agency):
    incident = make_incident(lead_user)
    with pytest.raises(RuntimeError), django_atomic():
        actions.share_incident(incident, fr_agency, ParticipationRole.CONTRIBUTOR, lead_user)
        raise RuntimeError("the request failed after the share")
    assert not Notification.objects.exists()


def django_atomic():
    from django.db import transaction

    return transaction.atomic()


def test_email_of_a_red_incident_carries_no_details_but_the_app_does(
    lead_user, fr_agency, invited_user
):
    incident = _share(lead_user, fr_agency, tlp=TLP.RED, title="Insider selling hospital data")
    for row in _emails():
        assert "Insider selling hospital data" not in row.subject + row.body_text + row.body_html
        assert "TLP:RED" in row.body_text
        assert incident.get_absolute_url() in row.body_text
    app = Notification.objects.get(channel=Channel.APP, recipient=invited_user)
    assert app.subject.startswith(f"[{incident.reference}]")


def test_email_of_an_amber_incident_names_the_case(lead_user, fr_agency):
    _share(lead_user, fr_agency, tlp=TLP.AMBER, title="Ransomware at a port")
    mailbox = _emails().get(email="permanence@ofac.example.fr")
    assert "Ransomware at a port" in mailbox.body_text


def test_the_same_occurrence_is_written_once(invited_user):
    message = Message(
        event=Event.INCIDENT_SHARED,
        key="incident-shared:test",
        link="/incidents/CC-2026-000001/",
        context=_context(),
    )
    first = notify(message, users=[invited_user])
    second = notify(message, users=[invited_user, invited_user])
    assert len(first) == 2 and second == []
    assert Notification.objects.count() == 2


def _context():
    return {
        "reference": "CC-2026-000001",
        "title": "Case",
        "tlp": "TLP:AMBER",
        "severity": "High",
        "agency": "OFAC",
        "role": "contributor",
        "inviter_name": "Lena",
        "inviter_agency": "BKA",
    }


def test_inactive_users_and_blank_mailboxes_get_nothing(invited_agency):
    gone = UserFactory(agency=invited_agency, is_active=False)
    rows = notify(
        Message(event=Event.INCIDENT_SHARED, key="k", link="/x/", context=_context()),
        users=[gone],
        mailboxes=[Mailbox(email="")],
    )
    assert rows == []


@pytest.mark.parametrize(
    ("choice", "emails"), [(Delivery.IMMEDIATE, 1), (Delivery.DIGEST, 0), (Delivery.APP_ONLY, 0)]
)
def test_preference_decides_whether_an_email_goes_now(invited_user, choice, emails):
    Preference.objects.create(user=invited_user, event=Event.INCIDENT_SHARED, delivery=choice)
    notify(
        Message(event=Event.INCIDENT_SHARED, key="k", link="/x/", context=_context()),
        users=[invited_user],
    )
    assert _emails(recipient=invited_user).count() == emails
    assert Notification.objects.filter(channel=Channel.APP, recipient=invited_user).count() == 1


class TestDelivery:
    def _row(self, user):
        notify(
            Message(
                event=Event.INCIDENT_SHARED,
                key="k",
                link="/incidents/CC-2026-000001/",
                thread="incident.CC-2026-000001",
                context=_context(),
            ),
            users=[user],
        )
        return _emails().get()

    def test_a_row_is_sent_once_even_when_its_task_runs_twice(self, invited_user):
        row = self._row(invited_user)
        assert delivery.deliver(row.pk) == Status.SENT
        assert delivery.deliver(row.pk) is None
        assert len(mail.outbox) == 1
        row.refresh_from_db()
        assert row.status == Status.SENT and row.sent_at and row.attempts == 1

    def test_email_threads_by_case_and_says_it_is_automatic(self, invited_user):
        delivery.deliver(self._row(invited_user).pk)
        message = mail.outbox[0]
        assert message.to == [invited_user.email]
        assert message.subject.startswith("[CC-2026-000001]")
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
        assert message.extra_headers["In-Reply-To"].startswith("<incident.CC-2026-000001@")
        assert message.extra_headers["References"] == message.extra_headers["In-Reply-To"]
        assert message.alternatives and message.alternatives[0][1] == "text/html"

    def test_smtp_errors_retry_later_with_growing_delays_then_fail(self, invited_user, monkeypatch):
        row = self._row(invited_user)

        def refuse(self, *args, **kwargs):
            raise smtplib.SMTPServerDisconnected("connection refused by relay")

        monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
        delays = []
        for attempt in range(1, delivery.max_attempts() + 1):
            Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
            outcome = delivery.deliver(row.pk)
            row.refresh_from_db()
            assert row.attempts == attempt
            if attempt < delivery.max_attempts():
                assert outcome == Status.PENDING
                delays.append((row.next_attempt_at - timezone.now()).total_seconds())
        assert outcome == Status.FAILED and row.status == Status.FAILED
        assert "connection refused by relay" in row.last_error
        assert delays[-1] > delays[0]
        assert max(delays) <= settings.NOTIFICATION_RETRY_MAX_SECONDS

    def test_a_row_waiting_for_its_retry_is_not_sent_early(self, invited_user):
        row = self._row(invited_user)
        Notification.objects.filter(pk=row.pk).update(
            next_attempt_at=timezone.now() + timedelta(minutes=5)
        )
        assert delivery.deliver(row.pk) is None
        assert mail.outbox == []

    def test_sweep_requeues_due_rows_and_rows_of_a_dead_worker(self, invited_user, monkeypatch):
        row = self._row(invited_user)
        stuck = self._row_for_mailbox("stuck@example.org")
        Notification.objects.filter(pk=stuck.pk).update(
            status=Status.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
        )
        queued = []
        monkeypatch.setattr(tasks.deliver_notification, "delay", queued.append)
        tasks.sweep_outbox()
        assert sorted(queued) == sorted([row.pk, stuck.pk])

    def _row_for_mailbox(self, address):
        notify(
            Message(event=Event.INCIDENT_SHARED, key=address, link="/x/", context=_context()),
            mailboxes=[Mailbox(email=address)],
        )
        return _emails().get(email=address)


class TestDigest:
    def _waiting(self, user, n=2):
        Preference.objects.create(user=user, event=Event.INCIDENT_SHARED, delivery=Delivery.DIGEST)
        for i in range(n):
            notify(
                Message(event=Event.INCIDENT_SHARED, key=f"d{i}", link="/x/", context=_context()),
                users=[user],
            )

    def test_digest_goes_at_seven_in_the_users_own_time_zone_once_a_day(self, invited_agency):
        user = UserFactory(agency=invited_agency, timezone="Asia/Tokyo", role=Role.INVESTIGATOR)
        self._waiting(user)
        # 21:30 UTC is 06:30 in Tokyo: too early.
        assert send_due_digests(datetime(2026, 11, 23, 21, 30, tzinfo=UTC)) == 0
        # 22:05 UTC is 07:05 in Tokyo.
        assert send_due_digests(datetime(2026, 11, 23, 22, 5, tzinfo=UTC)) == 1
        digest = _emails(event=Event.DIGEST).get()
        assert "2 notifications" in digest.subject
        assert digest.body_text.count("[CC-2026-000001]") == 2
        # Later the same local day: nothing more, even with new rows waiting.
        notify(
            Message(event=Event.INCIDENT_SHARED, key="late", link="/x/", context=_context()),
            users=[user],
        )
        assert send_due_digests(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)) == 0
        # Next morning, the row that waited goes out.
        assert send_due_digests(datetime(2026, 11, 24, 22, 1, tzinfo=UTC)) == 1
        assert _emails(event=Event.DIGEST).count() == 2

    def test_users_on_immediate_email_get_no_digest(self, invited_user):
        notify(
            Message(event=Event.INCIDENT_SHARED, key="now", link="/x/", context=_context()),
            users=[invited_user],
        )
        with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)):
            assert send_due_digests() == 0


def test_other_agencies_admins_do_not_see_each_others_failed_rows(client, invited_agency):
    admin = UserFactory(agency=invited_agency, role=Role.AGENCY_ADMIN)
    foreign = AgencyFactory(short_name="XX", country="EE")
    foreign_admin = UserFactory(agency=foreign, role=Role.AGENCY_ADMIN)
    notify(
        Message(event=Event.INCIDENT_SHARED, key="f", link="/x/", context=_context()),
        mailboxes=[Mailbox(email="box@ofac.example.fr", agency_id=invited_agency.pk)],
    )
    row = _emails().get()
    Notification.objects.filter(pk=row.pk).update(status=Status.FAILED, last_error="550 no")

    client.force_login(foreign_admin)
    assert "box@ofac.example.fr" not in client.get("/notifications/failed/").content.decode()
    assert client.post(f"/notifications/failed/{row.pk}/retry/").status_code == 404

    client.force_login(admin)
    assert "box@ofac.example.fr" in client.get("/notifications/failed/").content.decode()
    assert client.post(f"/notifications/failed/{row.pk}/retry/").status_code == 302
    row.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 0


def test_after_a_refused_publish_requests_stop_waiting_for_the_broker(monkeypatch):
    from coordination.notifications import services

    attempts = []

    def refuse(pk):
        attempts.append(pk)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    monkeypatch.setattr(tasks.deliver_notification, "delay", refuse)
    services.queue_delivery([1, 2])
    services.queue_delivery([3])
    assert attempts == [1]  # the rows stay pending for the sweep


def test_a_kept_smtp_connection_the_server_dropped_is_reopened_without_losing_the_mail(
    invited_user, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    rows = notify(
        Message(
            event=Event.INCIDENT_SHARED,
            key="drop-test",
            link="/incidents/CC-2026-000001/",
            context={"reference": "CC-2026-000001", "title": "Test"},
        ),
        mailboxes=[Mailbox(email="one@x.example"), Mailbox(email="two@x.example")],
    )
    delivery.close_connection()
    first, second = rows
    assert delivery.deliver(first.pk) == Status.SENT  # opens the kept connection
    original = EmailBackend.send_messages
    calls = []

    def dropped_once(self, messages):
        calls.append(self)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("idle connection closed by server")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", dropped_once)
    assert delivery.deliver(second.pk) == Status.SENT
    assert len(calls) == 2 and calls[0] is not calls[1]  # a fresh connection the second time
    assert sorted(m.to[0] for m in mail.outbox) == ["one@x.example", "two@x.example"]


def test_each_recipient_reads_the_alert_in_their_own_language(
    lead_user, fr_agency, invited_user, django_capture_on_commit_callbacks, monkeypatch
):
    """The French catalogue is compiled by the build; a French reader gets French mail."""
    monkeypatch.setattr(tasks.deliver_notification, "delay", lambda pk: None)
    invited_user.language = "fr"
    invited_user.save()
    english = UserFactory(agency=fr_agency, role=Role.LIAISON_OFFICER, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        incident = _share(lead_user, fr_agency)

    french_mail = _emails().get(email=invited_user.email)
    english_mail = _emails().get(email=english.email)
    assert french_mail.subject.startswith(f"[{incident.reference}] Incident partagé avec votre")
    assert english_mail.subject.startswith(f"[{incident.reference}] Incident shared with your")


@pytest.mark.parametrize("event", list(Event))
def test_every_event_has_its_three_email_templates(event):
    from django.template.loader import get_template

    from coordination.notifications.services import TEMPLATES_OF

    stem = TEMPLATES_OF.get(event, event)
    for part in ("subject.txt", "body.txt", "body.html"):
        get_template(f"emails/{stem}-{part}")

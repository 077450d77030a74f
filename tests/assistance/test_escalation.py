"""Deadline escalation: thresholds per window, each level once, who hears it, delay notices."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.choices import AgencyKind, Role
from coordination.assistance import deadlines, delays, escalation
from coordination.assistance.choices import (
    PROVIDER_BASES,
    DeadlineKind,
    EscalationLevel,
    LegalBasis,
    Urgency,
)
from coordination.assistance.models import DelayNotice, Escalation, RequestDeadline
from coordination.assistance.transitions import transition_request
from coordination.notifications.choices import Channel, Event
from coordination.notifications.models import Notification
from incidents.models import TimelineEntry
from tests.assistance.conftest import T0
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)


# Thresholds scale with the window ------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "reminder_lead", "long_lag"),
    [
        (8 * H, 2 * H, D),  # emergency production order: warns in hours
        (24 * H, 6 * H, D),  # police-to-police acknowledgement
        (2 * H, H, D),  # short window: the reminder still comes an hour ahead
        (7 * D, 42 * H, 42 * H),  # EIO acknowledgement
        (90 * D, 22.5 * D, 22.5 * D),  # EIO execution: warns in days
    ],
)
def test_thresholds_scale_with_the_deadline_window(window, reminder_lead, long_lag):
    due = T0 + window
    assert escalation.thresholds(due, T0) == [
        (EscalationLevel.REMINDER, due - reminder_lead),
        (EscalationLevel.OVERDUE, due),
        (EscalationLevel.LONG_OVERDUE, due + long_lag),
    ]


def test_no_running_deadline_has_nothing_to_escalate():
    assert escalation.first_threshold(None, None) is None


# The sweep, level by level, for every legal basis ----------------------------------------


def _running(req, nl_liaison):
    """Sent, and received when the basis starts its clock only on receipt."""
    req.refresh_from_db()
    if req.legal_basis in PROVIDER_BASES and req.received_at is None:
        transition_request(req, "record_receipt", _issuing_officer(req))
        req.refresh_from_db()
    elif req.due_at is None:
        transition_request(req, "acknowledge", nl_liaison)
        req.refresh_from_db()
    assert req.due_at is not None, "a sent request runs a deadline"
    return req


def _issuing_officer(req):
    from accounts.models import User

    return User.objects.filter(
        agency_id=req.requesting_agency_id, role=Role.LIAISON_OFFICER, is_active=True
    ).first()


def _row(req, kind=None):
    return RequestDeadline.objects.get(request=req, kind=kind or req.due_kind)


def _fired(kind):
    return [e.level for e in escalation.sweep() if e.due_kind == kind]


@pytest.mark.parametrize("basis", list(LegalBasis))
@pytest.mark.parametrize("urgency", [Urgency.ROUTINE, Urgency.EMERGENCY])
def test_each_level_fires_once_at_its_threshold_for_every_basis(
    frozen, sent_request, nl_liaison, basis, urgency
):
    extra = {"urgency_reason": "A child is in danger."} if urgency == Urgency.EMERGENCY else {}
    req = _running(sent_request(basis, urgency=urgency, **extra), nl_liaison)
    # The running deadline due first that escalates all the way (an enforcing authority's
    # window only reminds).
    row = min(
        (
            r
            for r in RequestDeadline.objects.filter(request=req)
            if r.state == "running"
            and deadlines.rule(basis, r.kind).levels == tuple(EscalationLevel)
        ),
        key=lambda r: r.due_at,
    )
    kind = row.kind
    reminder, overdue, long_overdue = (
        when for _, when in escalation.thresholds(row.due_at, row.clock_started_at)
    )
    assert row.escalate_at == reminder

    frozen.move_to(reminder - timedelta(seconds=1))
    assert _fired(kind) == []
    frozen.move_to(reminder)
    assert _fired(kind) == [EscalationLevel.REMINDER]
    assert _fired(kind) == []  # the next sweep finds nothing new
    frozen.move_to(overdue)
    assert _fired(kind) == [EscalationLevel.OVERDUE]
    frozen.move_to(long_overdue)
    assert _fired(kind) == [EscalationLevel.LONG_OVERDUE]
    frozen.move_to(long_overdue + 30 * D)
    escalation.sweep()
    assert _row(req, kind).escalate_at is None
    levels = Escalation.objects.filter(request=req, due_kind=kind).order_by("pk")
    assert list(levels.values_list("level", flat=True)) == ["reminder", "overdue", "long_overdue"]


def test_the_emergency_production_order_warns_two_hours_before_its_eight_hours(
    frozen, sent_request, nl_liaison
):
    req = _running(
        sent_request(LegalBasis.EPOC, urgency=Urgency.EMERGENCY, urgency_reason="Hostage."),
        nl_liaison,
    )
    assert req.due_at - req.due_clock_started_at == 8 * H
    assert _row(req).escalate_at == req.due_at - 2 * H


def test_a_sweep_that_was_down_records_every_level_and_announces_the_highest_only(
    frozen, sent_request, nl_liaison
):
    req = _running(sent_request(LegalBasis.EIO), nl_liaison)
    frozen.move_to(req.due_at + 60 * D)
    fired = escalation.sweep()
    assert [e.level for e in fired] == ["reminder", "overdue", "long_overdue"]
    alerts = Notification.objects.filter(event=Event.REQUEST_DEADLINE, channel=Channel.APP)
    assert set(alerts.values_list("subject", flat=True)) == {
        f"[{req.reference}] [TLP:AMBER] Deadline long passed: {DeadlineKind(req.due_kind).label}"
    }


def test_a_new_deadline_after_a_transition_escalates_afresh(frozen, sent_request, nl_liaison):
    req = _running(sent_request(LegalBasis.EIO), nl_liaison)
    first_kind, first_due = req.due_kind, req.due_at
    frozen.move_to(escalation.thresholds(req.due_at, req.due_clock_started_at)[0][1])
    assert len(escalation.sweep()) == 1
    transition_request(req, "acknowledge", nl_liaison)
    req.refresh_from_db()
    assert (req.due_kind, req.due_at) != (first_kind, first_due)
    assert _row(req, first_kind).escalate_at is None  # met: it escalates no further
    assert _row(req).escalate_at == escalation.first_threshold(req.due_at, req.due_clock_started_at)
    frozen.move_to(_row(req).escalate_at)
    fired = escalation.sweep()
    assert [(e.due_kind, e.level) for e in fired] == [(req.due_kind, "reminder")]


def test_both_the_provisional_and_the_recognition_deadline_escalate(
    frozen, sent_request, nl_liaison
):
    req = sent_request(
        LegalBasis.EIO,
        provisional_measures=True,
        provisional_measures_detail="Freeze the server before it is wiped.",
    )
    transition_request(req, "acknowledge", nl_liaison)
    provisional, decide = _row(req, DeadlineKind.PROVISIONAL), _row(req, DeadlineKind.DECIDE)
    frozen.move_to(decide.due_at + 20 * D)  # nobody acted on either
    fired = {(e.due_kind, e.level) for e in escalation.sweep()}
    for kind in (DeadlineKind.PROVISIONAL, DeadlineKind.DECIDE):
        assert {(kind, level) for level in EscalationLevel} <= fired
    assert escalation.sweep() == []  # each level of each deadline once
    assert provisional.due_at < decide.due_at


def test_an_unacknowledged_police_request_escalates_its_answer_deadline(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.POLICE)
    answer = _row(req, DeadlineKind.ANSWER)
    frozen.move_to(answer.due_at + H)  # never acknowledged, never answered
    escalation.sweep()
    levels = Escalation.objects.filter(request=req, due_kind=DeadlineKind.ANSWER)
    assert set(levels.values_list("level", flat=True)) == {"reminder", "overdue"}
    acknowledge = Escalation.objects.filter(request=req, due_kind=DeadlineKind.ACKNOWLEDGE)
    assert set(acknowledge.values_list("level", flat=True)) == {
        "reminder",
        "overdue",
        "long_overdue",
    }


def test_a_finished_request_stops_escalating(frozen, sent_request, nl_liaison, de_liaison):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    transition_request(req, "withdraw", de_liaison, comment="Suspect identified otherwise.")
    req.refresh_from_db()
    assert req.due_at is None
    assert not RequestDeadline.objects.filter(request=req, escalate_at__isnull=False).exists()
    frozen.move_to(T0 + 365 * D)
    assert escalation.sweep() == []


def test_finding_the_work_is_one_query_whatever_the_number_of_open_requests(
    frozen, sent_request, nl_liaison, django_assert_num_queries
):
    for _ in range(5):
        _running(sent_request(LegalBasis.POLICE), nl_liaison)
    with django_assert_num_queries(1):
        assert escalation.sweep() == []  # nothing due yet: one query, no loop


# Who hears it -----------------------------------------------------------------------------


@pytest.fixture
def escalation_cast(lead_agency, nl_agency, de_liaison, de_supervisor, nl_liaison):
    nl_boss = UserFactory(username="nina", agency=nl_agency, role=Role.SUPERVISOR)
    investigator = UserFactory(username="ivo", agency=nl_agency, role=Role.INVESTIGATOR)
    authority = AgencyFactory(
        name="Ministerie van Justitie, IRC",
        short_name="NL-CA",
        country="NL",
        kind=AgencyKind.CENTRAL_AUTHORITY,
        mailbox="central.authority@minjus.example.nl",
    )
    return {"nl_boss": nl_boss, "investigator": investigator, "authority": authority}


def _recipients(level):
    rows = Notification.objects.filter(event=Event.REQUEST_DEADLINE, subject__contains="")
    rows = [r for r in rows if r.dedupe_key.split(":")[1] == str(level.pk)]
    return {r.recipient.username if r.recipient_id else r.email for r in rows}


def test_reminder_reaches_liaison_officers_of_both_sides_overdue_their_supervisors_too(
    frozen, sent_request, nl_liaison, de_liaison, escalation_cast
):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    when = escalation.thresholds(req.due_at, req.due_clock_started_at)
    frozen.move_to(when[0][1])
    (reminder,) = escalation.sweep()
    assert _recipients(reminder) == {"dora", "noor"}
    frozen.move_to(when[1][1])
    (overdue,) = escalation.sweep()
    assert _recipients(overdue) == {"dora", "noor", "sven", "nina"}
    frozen.move_to(when[2][1])
    (long_overdue,) = escalation.sweep()
    assert _recipients(long_overdue) == {
        "dora",
        "noor",
        "sven",
        "nina",
        "central.authority@minjus.example.nl",
    }


def test_escalation_email_to_a_mailbox_of_a_red_case_carries_no_details(
    frozen, lead_user, make_request, de_liaison, nl_liaison, escalation_cast
):
    incident = make_incident(lead_user, tlp="red", title="Secret operation Nightjar")
    req = make_request(LegalBasis.POLICE, incident=incident)
    transition_request(req, "submit", lead_user)
    transition_request(req, "approve", de_liaison)
    req = _running(req, nl_liaison)
    frozen.move_to(req.due_at + 30 * D)
    escalation.sweep()
    mails = Notification.objects.filter(
        event=Event.REQUEST_DEADLINE, email="central.authority@minjus.example.nl"
    )
    assert mails
    for mail in mails:
        assert "Nightjar" not in mail.body_text + mail.body_html
        assert "Requesting agency" not in mail.body_text
        assert req.get_absolute_url() in mail.body_text


# Two sweeps at once ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_sweeps_fire_each_level_once(require_postgres, sent_request, nl_liaison):
    reqs = [_running(sent_request(LegalBasis.POLICE), nl_liaison) for _ in range(6)]
    later = max(r.due_at for r in reqs) + 60 * D
    barrier = threading.Barrier(2)
    fired = []

    def run():
        try:
            barrier.wait()
            fired.extend(escalation.sweep(now=later, batch=2))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fired) == 36  # 6 requests x 2 deadlines x 3 levels, between both sweeps
    assert Escalation.objects.count() == 36
    keys = Notification.objects.filter(event=Event.REQUEST_DEADLINE).values_list(
        "dedupe_key", flat=True
    )
    assert len(keys) == len(set(keys))
    assert RequestDeadline.objects.filter(escalate_at__isnull=False).count() == 0


# Delay notices ------------------------------------------------------------------------


def test_delay_notice_is_offered_to_the_requested_side_once_the_deadline_nears(
    frozen, sent_request, nl_liaison, de_liaison
):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    assert delays.refusal(req, nl_liaison) is not None  # far from due yet
    frozen.move_to(req.due_at + H)
    assert delays.refusal(req, nl_liaison) is None
    assert "requested agency" in delays.refusal(req, de_liaison)
    prefill = delays.prefill(req)
    assert req.reference in prefill["reasons"]
    assert prefill["new_estimate"] > req.due_at


def test_delay_notice_reaches_the_requesting_side_and_the_incident_timeline(
    frozen, lead_user, make_request, de_liaison, nl_liaison, lead_agency
):
    lead_agency.mailbox = "lagezentrum@bka.example.de"
    lead_agency.save()
    incident = make_incident(lead_user, title="Ransomware at a port")
    req = make_request(LegalBasis.POLICE, incident=incident)
    transition_request(req, "submit", lead_user)
    transition_request(req, "approve", de_liaison)
    req = _running(req, nl_liaison)
    frozen.move_to(req.due_at + 2 * H)

    notice = delays.send_delay_notice(
        req,
        nl_liaison,
        reasons="The provider asks for a court order first.",
        new_estimate=req.due_at + 5 * D,
    )

    assert DelayNotice.objects.get() == notice
    mails = Notification.objects.filter(event=Event.REQUEST_DELAY_NOTICE, channel=Channel.EMAIL)
    assert set(mails.values_list("email", flat=True)) == {
        de_liaison.email,
        lead_user.email,
        "lagezentrum@bka.example.de",
    }
    assert all("court order" in m.body_text for m in mails)
    assert TimelineEntry.objects.filter(incident=incident, body__contains="Delay announced")


def test_delay_notice_needs_reasons_and_an_estimate_after_the_deadline(
    frozen, sent_request, nl_liaison
):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    frozen.move_to(req.due_at + H)
    with pytest.raises(ValidationError) as exc:
        delays.send_delay_notice(req, nl_liaison, reasons="  ", new_estimate=req.due_at - H)
    assert set(exc.value.error_dict) == {"reasons", "new_estimate"}
    assert not DelayNotice.objects.exists()


def test_requesting_side_cannot_send_a_delay_notice(frozen, sent_request, nl_liaison, de_liaison):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    frozen.move_to(req.due_at + H)
    with pytest.raises(PermissionDenied):
        delays.send_delay_notice(req, de_liaison, reasons="x", new_estimate=req.due_at + D)


# Pages --------------------------------------------------------------------------------


def test_delay_notice_page_is_prefilled_and_sends(
    frozen, client, sent_request, nl_liaison, de_liaison
):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    frozen.move_to(req.due_at + H)
    escalation.sweep()
    client.force_login(nl_liaison)
    panel = client.get(f"/requests/{req.reference}/escalation/").content.decode()
    assert "Overdue" in panel and "Announce a delay" in panel
    page = client.get(f"/requests/{req.reference}/delay-notice/")
    assert page.status_code == 200
    assert req.reference in page.content.decode()

    bad = client.post(
        f"/requests/{req.reference}/delay-notice/", {"reasons": "", "new_estimate": ""}
    )
    assert bad.status_code == 400
    assert "This field is required" in bad.content.decode()

    estimate = (req.due_at + 3 * D).strftime("%Y-%m-%dT%H:%M")
    done = client.post(
        f"/requests/{req.reference}/delay-notice/",
        {"reasons": "Waiting for the provider.", "new_estimate": estimate},
    )
    assert done.status_code == 302
    assert DelayNotice.objects.filter(request=req).count() == 1
    client.force_login(de_liaison)
    panel = client.get(f"/requests/{req.reference}/escalation/").content.decode()
    assert "Waiting for the provider." in panel and "Announce a delay" not in panel


def test_escalation_pages_hide_the_request_from_a_third_country(
    frozen, client, sent_request, nl_liaison, outsider, de_liaison
):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    frozen.move_to(req.due_at + H)
    client.force_login(outsider)
    assert client.get(f"/requests/{req.reference}/escalation/").status_code == 404
    assert client.get(f"/requests/{req.reference}/delay-notice/").status_code == 404
    client.force_login(de_liaison)
    assert client.get(f"/requests/{req.reference}/delay-notice/").status_code == 403
    client.logout()
    assert client.get(f"/requests/{req.reference}/escalation/").status_code == 302


def test_desk_shows_the_escalation_level(frozen, client, sent_request, nl_liaison):
    req = _running(sent_request(LegalBasis.POLICE), nl_liaison)
    frozen.move_to(req.due_at + H)
    client.force_login(nl_liaison)
    page = client.get("/requests/desk/").content.decode()
    assert req.reference in page and "badge--escalation-overdue" in page

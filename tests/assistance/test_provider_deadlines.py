"""Deadlines of orders to service providers (Regulation (EU) 2023/1543), with frozen time.

The provider's clocks run from its receipt, in the time zone and working days of the
establishment addressed; the notified enforcing authority's window from its notification.
The engine is driven here through the request's timestamps, as the recording steps set them.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordination.assistance import deadlines, escalation
from coordination.assistance.choices import (
    Counting,
    DeadlineKind,
    EscalationLevel,
    LegalBasis,
    Measure,
    Party,
    ProviderRole,
    Status,
    Urgency,
)
from coordination.assistance.models import (
    AssistanceRequest,
    ProviderEstablishment,
    RequestDeadline,
    ServiceProvider,
)
from tests.assistance.conftest import T0

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)
DUBLIN = ZoneInfo("Europe/Dublin")


def end_of(day, zone=DUBLIN):
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


@pytest.fixture
def establishment(db):
    provider = ServiceProvider.objects.create(name="Example Cloud Ltd")
    return ProviderEstablishment.objects.create(
        provider=provider,
        role=ProviderRole.DESIGNATED_ESTABLISHMENT,
        country="IE",
        name="Example Cloud Ireland Ltd",
        timezone="Europe/Dublin",
        language="en",
    )


@pytest.fixture
def ie_authority(db):
    from tests.factories import AgencyFactory

    return AgencyFactory(
        name="An Garda Síochána, GNCCB",
        short_name="IE-GNCCB",
        country="IE",
        timezone="Europe/Dublin",
    )


@pytest.fixture
def order(lead_user, establishment):
    def _order(basis=LegalBasis.EPOC, urgency=Urgency.ROUTINE, measures=(Measure.TRAFFIC,), **kw):
        req = AssistanceRequest.objects.create(
            reference=f"T-{AssistanceRequest.objects.count() + 1:04d}",
            legal_basis=basis,
            measures=list(measures),
            urgency=urgency,
            requesting_agency=lead_user.agency,
            requested_country="IE",
            provider_addressee=establishment,
            created_by=lead_user,
            status=Status.SENT,
            sent_at=T0,
            **kw,
        )
        return req

    return _order


def _sync(req, now, **changes):
    for name, value in changes.items():
        setattr(req, name, value)
    req.save()
    rows = deadlines.sync_clocks(req, now)
    return {row.kind: row for row in rows}


def test_no_provider_clock_runs_before_the_providers_receipt_is_recorded(order):
    req = order()
    assert _sync(req, T0) == {}
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.PRODUCE].state == "pending"


def test_production_within_10_days_of_receipt_in_the_providers_days(order):
    req = order(measures=(Measure.SUBSCRIBER,))
    received = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 23:30 in Dublin, Monday 2 March
    rows = _sync(req, received, status=Status.RECEIVED, received_at=received)
    produce = rows[DeadlineKind.PRODUCE]
    # Days 3..12 March; Thursday 12 March ends at midnight in Dublin.
    assert produce.due_at == end_of(date(2026, 3, 12))
    assert (produce.party, produce.counting, produce.zone) == (
        Party.PROVIDER,
        Counting.EU_DAYS,
        "Europe/Dublin",
    )
    assert DeadlineKind.ENFORCING_REVIEW not in rows  # no notification: no window


def test_a_last_day_on_an_irish_public_holiday_moves_to_the_next_working_day(order):
    req = order(measures=(Measure.SUBSCRIBER,))
    received = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)  # day 10 is Tuesday 17 March
    rows = _sync(req, received, status=Status.RECEIVED, received_at=received)
    assert rows[DeadlineKind.PRODUCE].due_at == end_of(date(2026, 3, 18))  # St Patrick's Day


def test_an_emergency_order_is_due_8_hours_after_receipt_to_the_minute(order):
    req = order(urgency=Urgency.EMERGENCY, urgency_reason="Threat to life.")
    received = T0 + 17 * H + 13 * timedelta(minutes=1)
    rows = _sync(req, received, status=Status.RECEIVED, received_at=received)
    assert rows[DeadlineKind.PRODUCE].due_at == received + 8 * H
    assert rows[DeadlineKind.PRODUCE].counting == Counting.EXACT


def test_a_notified_enforcing_authority_has_10_days_and_its_window_only_reminds(
    frozen, order, ie_authority
):
    req = order(enforcing_agency=ie_authority)
    rows = _sync(
        req,
        T0,
        notification_required=True,
        enforcing_notified_at=T0,
        status=Status.RECEIVED,
        received_at=T0,
    )
    review = rows[DeadlineKind.ENFORCING_REVIEW]
    assert review.party == Party.ENFORCING
    assert review.due_at == end_of(date(2026, 3, 12))
    # The provider transmits at the end of the same 10 days (Art. 10(2)).
    assert rows[DeadlineKind.PRODUCE].due_at == review.due_at
    assert deadlines.refusal_window_open(req, review.due_at - H)
    assert not deadlines.refusal_window_open(req, review.due_at + H)
    frozen.move_to(review.due_at + 30 * D)
    fired = [(e.due_kind, e.level) for e in escalation.sweep()]
    assert (DeadlineKind.ENFORCING_REVIEW, EscalationLevel.REMINDER) in fired
    assert (DeadlineKind.ENFORCING_REVIEW, EscalationLevel.OVERDUE) not in fired
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.ENFORCING_REVIEW].window_closed


def test_in_an_emergency_the_enforcing_authority_has_96_hours(order, ie_authority):
    req = order(urgency=Urgency.EMERGENCY, urgency_reason="Hostage.", enforcing_agency=ie_authority)
    rows = _sync(
        req, T0, notification_required=True, enforcing_notified_at=T0, status=Status.RECEIVED
    )
    assert rows[DeadlineKind.ENFORCING_REVIEW].due_at == T0 + 96 * H


def test_the_enforcing_authoritys_decision_closes_its_window(order, ie_authority):
    req = order(enforcing_agency=ie_authority)
    _sync(req, T0, notification_required=True, enforcing_notified_at=T0, status=Status.RECEIVED)
    rows = _sync(req, T0 + 2 * D, enforcing_decided_at=T0 + 2 * D, enforcing_decision="no_grounds")
    assert rows[DeadlineKind.ENFORCING_REVIEW].met_at == T0 + 2 * D
    assert not deadlines.refusal_window_open(req, T0 + 3 * D)


def test_a_request_for_clarification_restarts_the_providers_clock_and_gives_the_issuer_5_days(
    order,
):
    req = order(measures=(Measure.SUBSCRIBER,))
    _sync(req, T0, status=Status.RECEIVED, received_at=T0)
    asked = T0 + 3 * D
    rows = _sync(req, asked, status=Status.AWAITING_INFORMATION, information_asked_at=asked)
    assert rows[DeadlineKind.PRODUCE].state == "stopped"
    clarify = rows[DeadlineKind.CLARIFY]
    # The issuing authority's days: Berlin, 6..10 March.
    berlin = ZoneInfo("Europe/Berlin")
    assert (clarify.party, clarify.due_at) == (Party.REQUESTING, end_of(date(2026, 3, 10), berlin))
    answered = T0 + 4 * D
    rows = _sync(req, answered, status=Status.RECEIVED, information_answered_at=answered)
    produce = rows[DeadlineKind.PRODUCE]
    assert produce.state == "running"
    assert produce.restarted_at == answered
    # Art. 10(6): the 10 days run again from the clarification (Friday 6 March -> 16 March).
    assert produce.due_at == end_of(date(2026, 3, 16))
    assert rows[DeadlineKind.CLARIFY].met_at == answered


def test_preservation_ends_60_days_after_receipt_and_extends_once_within_them(order):
    req = order(LegalBasis.EPOC_PR, measures=(Measure.PRESERVATION,))
    _sync(req, T0, status=Status.RECEIVED, received_at=T0)
    rows = _sync(req, T0 + H, status=Status.PRESERVED, preserved_at=T0 + H)
    keep = rows[DeadlineKind.PRESERVE_UNTIL]
    # The issuing authority must act, but the data are the provider's: its days count,
    # 3 March .. 1 May in Dublin (1 May is no Irish public holiday).
    assert keep.party == Party.REQUESTING
    assert (keep.zone, keep.due_at) == ("Europe/Dublin", end_of(date(2026, 5, 1)))
    assert deadlines.extension_refusal(req, DeadlineKind.PRESERVE_UNTIL, T0 + 50 * D) is None
    deadlines.extend(req, DeadlineKind.PRESERVE_UNTIL, reason="Order on its way.", now=T0 + 50 * D)
    keep.refresh_from_db()
    # 30 days after 1 May: 31 May is a Sunday and 1 June the Irish June bank holiday.
    assert keep.due_at == end_of(date(2026, 6, 2))
    assert "already" in deadlines.extension_refusal(req, DeadlineKind.PRESERVE_UNTIL, T0 + 51 * D)


def test_preservation_cannot_be_extended_once_the_60_days_ran_out(order):
    req = order(LegalBasis.EPOC_PR, measures=(Measure.PRESERVATION,))
    _sync(req, T0, status=Status.RECEIVED, received_at=T0)
    rows = _sync(req, T0 + H, status=Status.PRESERVED, preserved_at=T0 + H)
    late = rows[DeadlineKind.PRESERVE_UNTIL].due_at + H
    assert "ran out" in deadlines.extension_refusal(req, DeadlineKind.PRESERVE_UNTIL, late)
    assert (
        RequestDeadline.objects.get(request=req, kind=DeadlineKind.PRESERVE_UNTIL).extended_at
        is None
    )

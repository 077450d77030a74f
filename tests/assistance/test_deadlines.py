"""Deadline rules with frozen time: every basis, urgency and transition that moves a clock.

T0 is Monday 2 March 2026, 09:00 UTC; the Dutch executing agency works in Europe/Amsterdam
(CET, then CEST from 29 March), the German requesting agency in Europe/Berlin.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from coordination.assistance import actions, deadlines, periods
from coordination.assistance.choices import (
    Counting,
    DeadlineKind,
    LegalBasis,
    Status,
    Urgency,
)
from coordination.assistance.deadlines import format_remaining
from coordination.assistance.models import RequestDeadline
from coordination.assistance.transitions import transition_request
from incidents.exceptions import TransitionNotAllowed
from tests.assistance.conftest import T0

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)
AMS = ZoneInfo("Europe/Amsterdam")


def end_of(day, zone=AMS):
    """The last second of ``day`` in ``zone``: where a period counted in days ends."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def _due(req):
    req.refresh_from_db()
    return req.due_kind, req.due_at, req.due_clock_started_at


def _clocks(req):
    return {row.kind: row for row in RequestDeadline.objects.filter(request=req)}


def test_every_rule_states_its_source_counting_and_information_rule():
    for basis in LegalBasis:
        rules = deadlines.rules_for(basis)
        assert rules, basis
        for rule in rules:
            assert str(rule.source).strip()
            assert isinstance(rule.is_law, bool)
            assert set(rule.windows) == set(Urgency)
            assert str(rule.counting_source).strip(), rule
            assert str(rule.information_source).strip(), rule
            assert rule.on_information in (deadlines.RUNS, deadlines.PAUSES, deadlines.RESTARTS)
            # A rule without a legal number explains its policy default.
            assert rule.is_law or str(rule.note).strip()
            # Where the law is silent on questions, the rule says Concord follows a policy.
            if not rule.information_is_law:
                assert "policy" in str(rule.information_source).lower()


def test_the_eu_instruments_cite_their_articles():
    sources = " ".join(str(r.source) for r in deadlines.RULES)
    for article in ("Art. 12(3)", "Art. 12(4)", "Art. 16(1)", "Art. 32(2)", "Art. 10(3)"):
        assert article in sources
    for article in ("Art. 10(4)", "Art. 11(1)", "Art. 12(1)", "Art. 10(6)"):
        assert article in sources


def test_draft_and_pending_requests_run_no_clock(frozen, make_request, lead_user):
    req = make_request(LegalBasis.EIO)
    assert _due(req) == ("", None, None)
    transition_request(req, "submit", lead_user)
    assert _due(req) == ("", None, None)
    assert not _clocks(req)


def test_eio_acknowledge_within_a_week_counted_in_days_of_the_executing_authority(
    frozen, sent_request
):
    req = sent_request(LegalBasis.EIO)
    # Sent Monday 2 March: the day of the event is not counted; day 7 is Monday 9 March.
    assert _due(req) == (DeadlineKind.ACKNOWLEDGE, end_of(date(2026, 3, 9)), T0)
    row = _clocks(req)[DeadlineKind.ACKNOWLEDGE]
    assert (row.counting, row.zone, row.holiday_country) == (
        Counting.EU_DAYS,
        "Europe/Amsterdam",
        "NL",
    )
    rule = deadlines.rule(LegalBasis.EIO, DeadlineKind.ACKNOWLEDGE)
    assert rule.is_law and "Art. 16" in str(rule.source)


def test_eio_decision_30_days_from_receipt_then_execution_90_days_from_recognition(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    frozen.shift(2 * D)  # Wednesday 4 March
    transition_request(req, "acknowledge", nl_liaison)
    # 30 days from 5 March: Friday 3 April (Good Friday is no Dutch public holiday... it is
    # listed by the library; the period then ends on the next working day).
    expected = periods.union_day_period_end(T0 + 2 * D, 30, "Europe/Amsterdam", "NL")
    assert _due(req) == (DeadlineKind.DECIDE, expected, T0 + 2 * D)
    frozen.shift(10 * D)  # Saturday 14 March
    transition_request(req, "accept", nl_liaison)
    # 90 days from 15 March: Friday 12 June.
    assert _due(req) == (DeadlineKind.EXECUTE, end_of(date(2026, 6, 12)), T0 + 12 * D)


def test_an_eio_received_late_in_the_evening_counts_from_the_next_local_day(
    frozen, sent_request, nl_liaison
):
    received = datetime(2026, 3, 20, 22, 30, tzinfo=UTC)  # 23:30 CET on Friday 20 March
    req = sent_request(LegalBasis.EIO)
    frozen.move_to(received + 2 * H)
    transition_request(req, "acknowledge", nl_liaison, received_at=received)
    # Days 21 March .. 19 April; 19 April is a Sunday: the end moves to Monday 20 April,
    # at the end of that day in Amsterdam (CEST), not 00:30 or 23:30 of day 30.
    assert _clocks(req)[DeadlineKind.DECIDE].due_at == end_of(date(2026, 4, 20))


def test_a_last_day_on_a_public_holiday_moves_to_the_next_working_day(
    frozen, sent_request, nl_liaison
):
    received = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)  # Saturday 7 March
    req = sent_request(LegalBasis.EIO)
    frozen.move_to(received + H)
    transition_request(req, "acknowledge", nl_liaison, received_at=received)
    # Day 30 is Easter Monday 6 April 2026, a public holiday in the Netherlands.
    assert _clocks(req)[DeadlineKind.DECIDE].due_at == end_of(date(2026, 4, 7))


def test_hour_clocks_are_exact_across_a_daylight_saving_change(frozen, sent_request, nl_liaison):
    received = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # the clocks go forward that night
    req = sent_request(
        LegalBasis.EIO,
        provisional_measures=True,
        provisional_measures_detail="Freeze the server before it is wiped.",
    )
    frozen.move_to(received + H)
    transition_request(req, "acknowledge", nl_liaison, received_at=received)
    row = _clocks(req)[DeadlineKind.PROVISIONAL]
    assert row.counting == Counting.EXACT
    assert row.due_at == received + 24 * H


def test_acknowledgement_may_state_an_earlier_receipt_which_starts_the_clock(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    frozen.shift(3 * D)
    transition_request(req, "acknowledge", nl_liaison, received_at=T0 + 1 * D)
    assert _due(req)[2] == T0 + 1 * D


def test_an_eio_asked_on_day_40_and_answered_on_day_43_is_due_90_days_after_recognition(
    frozen, sent_request, nl_liaison, lead_user
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "accept", nl_liaison)  # recognised on day 0
    execute = _clocks(req)[DeadlineKind.EXECUTE]
    assert execute.due_at == end_of(date(2026, 5, 31) + D)  # 31 May is a Sunday
    frozen.shift(40 * D)
    transition_request(req, "ask_information", nl_liaison, comment="Time zone of the logs?")
    assert _clocks(req)[DeadlineKind.EXECUTE].state == "running"  # no suspension in law
    frozen.shift(3 * D)
    transition_request(req, "answer", lead_user, comment="UTC.")
    req.refresh_from_db()
    assert req.status == Status.IN_EXECUTION
    after = _clocks(req)[DeadlineKind.EXECUTE]
    assert after.due_at == execute.due_at
    assert after.clock_started_at == T0
    assert after.restarted_at is None
    assert _due(req) == (DeadlineKind.EXECUTE, execute.due_at, T0)


def test_a_met_deadline_keeps_its_date_through_an_information_round(
    frozen, sent_request, nl_liaison, lead_user
):
    req = sent_request(LegalBasis.BUDAPEST_MLA)
    frozen.shift(2 * D)
    transition_request(req, "acknowledge", nl_liaison)
    before = _clocks(req)[DeadlineKind.ACKNOWLEDGE]
    assert before.state == "met"
    frozen.shift(5 * D)
    transition_request(req, "ask_information", nl_liaison, comment="Which account?")
    frozen.shift(4 * D)
    transition_request(req, "answer", lead_user, comment="ops@example.net")
    after = _clocks(req)[DeadlineKind.ACKNOWLEDGE]
    assert (after.due_at, after.clock_started_at, after.met_at) == (
        before.due_at,
        before.clock_started_at,
        before.met_at,
    )


def test_a_policy_clock_pauses_during_questions_and_resumes_with_the_time_left(
    frozen, sent_request, nl_liaison, lead_user
):
    req = sent_request(LegalBasis.BUDAPEST_MLA)
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.EXECUTE, T0 + 60 * D)
    frozen.shift(20 * D)
    transition_request(req, "ask_information", nl_liaison, comment="Which account?")
    assert _due(req) == ("", None, None)
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.EXECUTE].state == "stopped"
    assert not shown[DeadlineKind.EXECUTE].information_is_law
    frozen.shift(5 * D)
    transition_request(req, "answer", lead_user, comment="ops@example.net")
    req.refresh_from_db()
    assert req.status == Status.RECEIVED
    assert _due(req)[:2] == (DeadlineKind.EXECUTE, T0 + 65 * D)


def test_a_policy_change_after_the_clock_started_does_not_re_date_it(
    frozen, sent_request, nl_liaison, lead_agency, de_admin
):
    req = sent_request(LegalBasis.BILATERAL)
    transition_request(req, "acknowledge", nl_liaison)
    due = _clocks(req)[DeadlineKind.EXECUTE].due_at
    actions.set_deadline_policy(
        lead_agency,
        de_admin,
        legal_basis=LegalBasis.BILATERAL,
        kind=DeadlineKind.EXECUTE,
        urgency=Urgency.ROUTINE,
        hours=10 * 24,
    )
    transition_request(req, "accept", nl_liaison)
    assert _clocks(req)[DeadlineKind.EXECUTE].due_at == due


def test_eio_decision_extends_once_to_the_estimated_time_with_reasons(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    legal = _clocks(req)[DeadlineKind.DECIDE].due_at
    estimate = legal + 12 * D
    frozen.shift(25 * D)
    transition_request(
        req, "extend", nl_liaison, comment="Judicial review of the measure.", estimate=estimate
    )
    row = _clocks(req)[DeadlineKind.DECIDE]
    assert (row.due_at, row.legal_due_at) == (estimate, legal)
    assert row.extension_reason == "Judicial review of the measure."
    req.refresh_from_db()
    assert req.extension_estimate == estimate
    with pytest.raises(TransitionNotAllowed):
        transition_request(req, "extend", nl_liaison, comment="Again", estimate=estimate + D)


def test_eio_extension_needs_an_estimate_within_30_days(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    legal = _clocks(req)[DeadlineKind.DECIDE].due_at
    with pytest.raises(ValidationError) as missing:
        transition_request(req, "extend", nl_liaison, comment="Review.")
    assert "estimate" in missing.value.message_dict
    with pytest.raises(ValidationError) as too_late:
        transition_request(req, "extend", nl_liaison, comment="Review.", estimate=legal + 45 * D)
    assert "30 days at most" in too_late.value.message_dict["estimate"][0]
    assert not _clocks(req)[DeadlineKind.DECIDE].extended_at


def test_an_eio_extension_asked_on_day_45_is_refused(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    frozen.shift(45 * D)
    with pytest.raises(TransitionNotAllowed) as refused:
        transition_request(req, "extend", nl_liaison, comment="Late.", estimate=T0 + 50 * D)
    assert "ran out" in str(refused.value.message)
    assert "extend" not in refused.value.allowed


def test_extension_is_refused_where_the_rule_has_none(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.BUDAPEST_MLA)
    transition_request(req, "acknowledge", nl_liaison)
    with pytest.raises(TransitionNotAllowed):
        transition_request(req, "extend", nl_liaison, comment="More time")


def test_the_issuers_earlier_date_is_a_target_and_never_replaces_the_legal_deadline(
    frozen, sent_request, nl_liaison
):
    req = sent_request(
        LegalBasis.EIO,
        issuer_deadline=T0 + 20 * D,
        issuer_deadline_reason="Trial date set for April.",
    )
    transition_request(req, "acknowledge", nl_liaison)
    decide = _clocks(req)[DeadlineKind.DECIDE]
    assert decide.due_at > T0 + 29 * D
    assert _due(req)[1] == decide.due_at
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert not shown[DeadlineKind.DECIDE].issuer_date


def test_provisional_measures_run_only_when_asked_and_are_decided_as_their_own_step(
    frozen, sent_request, nl_liaison
):
    plain = sent_request(LegalBasis.EIO)
    transition_request(plain, "acknowledge", nl_liaison)
    assert DeadlineKind.PROVISIONAL not in _clocks(plain)

    req = sent_request(
        LegalBasis.EIO,
        provisional_measures=True,
        provisional_measures_detail="Freeze the server before it is wiped.",
    )
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.PROVISIONAL, T0 + 24 * H)
    running = {k for k, row in _clocks(req).items() if row.state == "running"}
    assert running == {DeadlineKind.PROVISIONAL, DeadlineKind.DECIDE}
    frozen.shift(5 * H)
    transition_request(req, "decide_provisional", nl_liaison, comment="Server frozen.")
    req.refresh_from_db()
    assert req.status == Status.RECEIVED  # recognition is still to be decided
    assert req.provisional_decided_at == T0 + 5 * H
    clocks = _clocks(req)
    assert clocks[DeadlineKind.PROVISIONAL].met_at == T0 + 5 * H
    assert clocks[DeadlineKind.DECIDE].state == "running"
    with pytest.raises(TransitionNotAllowed):
        transition_request(req, "decide_provisional", nl_liaison, comment="Again.")


def test_provisional_measures_need_their_description(make_request, lead_user):
    req = make_request(LegalBasis.EIO, provisional_measures=True)
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "submit", lead_user)
    assert "provisional_measures_detail" in excinfo.value.message_dict


def test_provisional_measures_belong_to_an_eio(make_request):
    with pytest.raises(ValidationError) as excinfo:
        make_request(
            LegalBasis.BUDAPEST_MLA, provisional_measures=True, provisional_measures_detail="x"
        )
    assert "provisional_measures" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("urgency", "ack"),
    [(Urgency.ROUTINE, 24 * H), (Urgency.URGENT, 4 * H), (Urgency.EMERGENCY, 4 * H)],
)
def test_police_network_acknowledge_policy_by_urgency(frozen, sent_request, urgency, ack):
    req = sent_request(LegalBasis.POLICE, urgency=urgency, urgency_reason="Data may be lost.")
    assert _due(req) == (DeadlineKind.ACKNOWLEDGE, T0 + ack, T0)
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.ANSWER].due_at == T0 + 7 * D
    assert not shown[DeadlineKind.ACKNOWLEDGE].is_law


def test_police_network_answer_runs_from_sending_after_acknowledgement(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.POLICE)
    frozen.shift(2 * H)
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req) == (DeadlineKind.ANSWER, T0 + 7 * D, T0)


@pytest.mark.parametrize(
    ("urgency", "window"),
    [(Urgency.ROUTINE, 60 * D), (Urgency.URGENT, 10 * D), (Urgency.EMERGENCY, 10 * D)],
)
def test_budapest_mla_policy_execution_window(frozen, sent_request, nl_liaison, urgency, window):
    req = sent_request(LegalBasis.BUDAPEST_MLA, urgency=urgency, urgency_reason="Loss of data.")
    assert _due(req)[:2] == (DeadlineKind.ACKNOWLEDGE, T0 + 7 * D)
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req) == (DeadlineKind.EXECUTE, T0 + window, T0)


def test_bilateral_treaty_defaults_to_60_days(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.BILATERAL)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "accept", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.EXECUTE, T0 + 60 * D)


def test_agency_policy_replaces_a_policy_default(
    frozen, sent_request, nl_liaison, lead_agency, de_admin
):
    actions.set_deadline_policy(
        lead_agency,
        de_admin,
        legal_basis=LegalBasis.BILATERAL,
        kind=DeadlineKind.EXECUTE,
        urgency=Urgency.ROUTINE,
        hours=45 * 24,
    )
    req = sent_request(LegalBasis.BILATERAL)
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.EXECUTE, T0 + 45 * D)


def test_agency_policy_cannot_change_a_legal_deadline(lead_agency, de_admin):
    with pytest.raises(ValidationError):
        actions.set_deadline_policy(
            lead_agency,
            de_admin,
            legal_basis=LegalBasis.EIO,
            kind=DeadlineKind.DECIDE,
            urgency=Urgency.ROUTINE,
            hours=24,
        )


def test_only_an_admin_of_the_agency_sets_its_policy(lead_agency, de_liaison):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.set_deadline_policy(
            lead_agency,
            de_liaison,
            legal_basis=LegalBasis.BILATERAL,
            kind=DeadlineKind.EXECUTE,
            urgency=Urgency.ROUTINE,
            hours=24,
        )


def test_budapest_preservation_keeps_data_60_days_from_confirmation(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.BUDAPEST_PRESERVATION)
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.PRESERVE, T0 + 24 * H)
    frozen.shift(6 * H)
    transition_request(req, "confirm_preservation", nl_liaison)
    req.refresh_from_db()
    assert req.status == Status.PRESERVED
    assert req.preserved_until == T0 + 6 * H + 60 * D
    assert _due(req) == (DeadlineKind.PRESERVE_UNTIL, T0 + 6 * H + 60 * D, T0 + 6 * H)


def test_budapest_preservation_has_no_extension_but_holds_once_follow_up_is_linked(
    frozen, sent_request, nl_liaison, lead_user
):
    preservation = sent_request(LegalBasis.BUDAPEST_PRESERVATION)
    transition_request(preservation, "acknowledge", nl_liaison)
    transition_request(preservation, "confirm_preservation", nl_liaison)
    with pytest.raises(TransitionNotAllowed):
        transition_request(preservation, "extend_preservation", lead_user, comment="More")
    follow_up = sent_request(LegalBasis.BUDAPEST_MLA)
    transition_request(preservation, "link_follow_up", lead_user, follow_up=follow_up)
    preservation.refresh_from_db()
    assert preservation.status == Status.HELD
    assert preservation.follow_up == follow_up
    assert preservation.preserved_until is None
    assert _due(preservation) == ("", None, None)
    shown = {d.kind: d for d in deadlines.deadlines_for(preservation)}
    assert shown[DeadlineKind.PRESERVE_UNTIL].state == "met"


def test_finished_requests_run_no_clock(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "accept", nl_liaison)
    transition_request(req, "fulfil", nl_liaison, comment="Data sent by secure channel.")
    assert _due(req) == ("", None, None)
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.EXECUTE].state == "met"
    assert shown[DeadlineKind.ACKNOWLEDGE].state == "met"
    assert not RequestDeadline.objects.filter(request=req, escalate_at__isnull=False).exists()


def test_refusal_meets_no_deadline(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "refuse", nl_liaison, comment="Ne bis in idem.")
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.DECIDE].state == "over"
    assert shown[DeadlineKind.ACKNOWLEDGE].state == "met"
    assert _due(req) == ("", None, None)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=2, hours=4), "2 days 4 h left"),
        (timedelta(hours=-6), "overdue by 6 h"),
        (timedelta(minutes=45), "45 min left"),
        (timedelta(days=1), "1 day left"),
        (timedelta(hours=7, minutes=59), "7 h 59 min left"),
    ],
)
def test_time_remaining_reads_plainly(delta, text):
    assert format_remaining(delta) == text


def test_sync_deadlines_gives_older_sent_requests_their_clocks(frozen, sent_request, nl_liaison):
    from django.core.management import call_command

    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    expected = {row.kind: row.due_at for row in RequestDeadline.objects.filter(request=req)}
    RequestDeadline.objects.filter(request=req).delete()
    call_command("sync_deadlines", verbosity=0)
    again = {row.kind: row.due_at for row in RequestDeadline.objects.filter(request=req)}
    assert again == expected
    call_command("sync_deadlines", verbosity=0)  # nothing left to do
    assert RequestDeadline.objects.filter(request=req).count() == len(expected)

"""Deadline rules with frozen time: every basis, urgency and transition that moves a clock."""

from datetime import timedelta

import pytest

from coordination.assistance import actions, deadlines
from coordination.assistance.choices import (
    DeadlineKind,
    LegalBasis,
    Measure,
    Status,
    Urgency,
)
from coordination.assistance.deadlines import format_remaining
from coordination.assistance.transitions import transition_request
from tests.assistance.conftest import T0

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)


def _due(req):
    req.refresh_from_db()
    return req.due_kind, req.due_at, req.due_clock_started_at


def test_every_basis_has_rules_with_a_source_and_a_law_or_policy_flag():
    for basis in LegalBasis:
        rules = deadlines.rules_for(basis)
        assert rules, basis
        for rule in rules:
            assert str(rule.source).strip()
            assert isinstance(rule.is_law, bool)
            assert set(rule.windows) == set(Urgency)
            # A rule without a legal number explains its policy default.
            assert rule.is_law or str(rule.note).strip()


def test_draft_and_pending_requests_run_no_clock(frozen, make_request, lead_user):
    req = make_request(LegalBasis.EIO)
    assert _due(req) == ("", None, None)
    transition_request(req, "submit", lead_user)
    assert _due(req) == ("", None, None)


def test_eio_acknowledge_within_7_days_of_sending(frozen, sent_request):
    req = sent_request(LegalBasis.EIO)
    assert _due(req) == (DeadlineKind.ACKNOWLEDGE, T0 + 7 * D, T0)
    rule = deadlines.rule(LegalBasis.EIO, DeadlineKind.ACKNOWLEDGE)
    assert rule.is_law and "Art. 16" in str(rule.source)


def test_eio_decision_30_days_from_receipt_then_execution_90_days_from_recognition(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    frozen.shift(2 * D)
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req) == (DeadlineKind.DECIDE, T0 + 2 * D + 30 * D, T0 + 2 * D)
    frozen.shift(10 * D)
    transition_request(req, "accept", nl_liaison)
    assert _due(req) == (DeadlineKind.EXECUTE, T0 + 12 * D + 90 * D, T0 + 12 * D)


def test_acknowledgement_may_state_an_earlier_receipt_which_starts_the_clock(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    frozen.shift(3 * D)
    transition_request(req, "acknowledge", nl_liaison, received_at=T0 + 1 * D)
    assert _due(req) == (DeadlineKind.DECIDE, T0 + 31 * D, T0 + 1 * D)


def test_eio_decision_extends_once_by_30_days_with_reasons(frozen, sent_request, nl_liaison):
    from incidents.exceptions import TransitionNotAllowed

    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "extend", nl_liaison, comment="Judicial review of the measure.")
    assert _due(req)[:2] == (DeadlineKind.DECIDE, T0 + 60 * D)
    assert req.extension_reason == "Judicial review of the measure."
    with pytest.raises(TransitionNotAllowed):
        transition_request(req, "extend", nl_liaison, comment="Again")


def test_extension_is_refused_where_the_rule_has_none(frozen, sent_request, nl_liaison):
    from incidents.exceptions import TransitionNotAllowed

    req = sent_request(LegalBasis.BUDAPEST_MLA)
    transition_request(req, "acknowledge", nl_liaison)
    with pytest.raises(TransitionNotAllowed):
        transition_request(req, "extend", nl_liaison, comment="More time")


def test_issuer_earlier_date_replaces_the_later_legal_date(frozen, sent_request, nl_liaison):
    issuer_date = T0 + 20 * D
    req = sent_request(
        LegalBasis.EIO,
        issuer_deadline=issuer_date,
        issuer_deadline_reason="Trial date set for April.",
    )
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.DECIDE, issuer_date)
    transition_request(req, "accept", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.EXECUTE, issuer_date)
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.EXECUTE].issuer_date


def test_issuer_later_date_does_not_extend_the_legal_one(frozen, sent_request, nl_liaison):
    req = sent_request(
        LegalBasis.EIO, issuer_deadline=T0 + 200 * D, issuer_deadline_reason="Trial."
    )
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.DECIDE, T0 + 30 * D)


def test_eio_with_preservation_sets_24_hour_provisional_measures_clock(
    frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO, measures=[Measure.PRESERVATION, Measure.CONTENT])
    transition_request(req, "acknowledge", nl_liaison)
    assert _due(req)[:2] == (DeadlineKind.PROVISIONAL, T0 + 24 * H)
    kinds = [d.kind for d in deadlines.deadlines_for(req) if d.is_running]
    assert set(kinds) == {DeadlineKind.PROVISIONAL, DeadlineKind.DECIDE}


@pytest.mark.parametrize(
    ("urgency", "window"),
    [(Urgency.ROUTINE, 10 * D), (Urgency.URGENT, 10 * D), (Urgency.EMERGENCY, 8 * H)],
)
def test_epoc_production_window_by_urgency(frozen, sent_request, de_liaison, urgency, window):
    req = sent_request(
        LegalBasis.EPOC, urgency=urgency, urgency_reason="Kidnapping: the victim is held."
    )
    # Addressed to the provider side: the clock runs from delivery.
    assert _due(req) == (DeadlineKind.PRODUCE, T0 + window, T0)
    frozen.shift(1 * H)
    transition_request(req, "record_receipt", de_liaison)
    assert _due(req) == (DeadlineKind.PRODUCE, T0 + H + window, T0 + H)


def test_epoc_emergency_8_hour_clock_is_overdue_after_8_hours(frozen, sent_request):
    req = sent_request(LegalBasis.EPOC, urgency=Urgency.EMERGENCY, urgency_reason="Threat to life.")
    assert req.due_at == T0 + 8 * H
    from coordination.assistance.models import AssistanceRequest

    assert not AssistanceRequest.objects.overdue(T0 + 7 * H).filter(pk=req.pk).exists()
    assert (
        AssistanceRequest.objects.overdue(T0 + 8 * H + timedelta(seconds=1))
        .filter(pk=req.pk)
        .exists()
    )


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
    from django.core.exceptions import ValidationError

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


def test_clock_stops_while_awaiting_information_and_restarts_when_answered(
    frozen, sent_request, nl_liaison, lead_user
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    frozen.shift(20 * D)
    transition_request(req, "ask_information", nl_liaison, comment="Which account?")
    assert _due(req) == ("", None, None)
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.DECIDE].state == "stopped"
    frozen.shift(5 * D)
    transition_request(req, "answer", lead_user, comment="ops@example.net")
    req.refresh_from_db()
    assert req.status == Status.RECEIVED
    assert _due(req) == (DeadlineKind.DECIDE, T0 + 25 * D + 30 * D, T0 + 25 * D)
    assert req.information_answered_at == T0 + 25 * D


def test_answer_during_execution_restarts_the_execution_clock(
    frozen, sent_request, nl_liaison, lead_user
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "accept", nl_liaison)
    frozen.shift(40 * D)
    transition_request(req, "ask_information", nl_liaison, comment="Time zone of the logs?")
    frozen.shift(3 * D)
    transition_request(req, "answer", lead_user, comment="UTC.")
    req.refresh_from_db()
    assert req.status == Status.IN_EXECUTION
    assert _due(req) == (DeadlineKind.EXECUTE, T0 + 43 * D + 90 * D, T0 + 43 * D)


@pytest.mark.parametrize("basis", [LegalBasis.BUDAPEST_PRESERVATION, LegalBasis.EPOC_PR])
def test_preservation_keeps_data_60_days_from_confirmation(
    frozen, sent_request, nl_liaison, de_liaison, basis
):
    # An EPOC-PR goes to the provider: the issuing side records its receipt and preservation.
    by, receipt, preservation = (
        (de_liaison, "record_receipt", "record_preservation")
        if basis == LegalBasis.EPOC_PR
        else (nl_liaison, "acknowledge", "confirm_preservation")
    )
    req = sent_request(basis)
    transition_request(req, receipt, by)
    assert _due(req)[:2] == (DeadlineKind.PRESERVE, T0 + 24 * H)
    frozen.shift(6 * H)
    transition_request(req, preservation, by)
    req.refresh_from_db()
    assert req.status == Status.PRESERVED
    assert req.preserved_until == T0 + 6 * H + 60 * D
    assert _due(req) == (DeadlineKind.PRESERVE_UNTIL, T0 + 6 * H + 60 * D, T0 + 6 * H)


def test_epoc_pr_preservation_extends_once_by_30_days(frozen, sent_request, de_liaison, lead_user):
    from incidents.exceptions import TransitionNotAllowed

    req = sent_request(LegalBasis.EPOC_PR)
    transition_request(req, "record_receipt", de_liaison)
    transition_request(req, "record_preservation", de_liaison)
    transition_request(req, "extend_preservation", lead_user, comment="Production order pending.")
    req.refresh_from_db()
    assert req.preserved_until == T0 + 90 * D
    assert req.due_at == T0 + 90 * D
    with pytest.raises(TransitionNotAllowed):
        transition_request(req, "extend_preservation", lead_user, comment="Again")


def test_budapest_preservation_has_no_extension_but_holds_once_follow_up_is_linked(
    frozen, sent_request, nl_liaison, lead_user
):
    from incidents.exceptions import TransitionNotAllowed

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
    assert shown[DeadlineKind.PRESERVE_UNTIL].state == "held"


def test_follow_up_must_be_a_sent_mla_request_to_the_same_country(
    frozen, sent_request, make_request, nl_liaison, lead_user
):
    from django.core.exceptions import ValidationError

    preservation = sent_request(LegalBasis.BUDAPEST_PRESERVATION)
    transition_request(preservation, "acknowledge", nl_liaison)
    transition_request(preservation, "confirm_preservation", nl_liaison)
    draft = make_request(LegalBasis.BUDAPEST_MLA)
    with pytest.raises(ValidationError) as excinfo:
        transition_request(preservation, "link_follow_up", lead_user, follow_up=draft)
    assert "follow_up" in excinfo.value.message_dict
    other_preservation = sent_request(LegalBasis.EPOC_PR)
    with pytest.raises(ValidationError):
        transition_request(preservation, "link_follow_up", lead_user, follow_up=other_preservation)


def test_finished_requests_run_no_clock(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "accept", nl_liaison)
    transition_request(req, "fulfil", nl_liaison, comment="Data sent by secure channel.")
    assert _due(req) == ("", None, None)
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.EXECUTE].state == "met"
    assert shown[DeadlineKind.ACKNOWLEDGE].state == "met"


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


def test_refusal_meets_no_deadline(frozen, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "refuse", nl_liaison, comment="Ne bis in idem.")
    shown = {d.kind: d for d in deadlines.deadlines_for(req)}
    assert shown[DeadlineKind.DECIDE].state == "over"
    assert shown[DeadlineKind.ACKNOWLEDGE].state == "met"
    assert _due(req) == ("", None, None)

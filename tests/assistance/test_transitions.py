"""The state machine: who may take which action, what each writes, and races."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from coordination.assistance.choices import TRANSITIONS, LegalBasis, Side, Status
from coordination.assistance.models import AssistanceRequest, StatusHistory
from coordination.assistance.transitions import allowed_actions, transition_request
from incidents.choices import TLP, TimelineKind
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed
from incidents.models import TimelineEntry
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_transition_table_matches_the_design():
    expected = {
        "submit": ({Status.DRAFT}, Status.PENDING_APPROVAL, Side.REQUESTING),
        "approve": ({Status.PENDING_APPROVAL}, Status.SENT, Side.REQUESTING),
        "return": ({Status.PENDING_APPROVAL}, Status.DRAFT, Side.REQUESTING),
        "acknowledge": ({Status.SENT}, Status.RECEIVED, Side.REQUESTED),
        "accept": ({Status.RECEIVED}, Status.IN_EXECUTION, Side.REQUESTED),
        "forward": ({Status.RECEIVED}, None, Side.REQUESTED),
        "extend": ({Status.RECEIVED}, None, Side.REQUESTED),
        "ask_information": (
            {Status.RECEIVED, Status.IN_EXECUTION},
            Status.AWAITING_INFORMATION,
            Side.REQUESTED,
        ),
        "answer": ({Status.AWAITING_INFORMATION}, None, Side.REQUESTING),
        "refuse": ({Status.RECEIVED, Status.IN_EXECUTION}, Status.REFUSED, Side.REQUESTED),
    }
    for name, (sources, target, side) in expected.items():
        t = TRANSITIONS[name]
        assert set(t.sources) == sources, name
        assert t.target == target, name
        assert t.side == side, name
    finished = {
        Status.FULFILLED,
        Status.PARTIALLY_FULFILLED,
        Status.REFUSED,
        Status.NOT_EXECUTED,
        Status.WITHDRAWN,
    }
    assert set(TRANSITIONS["close"].sources) == finished
    assert Status.IN_EXECUTION in TRANSITIONS["fulfil"].sources
    assert Status.CLOSED not in TRANSITIONS["withdraw"].sources


def test_full_eio_journey_writes_history_and_timeline(
    make_request, lead_user, de_prosecutor, nl_liaison, invited_agency
):
    incident = make_incident(lead_user)
    req = make_request(LegalBasis.EIO, incident=incident)
    steps = [
        ("submit", lead_user, "", Status.PENDING_APPROVAL),
        ("approve", de_prosecutor, "", Status.SENT),
        ("acknowledge", nl_liaison, "", Status.RECEIVED),
        ("accept", nl_liaison, "", Status.IN_EXECUTION),
        (
            "ask_information",
            nl_liaison,
            "Which time zone are the logs in?",
            Status.AWAITING_INFORMATION,
        ),
        ("answer", lead_user, "UTC throughout.", Status.IN_EXECUTION),
        (
            "fulfil",
            nl_liaison,
            "Subscriber data attached to the secure transmission.",
            Status.FULFILLED,
        ),
        ("close", lead_user, "", Status.CLOSED),
    ]
    for action, by, comment, status in steps:
        row = transition_request(req, action, by, comment=comment, confirm_addressee=True)
        assert req.status == status
        assert row.to_status == status
        assert row.actor == by
        assert row.actor_agency_name == by.agency.name
        assert row.comment == comment
    req.refresh_from_db()
    assert req.status == Status.CLOSED
    assert req.executing_agency == nl_liaison.agency
    assert req.version == 1 + len(steps)
    history = list(StatusHistory.objects.filter(request=req).values_list("action", flat=True))
    assert history == [s[0] for s in steps]
    entries = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.REQUEST)
    assert entries.count() == len(steps)
    # Filed under the requesting agency so the incident's participants read them.
    assert set(entries.values_list("author_agency", flat=True)) == {lead_user.agency_id}
    assert all(req.reference in e.body for e in entries)


def test_internal_steps_are_on_the_timeline_for_the_requesting_agency_only(
    make_request, lead_user, invited_user, invited_agency
):
    from incidents.choices import ParticipationRole

    incident = make_incident(
        lead_user, shared_with=[(invited_agency, ParticipationRole.CONTRIBUTOR)]
    )
    req = make_request(LegalBasis.EIO, incident=incident)
    transition_request(req, "submit", lead_user)
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.REQUEST)
    assert entry.tlp == TLP.AMBER_STRICT
    assert TimelineEntry.objects.restrict(lead_user).filter(pk=entry.pk).exists()
    assert not TimelineEntry.objects.restrict(invited_user).filter(pk=entry.pk).exists()


def test_liaison_cannot_approve_own_request(make_request, de_liaison, de_liaison_2):
    req = make_request(LegalBasis.BUDAPEST_MLA, by=de_liaison)
    transition_request(req, "submit", de_liaison)
    with pytest.raises(PermissionDenied, match="Four eyes"):
        transition_request(req, "approve", de_liaison)
    assert "approve" not in [t.name for t in allowed_actions(req, de_liaison)]
    transition_request(req, "approve", de_liaison_2)
    assert req.status == Status.SENT


def test_liaison_cannot_approve_a_request_they_submitted(
    make_request, lead_user, de_liaison, de_liaison_2
):
    req = make_request(LegalBasis.BUDAPEST_MLA, by=lead_user)
    req.created_by = lead_user
    transition_request(req, "submit", de_liaison)
    with pytest.raises(PermissionDenied):
        transition_request(req, "approve", de_liaison)


def test_investigator_cannot_approve(make_request, lead_user):
    from tests.factories import UserFactory

    colleague = UserFactory(agency=lead_user.agency)
    req = make_request(LegalBasis.EIO)
    transition_request(req, "submit", lead_user)
    with pytest.raises(PermissionDenied):
        transition_request(req, "approve", colleague)


def test_return_needs_a_reason_and_goes_back_to_draft(make_request, lead_user, de_liaison):
    req = make_request(LegalBasis.EIO)
    transition_request(req, "submit", lead_user)
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "return", de_liaison, comment="  ")
    assert "comment" in excinfo.value.message_dict
    transition_request(req, "return", de_liaison, comment="Add the dual criminality text.")
    assert req.status == Status.DRAFT


def test_submit_refused_while_an_essential_field_is_missing(make_request, lead_user):
    req = make_request(LegalBasis.EIO, dual_criminality="", data=[])
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "submit", lead_user)
    errors = excinfo.value.message_dict
    assert "dual_criminality" in errors and "data_sought" in errors
    req.refresh_from_db()
    assert req.status == Status.DRAFT
    assert not StatusHistory.objects.filter(request=req).exists()


def test_emergency_needs_the_danger_described(make_request, lead_user):
    req = make_request(LegalBasis.EPOC, urgency="emergency", urgency_reason="")
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "submit", lead_user)
    assert "urgency_reason" in excinfo.value.message_dict


def test_ip_address_without_time_cannot_be_submitted(make_request, lead_user):
    req = make_request(
        LegalBasis.EIO, data=[{"kind": "ip_time", "value": "198.51.100.4", "provider": "X"}]
    )
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "submit", lead_user)
    assert "time" in " ".join(excinfo.value.message_dict["data_sought"])


def test_production_order_names_a_provider_for_each_item(make_request, lead_user):
    req = make_request(LegalBasis.EPOC, data=[{"kind": "domain", "value": "evil.example"}])
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "submit", lead_user)
    assert "provider" in " ".join(excinfo.value.message_dict["data_sought"])


def test_requested_side_actions_refused_to_the_requesting_side(sent_request, de_liaison):
    req = sent_request(LegalBasis.EIO)
    with pytest.raises(PermissionDenied):
        transition_request(req, "acknowledge", de_liaison)


def test_requested_side_investigator_may_not_acknowledge(sent_request, nl_investigator):
    req = sent_request(LegalBasis.EIO)
    with pytest.raises(PermissionDenied):
        transition_request(req, "acknowledge", nl_investigator)


def test_third_country_user_may_not_act(sent_request, outsider):
    req = sent_request(LegalBasis.EIO)
    with pytest.raises(PermissionDenied):
        transition_request(req, "acknowledge", outsider)


def test_illegal_transition_lists_the_allowed_actions(sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        transition_request(req, "fulfil", nl_liaison, comment="done")
    assert excinfo.value.allowed == ["acknowledge"]


def test_forward_moves_the_request_to_the_competent_agency(
    sent_request, nl_liaison, nl_prosecutor, nl_om_liaison, outsider
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    with pytest.raises(ValidationError):
        transition_request(req, "forward", nl_liaison, agency=outsider.agency)
    transition_request(req, "forward", nl_liaison, agency=nl_prosecutor)
    req.refresh_from_db()
    assert req.status == Status.RECEIVED
    assert req.executing_agency == nl_prosecutor
    # The forwarding agency still sees it but no longer acts; the new one does.
    assert AssistanceRequest.objects.restrict(nl_liaison).filter(pk=req.pk).exists()
    with pytest.raises(PermissionDenied):
        transition_request(req, "accept", nl_liaison)
    transition_request(req, "accept", nl_om_liaison)
    assert req.status == Status.IN_EXECUTION


def test_withdraw_needs_an_officer_or_the_drafter_of_a_draft(
    make_request, sent_request, lead_user, de_liaison
):
    draft = make_request(LegalBasis.EIO)
    transition_request(draft, "withdraw", lead_user, comment="Not needed after all.")
    assert draft.status == Status.WITHDRAWN
    req = sent_request(LegalBasis.EIO)
    with pytest.raises(PermissionDenied):
        transition_request(req, "withdraw", lead_user, comment="Case dropped.")
    transition_request(req, "withdraw", de_liaison, comment="Case dropped.")
    assert req.status == Status.WITHDRAWN
    with pytest.raises(TransitionNotAllowed):
        transition_request(req, "withdraw", de_liaison, comment="Again")


def test_stale_copy_loses_with_a_conflict(sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    stale = AssistanceRequest.objects.get(pk=req.pk)
    transition_request(req, "acknowledge", nl_liaison)
    with pytest.raises(ConcurrentChange):
        transition_request(stale, "acknowledge", nl_liaison)
    assert StatusHistory.objects.filter(request=req, action="acknowledge").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_acting_at_once_exactly_one_wins(
    require_postgres, sent_request, nl_liaison, nl_agency
):
    from tests.factories import UserFactory

    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    colleague = UserFactory(agency=nl_agency, role=nl_liaison.role)
    copies = [AssistanceRequest.objects.get(pk=req.pk) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def act(copy, user, action, comment):
        try:
            barrier.wait()
            transition_request(copy, action, user, comment=comment)
            outcomes.append("won")
        except (ConcurrentChange, TransitionNotAllowed):
            outcomes.append("409")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(copies[0], nl_liaison, "accept", "")),
        threading.Thread(target=act, args=(copies[1], colleague, "refuse", "Not our remit.")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "won"]
    req.refresh_from_db()
    assert req.status in (Status.IN_EXECUTION, Status.REFUSED)
    assert (
        StatusHistory.objects.filter(request=req)
        .exclude(action__in=["submit", "approve", "acknowledge"])
        .count()
        == 1
    )

"""Requests for assistance between nodes, on one node: what it sends when a request leaves
for an agency of another node or a step is taken here, and what it does with what that node
sends (a replica, its steps, refusals, applying twice, deadlines from the carried times).

This process is "fr-node"; "de-node" is a key made here that signs messages posted to the
inbox, as in test_shared_incidents."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.choices import Role
from coordination.assistance import actions
from coordination.assistance.choices import DataKind, LegalBasis, Measure, Status, Urgency
from coordination.assistance.models import (
    AssistanceRequest,
    DeadlinePolicy,
    RequestDeadline,
    StatusHistory,
)
from coordination.assistance.transitions import transition_request
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from coordination.federation.choices import InboxStatus
from coordination.federation.models import InboxMessage, OutboxMessage
from coordination.notifications.models import Notification
from incidents.choices import TLP, ParticipationRole
from incidents.models import Incident
from tests.factories import AgencyFactory, UserFactory, make_incident
from tests.federation.conftest import RemoteNode, make_remote_agency

pytestmark = [pytest.mark.federation, pytest.mark.django_db]


@pytest.fixture
def bka(remote):
    """An agency of de-node, in this node's directory."""
    return make_remote_agency(
        remote.peer, 7, "BKA", name="BKA Cybercrime", timezone="Europe/Berlin", mailbox="b@k.de"
    )


@pytest.fixture
def ofac(node, db):
    return AgencyFactory(
        short_name="OFAC", name="OFAC", country="FR", timezone="Europe/Paris", mailbox="o@f.fr"
    )


@pytest.fixture
def claire(ofac):
    return UserFactory(username="claire", agency=ofac, role=Role.INVESTIGATOR)


@pytest.fixture
def louis(ofac):
    return UserFactory(username="louis", agency=ofac, role=Role.LIAISON_OFFICER)


def draft_to(agency, by, **fields):
    values = {
        "legal_basis": LegalBasis.POLICE,
        "measures": [Measure.SUBSCRIBER],
        "urgency": Urgency.ROUTINE,
        "requested_country": agency.country.code,
        "receiving_agency": agency,
        "facts": "A phishing kit hosted in Frankfurt collects French bank logins.",
        "tlp": TLP.AMBER,
        **fields,
    }
    return actions.create_request(
        by, data_sought=[{"kind": DataKind.ACCOUNT, "value": "kit@example.net"}], **values
    )


def sent(type=None):
    messages = OutboxMessage.objects.order_by("pk")
    if type is not None:
        messages = messages.filter(type=type)
    return list(messages)


@pytest.fixture
def outgoing(claire, louis, bka):
    """A request of OFAC to BKA (de-node), sent."""
    request = draft_to(bka, claire)
    transition_request(request, "submit", claire)
    transition_request(request, "approve", louis)
    request.refresh_from_db()
    return request


def step_from_de(request_ref, step_id, action, from_status, to_status, *, at=None, **fields):
    return {
        "request": request_ref,
        "step": {"node": "de-node", "id": step_id},
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "at": (at or timezone.now()).isoformat(),
        "actor_name": "Hans Weber",
        "actor_agency": {"node": "de-node", "id": 7, "name": "BKA Cybercrime"},
        "actor_agency_name": "BKA Cybercrime",
        "comment": "",
        **fields,
    }


# Sending -------------------------------------------------------------------------------


def test_approving_a_request_to_an_agency_of_another_node_sends_it_on_its_own_stream(
    outgoing, remote, louis
):
    (message,) = sent()
    assert message.peer == remote.peer and message.type == "request.sent"
    assert message.stream == f"request:fr-node:{outgoing.pk}" and message.seq == 1
    body = message.body
    assert body["request"] == {"node": "fr-node", "id": outgoing.pk}
    assert body["reference"] == outgoing.reference
    assert body["receiving_agency"]["node"] == "de-node" and body["receiving_agency"]["id"] == 7
    assert body["requesting_agency"]["id"] == louis.agency_id
    assert (body["legal_basis"], body["measures"], body["tlp"]) == (
        "police",
        ["subscriber"],
        "amber",
    )
    assert body["data_sought"][0]["value"] == "kit@example.net"
    assert body["at"] == outgoing.sent_at.isoformat()
    assert body["actor_name"] == louis.display_name
    assert outgoing.status == Status.SENT


def test_the_requesting_node_mails_nobody_of_the_addressee(claire, louis, bka):
    # A person of de-node's agency known here (listed by its directory for TLP:RED).
    hans = UserFactory(
        username="de-node:hans",
        agency=bka,
        role=Role.LIAISON_OFFICER,
        is_active=False,
        listed_by_node=True,
    )
    request = draft_to(bka, claire)
    transition_request(request, "submit", claire)

    transition_request(request, "approve", louis)
    transition_request(request, "withdraw", louis, comment="Suspect identified")

    assert not Notification.objects.filter(recipient=hans).exists()
    assert not Notification.objects.filter(email="b@k.de").exists()
    assert Notification.objects.filter(recipient=claire).exists()  # the drafter hears of it


def test_an_amber_strict_request_never_leaves_the_node(claire, louis, bka):
    request = draft_to(bka, claire, tlp=TLP.AMBER)
    transition_request(request, "submit", claire)
    AssistanceRequest.objects.filter(pk=request.pk).update(tlp=TLP.AMBER_STRICT)
    request.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        transition_request(request, "approve", louis)

    assert "tlp" in refused.value.message_dict and "de-node" in str(refused.value)
    assert AssistanceRequest.objects.get(pk=request.pk).status == Status.PENDING_APPROVAL
    assert not sent()
    with pytest.raises(ValidationError):
        draft_to(bka, claire, tlp=TLP.AMBER_STRICT)


def test_a_red_request_leaves_for_its_addressee_without_its_case(claire, louis, bka, remote):
    incident = make_incident(claire, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    OutboxMessage.objects.all().delete()
    request = draft_to(bka, claire, tlp=TLP.RED)
    AssistanceRequest.objects.filter(pk=request.pk).update(incident=incident)
    request.refresh_from_db()
    transition_request(request, "submit", claire)

    transition_request(request, "approve", louis)

    (message,) = sent("request.sent")
    assert message.body["tlp"] == "red"


def test_requested_side_steps_are_refused_on_the_requesting_node_naming_its_node(
    outgoing, louis, login, api_login
):
    with pytest.raises(PermissionDenied, match="de-node"):
        transition_request(outgoing, "acknowledge", louis)

    page = login(louis).post(f"/requests/{outgoing.reference}/acknowledge/", {})
    api = api_login(louis).post(f"/api/v1/requests/{outgoing.reference}/accept/", {})

    assert page.status_code == 403 and "de-node" in page.content.decode()
    assert api.status_code in (403, 409)
    assert AssistanceRequest.objects.get(pk=outgoing.pk).status == Status.SENT
    assert len(sent()) == 1


# Steps of the requested node, on the requesting node --------------------------------------


def post_step(remote, post_message, request, seq, step_id, action, from_status, to_status, **kw):
    body = step_from_de(
        {"node": "fr-node", "id": request.pk}, step_id, action, from_status, to_status, **kw
    )
    return post_message(
        remote.message(
            seq, type="request.transition", stream=f"request:fr-node:{request.pk}", body=body
        )
    )


def test_steps_of_the_requested_node_are_applied_at_their_time_with_their_actor(
    outgoing, remote, post_message, bka, louis
):
    received = outgoing.sent_at + timedelta(hours=2)
    accepted = outgoing.sent_at + timedelta(hours=3)

    post_step(remote, post_message, outgoing, 1, 40, "acknowledge", "sent", "received",
              at=received, received_at=received.isoformat())  # fmt: skip
    post_step(remote, post_message, outgoing, 2, 41, "accept", "received", "in_execution",
              at=accepted, comment="Taken on")  # fmt: skip

    request = AssistanceRequest.objects.get(pk=outgoing.pk)
    assert request.status == Status.IN_EXECUTION
    assert request.received_at == received and request.accepted_at == accepted
    assert request.executing_agency == bka
    rows = list(request.history.filter(origin_node="de-node").order_by("at"))
    assert [(r.action, r.at, r.actor_name, r.actor_agency) for r in rows] == [
        ("acknowledge", received, "Hans Weber", bka),
        ("accept", accepted, "Hans Weber", bka),
    ]
    assert [r.origin_id for r in rows] == [40, 41]
    # The acknowledgement deadline is met at the other node's time, not at receipt here.
    acknowledge = RequestDeadline.objects.get(request=request, kind="acknowledge")
    assert acknowledge.met_at == received
    # No echo: nothing goes back for a step the other node took.
    assert len(sent()) == 1
    # The requesting agency's people hear of it from their own node.
    assert Notification.objects.filter(recipient=louis, channel="app").exists()


def test_a_requesting_side_step_from_the_requested_node_is_refused_and_audited(
    outgoing, remote, post_message
):
    post_step(remote, post_message, outgoing, 1, 50, "withdraw", "sent", "withdrawn",
              comment="Not ours to take")  # fmt: skip

    message = InboxMessage.objects.get()
    assert message.status == InboxStatus.REFUSED and "requesting side" in message.error
    assert AssistanceRequest.objects.get(pk=outgoing.pk).status == Status.SENT
    assert AuditRecord.objects.filter(action=AuditAction.MESSAGE_REFUSED).exists()


def test_a_step_of_an_agency_not_acting_on_the_request_is_refused(outgoing, remote, post_message):
    make_remote_agency(remote.peer, 8, "LKA")
    body_agency = {"node": "de-node", "id": 8, "name": "LKA"}
    post_step(remote, post_message, outgoing, 1, 51, "acknowledge", "sent", "received",
              actor_agency=body_agency, received_at=timezone.now().isoformat())  # fmt: skip

    assert InboxMessage.objects.get().status == InboxStatus.REFUSED
    assert AssistanceRequest.objects.get(pk=outgoing.pk).status == Status.SENT


def test_a_step_applied_twice_changes_nothing(outgoing, remote, post_message):
    at = outgoing.sent_at + timedelta(hours=1)
    for seq in (1, 2):
        post_step(remote, post_message, outgoing, seq, 60, "acknowledge", "sent", "received",
                  at=at, received_at=at.isoformat())  # fmt: skip

    request = AssistanceRequest.objects.get(pk=outgoing.pk)
    assert request.status == Status.RECEIVED and request.version == outgoing.version + 1
    assert request.history.filter(action="acknowledge").count() == 1
    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.APPLIED}


def test_the_answer_taken_here_goes_to_the_requested_node(outgoing, remote, post_message, claire):
    at = outgoing.sent_at + timedelta(minutes=30)
    post_step(remote, post_message, outgoing, 1, 70, "acknowledge", "sent", "received",
              at=at, received_at=at.isoformat())  # fmt: skip
    post_step(remote, post_message, outgoing, 2, 71, "ask_information", "received",
              "awaiting_information", at=at, comment="Which bank?")  # fmt: skip
    request = AssistanceRequest.objects.get(pk=outgoing.pk)

    row = transition_request(request, "answer", claire, comment="Banque Exemple")

    message = sent("request.transition")[-1]
    assert message.stream == f"request:fr-node:{request.pk}" and message.seq == 2
    assert message.body["action"] == "answer" and message.body["comment"] == "Banque Exemple"
    assert message.body["step"] == {"node": "fr-node", "id": row.pk}
    assert (message.body["from_status"], message.body["to_status"]) == (
        "awaiting_information",
        "received",
    )


def test_a_step_from_another_state_than_the_one_here_is_refused(outgoing, remote, post_message):
    post_step(remote, post_message, outgoing, 1, 80, "accept", "received", "in_execution")

    message = InboxMessage.objects.get()
    assert message.status == InboxStatus.REFUSED
    assert AssistanceRequest.objects.get(pk=outgoing.pk).status == Status.SENT


# Receiving a request -------------------------------------------------------------------


def sent_from_de(ofac, *, request_id=31, at=None, tlp="amber", incident=None, **fields):
    at = at or timezone.now()
    return {
        "request": {"node": "de-node", "id": request_id},
        "reference": "MLA-2026-0031",
        "legal_basis": "police",
        "measures": ["subscriber"],
        "urgency": "routine",
        "requesting_agency": {"node": "de-node", "id": 7, "name": "BKA Cybercrime"},
        "receiving_agency": {"node": "fr-node", "id": ofac.pk, "name": "OFAC"},
        "requested_country": "FR",
        "urgency_reason": "",
        "facts": "A botnet's C2 runs on a VPS in Roubaix.",
        "offences": "",
        "dual_criminality": "",
        "confidentiality_reason": "",
        "issuer_deadline_reason": "",
        "provisional_measures_detail": "",
        "tlp": tlp,
        "confidentiality_requested": False,
        "issuer_deadline": None,
        "provisional_measures": False,
        "incident": incident,
        "incident_reference": "CC-2026-000055" if incident else "",
        "data_sought": [
            {
                "kind": "ip_time",
                "value": "198.51.100.4",
                "observed_at": at.isoformat(),
                "provider": "OVH",
                "note": "",
            }
        ],
        "policy_hours": {},
        "created_at": at.isoformat(),
        "step": {"node": "de-node", "id": 90},
        "action": "approve",
        "from_status": "pending_approval",
        "to_status": "sent",
        "at": at.isoformat(),
        "actor_name": "Hans Weber",
        "actor_agency": {"node": "de-node", "id": 7, "name": "BKA Cybercrime"},
        "actor_agency_name": "BKA Cybercrime",
        **fields,
    }


STREAM = "request:de-node:31"
DE_REQUEST = {"node": "de-node", "id": 31}


@pytest.fixture
def receive(remote, post_message, bka, ofac):
    def _receive(seq=1, **fields):
        body = sent_from_de(ofac, **fields)
        return post_message(remote.message(seq, type="request.sent", stream=STREAM, body=body))

    return _receive


@pytest.fixture
def replica(receive):
    receive(incident={"node": "de-node", "id": 55})
    return AssistanceRequest.objects.get(origin_node="de-node", origin_id=31)


@pytest.fixture
def officer(ofac):
    return UserFactory(username="odile", agency=ofac, role=Role.LIAISON_OFFICER)


def test_a_request_from_another_node_becomes_a_replica_addressed_to_the_local_agency(
    officer, replica, bka, ofac
):
    assert replica.requesting_agency == bka and replica.receiving_agency == ofac
    assert replica.status == Status.SENT and replica.origin_reference == "MLA-2026-0031"
    assert replica.reference != "MLA-2026-0031" and replica.reference.startswith("MLA-")
    # The case is not shared with this node: no link, its reference on the lead's node kept.
    assert replica.incident is None and replica.origin_incident_reference == "CC-2026-000055"
    assert [d.value for d in replica.data_sought.all()] == ["198.51.100.4"]
    (row,) = replica.history.all()
    assert (row.action, row.actor_name, row.actor_agency, row.origin_node) == (
        "approve", "Hans Weber", bka, "de-node",
    )  # fmt: skip
    assert AssistanceRequest.objects.restrict(officer).filter(pk=replica.pk).exists()
    # Its people hear of it from their own node, with a link here.
    notice = Notification.objects.get(recipient=officer, channel="app")
    assert notice.link == replica.get_absolute_url()
    assert Notification.objects.filter(email="o@f.fr").exists()  # its functional mailbox
    assert not sent()


def test_a_request_about_a_case_shared_with_this_node_is_linked_to_its_replica(
    remote, post_message, bka, ofac, receive
):
    from tests.federation.test_shared_incidents import state_from_de

    post_message(
        remote.message(1, type="incident.state", stream="incident:de-node:55",
                       body=state_from_de(ofac, bka))
    )  # fmt: skip
    case = Incident.objects.get(origin_node="de-node", origin_id=55)

    receive(incident={"node": "de-node", "id": 55})

    assert AssistanceRequest.objects.get(origin_node="de-node").incident == case


def test_a_red_request_is_not_linked_to_the_shared_case(remote, post_message, bka, ofac, receive):
    from tests.federation.test_shared_incidents import state_from_de

    post_message(
        remote.message(1, type="incident.state", stream="incident:de-node:55",
                       body=state_from_de(ofac, bka))
    )  # fmt: skip

    receive(incident={"node": "de-node", "id": 55}, tlp="red")

    request = AssistanceRequest.objects.get(origin_node="de-node")
    assert request.tlp == TLP.RED and request.incident is None


def test_an_amber_strict_request_is_refused_by_the_receiver(receive):
    receive(tlp="amber+strict")

    assert InboxMessage.objects.get().status == InboxStatus.REFUSED
    assert not AssistanceRequest.objects.exists()


def test_a_request_naming_another_nodes_agency_as_requesting_is_refused(receive):
    spain = RemoteNode("es-node")
    spain.register()
    make_remote_agency(spain.peer, 1, "CCN", country="ES")

    receive(requesting_agency={"node": "es-node", "id": 1, "name": "CCN"})

    assert InboxMessage.objects.get().status == InboxStatus.REFUSED
    assert not AssistanceRequest.objects.exists()


def test_a_request_from_an_agency_not_yet_in_the_directory_waits(receive, remote):
    receive(1, requesting_agency={"node": "de-node", "id": 99, "name": "New unit"})
    assert InboxMessage.objects.get().status == InboxStatus.FAILED

    make_remote_agency(remote.peer, 99, "NEW")
    receive(2, requesting_agency={"node": "de-node", "id": 99, "name": "New unit"})

    assert AssistanceRequest.objects.get(origin_node="de-node").requesting_agency.remote_id == 99
    assert list(InboxMessage.objects.order_by("seq").values_list("status", flat=True)) == [
        InboxStatus.APPLIED,
        InboxStatus.APPLIED,
    ]


def test_the_sweep_applies_again_a_request_that_waited_for_the_directory(receive, remote):
    from coordination.federation import tasks

    receive(1, requesting_agency={"node": "de-node", "id": 99, "name": "New unit"})
    make_remote_agency(remote.peer, 99, "NEW")  # the directory message arrives

    tasks.apply_stream(remote.peer.pk, STREAM)  # what the sweep queues for a failed stream

    assert AssistanceRequest.objects.get(origin_node="de-node").requesting_agency.remote_id == 99
    assert InboxMessage.objects.get().status == InboxStatus.APPLIED


def test_a_node_admins_retry_applies_again_what_waited_for_the_directory(receive, remote, login):
    admin = UserFactory(username="node-admin", is_staff=True, agency=None)
    receive(1, requesting_agency={"node": "de-node", "id": 99, "name": "New unit"})
    make_remote_agency(remote.peer, 99, "NEW")

    login(admin).post(f"/federation/peers/{remote.peer.pk}/retry/")

    assert InboxMessage.objects.get().status == InboxStatus.APPLIED


def test_the_sweep_lists_each_stream_whose_next_message_failed(receive, remote):
    from coordination.federation.inbox import failed_streams

    receive(1, requesting_agency={"node": "de-node", "id": 99, "name": "New unit"})

    assert failed_streams() == [(remote.peer.pk, STREAM)]


def test_a_request_received_twice_is_kept_once(receive):
    receive(1)
    receive(2)

    assert AssistanceRequest.objects.filter(origin_node="de-node").count() == 1
    assert StatusHistory.objects.count() == 1
    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.APPLIED}


def test_a_step_taken_on_the_replica_goes_back_to_the_requesting_node(replica, officer, remote):
    row = transition_request(replica, "acknowledge", officer)

    (message,) = sent()
    assert message.peer == remote.peer and message.type == "request.transition"
    assert message.stream == STREAM
    assert message.body["request"] == DE_REQUEST
    assert message.body["step"] == {"node": "fr-node", "id": row.pk}
    assert message.body["received_at"] == replica.received_at.isoformat()
    assert message.body["actor_agency"]["node"] == "fr-node"


def test_forward_on_the_replica_stays_within_this_node(replica, officer, ofac):
    transition_request(replica, "acknowledge", officer)
    other_here = AgencyFactory(short_name="GN", country="FR")
    remote_french = make_remote_agency(replica.requesting_agency.node, 9, "X", country="FR")

    with pytest.raises(ValidationError):
        transition_request(replica, "forward", officer, agency=remote_french)
    transition_request(replica, "forward", officer, agency=other_here)

    message = sent()[-1]
    assert message.body["action"] == "forward"
    assert message.body["agency"]["id"] == other_here.pk


def test_requesting_side_steps_are_refused_on_the_replica_naming_the_requesting_node(
    replica, officer, login, api_login, bka
):
    transition_request(replica, "acknowledge", officer)
    transition_request(replica, "ask_information", officer, comment="Which hours?")
    replica.refresh_from_db()
    someone_of_bka = UserFactory(agency=bka, role=Role.LIAISON_OFFICER)

    for user in (officer, someone_of_bka):
        with pytest.raises(PermissionDenied, match="de-node"):
            transition_request(replica, "answer", user, comment="Nights")
    page = login(officer).post(f"/requests/{replica.reference}/withdraw/", {"comment": "x"})
    api = api_login(officer).post(f"/api/v1/requests/{replica.reference}/answer/", {"comment": "x"})

    assert page.status_code == 403 and "de-node" in page.content.decode()
    assert api.status_code == 403 and "de-node" in api.json()["detail"]
    assert AssistanceRequest.objects.get(pk=replica.pk).status == Status.AWAITING_INFORMATION


def test_a_requested_side_step_sent_by_the_requesting_node_is_refused(
    replica, remote, post_message
):
    body = step_from_de(DE_REQUEST, 91, "accept", "sent", "in_execution")

    post_message(remote.message(2, type="request.transition", stream=STREAM, body=body))

    assert InboxMessage.objects.get(seq=2).status == InboxStatus.REFUSED
    assert AssistanceRequest.objects.get(pk=replica.pk).status == Status.SENT


def test_the_requesting_nodes_answer_and_close_are_applied_on_the_replica(
    replica, officer, remote, post_message
):
    transition_request(replica, "acknowledge", officer)
    transition_request(replica, "ask_information", officer, comment="Which hours?")
    answered = timezone.now()

    post_message(
        remote.message(2, type="request.transition", stream=STREAM,
                       body=step_from_de(DE_REQUEST, 92, "answer", "awaiting_information",
                                         "received", at=answered, comment="Nights"))
    )  # fmt: skip

    request = AssistanceRequest.objects.get(pk=replica.pk)
    assert request.status == Status.RECEIVED and request.information_answered_at == answered
    assert request.history.get(origin_id=92).comment == "Nights"
    assert len(sent()) == 2  # the two steps taken here, nothing echoed


# Deadlines ------------------------------------------------------------------------------


def test_the_replicas_deadlines_run_from_the_requesting_nodes_times_and_policy(
    remote, post_message, bka, ofac
):
    sent_at = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    body = sent_from_de(ofac, at=sent_at, policy_hours={"police|acknowledge|routine": 6})

    post_message(remote.message(1, type="request.sent", stream=STREAM, body=body))

    request = AssistanceRequest.objects.get(origin_node="de-node")
    acknowledge = RequestDeadline.objects.get(request=request, kind="acknowledge")
    answer = RequestDeadline.objects.get(request=request, kind="answer")
    assert acknowledge.clock_started_at == sent_at == answer.clock_started_at
    assert acknowledge.due_at == sent_at + timedelta(hours=6)  # the requesting agency's policy
    assert answer.due_at == sent_at + timedelta(days=7)
    assert request.due_at == acknowledge.due_at


def test_a_request_leaving_the_node_carries_its_agencys_policy_numbers(claire, louis, bka, ofac):
    DeadlinePolicy.objects.create(
        agency=ofac, legal_basis="police", kind="acknowledge", urgency="routine", hours=6
    )
    request = draft_to(bka, claire)
    transition_request(request, "submit", claire)

    transition_request(request, "approve", louis)

    request.refresh_from_db()
    assert request.policy_hours == {"police|acknowledge|routine": 6}
    assert sent()[0].body["policy_hours"] == {"police|acknowledge|routine": 6}
    due = RequestDeadline.objects.get(request=request, kind="acknowledge").due_at
    assert due == request.sent_at + timedelta(hours=6)


def test_deadlines_owed_by_the_other_node_are_not_escalated_here(outgoing, replica):
    theirs = RequestDeadline.objects.filter(request=outgoing, party="requested")
    mine = RequestDeadline.objects.filter(request=replica, party="requested")

    assert theirs.exists() and not theirs.filter(escalate_at__isnull=False).exists()
    assert mine.exists() and not mine.filter(escalate_at__isnull=True).exists()


def test_the_replicas_page_names_the_requesting_node_and_the_case_reference_there(
    officer, replica, login
):
    response = login(officer).get(replica.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "de-node" in page and "MLA-2026-0031" in page and "CC-2026-000055" in page
    assert f"/requests/{replica.reference}/answer/" not in page
    assert f"/requests/{replica.reference}/acknowledge/" in page


def test_the_sent_requests_page_says_its_steps_are_taken_on_the_other_node(outgoing, louis, login):
    page = login(louis).get(outgoing.get_absolute_url()).content.decode()

    assert "on the node de-node" in page
    assert f"/requests/{outgoing.reference}/acknowledge/" not in page
    assert f"/requests/{outgoing.reference}/withdraw/" in page


def test_the_api_names_the_other_node_of_a_request(officer, replica, api_login):
    response = api_login(officer).get(f"/api/v1/requests/{replica.reference}/")

    body = response.json()
    assert response.status_code == 200
    assert (body["other_node"], body["origin_reference"]) == ("de-node", "MLA-2026-0031")
    assert "answer" not in body["allowed_actions"] and "acknowledge" in body["allowed_actions"]


def test_a_delay_notice_is_refused_on_a_request_between_nodes(officer, replica):
    from coordination.assistance import delays

    assert "de-node" in delays.refusal(replica, officer)


DEADLINE_COLUMNS = (
    "kind", "party", "counting", "zone", "holiday_country", "clock_started_at", "due_at",
    "legal_due_at", "extended_at", "paused_at", "restarted_at", "met_at", "ended_at",
)  # fmt: skip


def test_deadlines_from_the_carried_times_equal_those_of_one_node(
    claire, louis, bka, remote, post_message
):
    """The same life twice: once addressed to BKA on de-node, whose steps arrive here later
    carrying their times, once to a German agency of this node taking its steps here at those
    times. Both requests hold the same deadline rows."""
    import time_machine

    here = AgencyFactory(
        short_name="BKA-HERE", name="BKA", country="DE", timezone="Europe/Berlin", mailbox=""
    )
    hans = UserFactory(agency=here, role=Role.LIAISON_OFFICER)
    t0 = timezone.now().replace(microsecond=0) - timedelta(days=20)
    at = {
        "approve": t0,
        "acknowledge": t0 + timedelta(hours=30),
        "accept": t0 + timedelta(days=2),
        "ask_information": t0 + timedelta(days=3, hours=5),
        "answer": t0 + timedelta(days=6, hours=1),
        "fulfil": t0 + timedelta(days=12),
    }
    fields = {
        "legal_basis": LegalBasis.BUDAPEST_MLA,
        "offences": "Art. 323-1 Code pénal.",
        "dual_criminality": "§ 202a StGB.",
    }
    with time_machine.travel(t0 - timedelta(hours=1), tick=False):
        requests = [draft_to(bka, claire, **fields), draft_to(here, claire, **fields)]
        for request in requests:
            transition_request(request, "submit", claire)
    federated, local = requests
    seq = 0
    statuses = {
        "acknowledge": ("sent", "received"),
        "accept": ("received", "in_execution"),
        "ask_information": ("in_execution", "awaiting_information"),
        "fulfil": ("in_execution", "fulfilled"),
    }
    for action, moment in at.items():
        with time_machine.travel(moment, tick=False):
            local.refresh_from_db()
            federated.refresh_from_db()
            if action in ("approve", "answer"):
                for request in (federated, local):
                    transition_request(request, action, louis, comment="Done")
                continue
            transition_request(local, action, hans, comment="Done")
            seq += 1
            extra = {"received_at": moment.isoformat()} if action == "acknowledge" else {}
            post_step(remote, post_message, federated, seq, 100 + seq, action,
                      *statuses[action], at=moment, comment="Done", **extra)  # fmt: skip

    assert AssistanceRequest.objects.get(pk=federated.pk).status == Status.FULFILLED
    rows = [
        list(RequestDeadline.objects.filter(request=r).order_by("kind").values(*DEADLINE_COLUMNS))
        for r in (federated, local)
    ]
    assert [row["kind"] for row in rows[0]] == ["acknowledge", "execute"]
    assert rows[0] == rows[1]
    assert rows[0][1]["paused_at"] is None and rows[0][1]["due_at"] != rows[0][1]["legal_due_at"]

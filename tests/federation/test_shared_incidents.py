"""Shared incidents across nodes, on one node: what it sends (TLP applied, in order, to the
right nodes) and what it does with what it receives (replicas, authority, idempotence).

This process is "fr-node"; "de-node" (and "es-node") are keys made here that sign messages
posted to the inbox, as in test_inbox."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from coordination.federation import actions as peer_actions
from coordination.federation.choices import InboxStatus
from coordination.federation.models import InboxMessage, OutboxMessage
from coordination.intel import actions as intel_actions
from coordination.intel.models import Indicator
from incidents import actions
from incidents.choices import TLP, Action, ParticipationRole, Status
from incidents.evidence import actions as evidence_actions
from incidents.models import Evidence, Incident, Participation, TimelineEntry
from incidents.permissions import allowed_actions
from tests.factories import AgencyFactory, UserFactory, make_incident
from tests.federation.conftest import RemoteNode, lead_stream

pytestmark = [pytest.mark.federation, pytest.mark.django_db]


def sent(peer=None, type=None):
    messages = OutboxMessage.objects.order_by("pk")
    if peer is not None:
        messages = messages.filter(peer=peer)
    if type is not None:
        messages = messages.filter(type=type)
    return list(messages)


# Sending -------------------------------------------------------------------------------


def test_inviting_a_remote_agency_sends_the_case_then_its_timeline_on_one_stream(
    investigator, bka, remote
):
    incident = make_incident(investigator)

    actions.share_incident(incident, bka, ParticipationRole.CONTRIBUTOR, investigator)

    messages = sent(remote.peer)
    assert [m.type for m in messages] == [
        "incident.state",
        "incident.entry",  # filed
        "incident.entry",  # BKA invited, written after the case went
    ]
    assert {m.stream for m in messages} == {f"incident:fr-node:{incident.pk}"}
    assert [m.seq for m in messages] == [1, 2, 3]
    state = messages[0].body
    assert state["incident"] == {"node": "fr-node", "id": incident.pk}
    assert state["lead"]["node"] == "fr-node" and state["status"] == "open"
    assert {(p["agency"]["node"], p["agency"]["id"], p["role"]) for p in state["participants"]} == {
        ("fr-node", investigator.agency_id, "lead"),
        ("de-node", 7, "contributor"),
    }
    assert messages[2].body["event"] == "participation.invited"


def test_status_change_sends_the_entry_and_the_new_state(investigator, bka, remote):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    before = len(sent(remote.peer))

    actions.change_status(incident, investigator, Status.INVESTIGATING)

    new = sent(remote.peer)[before:]
    assert [m.type for m in new] == ["incident.entry", "incident.state"]
    assert new[1].body["status"] == "investigating"


def test_edited_details_reach_the_participating_nodes(investigator, bka, remote):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])

    actions.update_incident(incident, investigator, title="Botnet takedown, phase 2")

    assert sent(remote.peer, "incident.state")[-1].body["title"] == "Botnet takedown, phase 2"


def test_amber_strict_entry_never_leaves_the_node(investigator, bka, remote):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    before = len(sent())

    actions.add_timeline_entry(incident, investigator, "Source name", tlp=TLP.AMBER_STRICT)

    assert len(sent()) == before


def test_red_entry_goes_only_to_the_nodes_of_its_named_recipients(
    investigator, bka, remote, ofac, spain, ccn
):
    incident = make_incident(
        investigator,
        shared_with=[(bka, ParticipationRole.CONTRIBUTOR), (ccn, ParticipationRole.CONTRIBUTOR)],
    )
    colleague = UserFactory(username="marc", agency=ofac)
    # A person of de-node, as its directory lists them here.
    hans = UserFactory(username="de-node:hans", agency=bka, is_active=False, listed_by_node=True)
    only_local = actions.add_timeline_entry(
        incident, investigator, "Local only", tlp=TLP.RED, audience=[colleague]
    )
    before_de, before_es = len(sent(remote.peer)), len(sent(spain.peer))

    named = actions.add_timeline_entry(
        incident, investigator, "For Hans", tlp=TLP.RED, audience=[colleague, hans]
    )

    to_de = sent(remote.peer)[before_de:]
    assert [m.body["entry"]["id"] for m in to_de] == [named.pk]
    assert to_de[0].body["audience"] == ["hans"]  # and no one else there
    assert sent(spain.peer)[before_es:] == []
    assert only_local.pk not in [m.body.get("entry", {}).get("id") for m in sent()]


def test_case_above_amber_is_not_shared_with_another_node(investigator, bka, remote):
    incident = make_incident(investigator, tlp=TLP.AMBER_STRICT)

    with pytest.raises(ValidationError) as refused:
        actions.share_incident(incident, bka, ParticipationRole.CONTRIBUTOR, investigator)

    assert "agency" in refused.value.message_dict
    assert not Participation.objects.filter(agency=bka).exists() and not sent()


def test_a_shared_case_cannot_be_marked_above_amber(investigator, bka, remote):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])

    with pytest.raises(ValidationError) as refused:
        actions.update_incident(incident, investigator, tlp=TLP.RED)

    assert "tlp" in refused.value.message_dict
    assert Incident.objects.get(pk=incident.pk).tlp == TLP.AMBER


def test_indicator_and_evidence_register_entry_travel_without_the_file(investigator, bka, remote):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])

    indicator, _created = intel_actions.add_indicator(incident, investigator, value="Evil.Example")
    evidence = evidence_actions.create_evidence(
        incident,
        investigator,
        title="Disk image",
        kind="disk_image",
        sha256="a" * 64,
        acquired_at=timezone.now(),
        acquired_by_name="Claire",
        acquired_where="Paris",
    )

    (indicator_message,) = sent(remote.peer, "incident.indicator")
    assert indicator_message.body["value"] == "evil.example"
    assert indicator_message.body["indicator"] == {"node": "fr-node", "id": indicator.pk}
    (evidence_message,) = sent(remote.peer, "incident.evidence")
    assert evidence_message.body["sha256"] == "a" * 64
    assert evidence_message.body["reference"] == evidence.reference
    assert "file_path" not in evidence_message.body


def test_removed_agency_node_gets_the_state_without_it(investigator, bka, remote):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    participation = Participation.objects.get(incident=incident, agency=bka)

    actions.remove_participation(participation, investigator)

    last_state = sent(remote.peer, "incident.state")[-1]
    assert [p["agency"]["node"] for p in last_state.body["participants"]] == ["fr-node"]


def test_without_federation_nothing_is_written_and_remote_agencies_are_not_invited(
    settings, investigator, bka
):
    settings.FEDERATION_NODE_NAME = ""
    incident = make_incident(investigator)

    actions.add_timeline_entry(incident, investigator, "Note")
    with pytest.raises(ValidationError):
        actions.share_incident(incident, bka, ParticipationRole.CONTRIBUTOR, investigator)

    assert not OutboxMessage.objects.exists()


# Receiving -----------------------------------------------------------------------------


def state_from_de(ofac, bka, *, incident_id=55, status="open", role="contributor", **fields):
    return {
        "incident": {"node": "de-node", "id": incident_id},
        "reference": "CC-2026-000055",
        "title": "Botnet takedown",
        "summary": "C2 servers in three countries.",
        "category": "malicious-code",
        "severity": "high",
        "tlp": "amber",
        "status": status,
        "is_exercise": False,
        "affected_countries": ["DE", "FR"],
        "detected_at": None,
        "created_at": timezone.now().isoformat(),
        "lead": {"node": "de-node", "id": 7},
        "participants": [
            {"agency": {"node": "de-node", "id": 7}, "role": "lead"},
            {"agency": {"node": "fr-node", "id": ofac.pk}, "role": role},
        ],
        **fields,
    }


def entry_from(node, entry_id, incident_ref, *, tlp="amber", agency=None, **fields):
    return {
        "incident": incident_ref,
        "entry": {"node": node, "id": entry_id},
        "kind": "note",
        "body": f"Entry {entry_id}",
        "event": "",
        "params": {},
        "tlp": tlp,
        "occurred_at": timezone.now().isoformat(),
        "recorded_at": timezone.now().isoformat(),
        "author_name": "Hans",
        "author_agency": agency,
        "corrects": None,
        "audience": [],
        **fields,
    }


DE_CASE = {"node": "de-node", "id": 55}
STREAM = "incident:de-node:55"


@pytest.fixture
def replica(remote, post_message, bka, ofac):
    post_message(
        remote.message(1, type="incident.state", stream=STREAM, body=state_from_de(ofac, bka))
    )
    return Incident.objects.get(origin_node="de-node", origin_id=55)


def test_state_from_the_lead_node_makes_a_replica_its_agency_works_in(
    replica, bka, ofac, investigator
):
    assert replica.lead_agency == bka and replica.origin_reference == "CC-2026-000055"
    assert set(replica.participations.values_list("agency_id", "role")) == {
        (bka.pk, "lead"),
        (ofac.pk, "contributor"),
    }
    assert allowed_actions(investigator, replica) == {Action.VIEW, Action.CONTRIBUTE}
    assert Incident.objects.restrict(investigator).filter(pk=replica.pk).exists()


def test_replica_refuses_status_and_invitations_naming_the_lead_node(replica, investigator, login):
    with pytest.raises(PermissionDenied, match="de-node"):
        actions.change_status(replica, investigator, Status.INVESTIGATING)
    other = AgencyFactory(short_name="GN")
    with pytest.raises(PermissionDenied, match="de-node"):
        actions.share_incident(replica, other, ParticipationRole.OBSERVER, investigator)

    response = login(investigator).post(
        f"/incidents/{replica.reference}/status/", {"status": "investigating"}
    )

    assert response.status_code == 403
    assert "de-node" in response.content.decode()
    assert Incident.objects.get(pk=replica.pk).status == Status.OPEN
    assert not OutboxMessage.objects.exists()


def test_note_written_on_the_replica_goes_to_the_lead_node_alone(replica, investigator, remote):
    spain = RemoteNode("es-node")
    spain.register()

    entry = actions.add_timeline_entry(replica, investigator, "Seen from Paris")

    (message,) = sent()
    assert message.peer == remote.peer and message.type == "incident.entry"
    assert message.stream == STREAM
    assert message.body["entry"] == {"node": "fr-node", "id": entry.pk}
    assert message.body["incident"] == DE_CASE


def test_applying_the_same_state_and_entry_twice_changes_nothing(
    replica, remote, post_message, bka, ofac
):
    body = entry_from("de-node", 900, DE_CASE)
    post_message(remote.message(2, type="incident.entry", stream=STREAM, body=body))

    post_message(remote.message(3, type="incident.entry", stream=STREAM, body=body))
    post_message(
        remote.message(4, type="incident.state", stream=STREAM, body=state_from_de(ofac, bka))
    )

    assert TimelineEntry.objects.filter(origin_node="de-node", origin_id=900).count() == 1
    assert Incident.objects.filter(origin_node="de-node").count() == 1
    assert replica.participations.count() == 2
    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.APPLIED}


def test_entries_of_a_case_are_applied_in_stream_order(replica, remote, post_message):
    later = entry_from("de-node", 902, DE_CASE, body="Second")
    earlier = entry_from("de-node", 901, DE_CASE, body="First")

    held = post_message(remote.message(3, type="incident.entry", stream=STREAM, body=later))
    assert held.status_code == 200 and not TimelineEntry.objects.filter(origin_id=902).exists()
    post_message(remote.message(2, type="incident.entry", stream=STREAM, body=earlier))

    applied = TimelineEntry.objects.filter(origin_node="de-node").order_by("pk")
    assert [e.body for e in applied] == ["First", "Second"]


def test_state_about_a_case_led_elsewhere_is_refused_and_audited(remote, post_message, bka, ofac):
    body = state_from_de(ofac, bka, incident={"node": "es-node", "id": 1})

    response = post_message(
        remote.message(1, type="incident.state", stream="incident:x", body=body)
    )

    assert response.status_code == 200
    message = InboxMessage.objects.get()
    assert message.status == InboxStatus.REFUSED and "lead" in message.error
    assert not Incident.objects.exists()
    assert AuditRecord.objects.filter(action=AuditAction.MESSAGE_REFUSED).exists()
    # The stream moves on past a refused message.
    ok = state_from_de(ofac, bka, incident={"node": "de-node", "id": 2})
    post_message(remote.message(2, type="incident.state", stream="incident:x", body=ok))
    assert Incident.objects.filter(origin_id=2).exists()


def test_amber_strict_and_unnamed_red_entries_are_refused_by_the_receiver(
    replica, remote, post_message
):
    strict = entry_from("de-node", 910, DE_CASE, tlp="amber+strict")
    red = entry_from("de-node", 911, DE_CASE, tlp="red", audience=["nobody"])

    post_message(remote.message(2, type="incident.entry", stream=STREAM, body=strict))
    post_message(remote.message(3, type="incident.entry", stream=STREAM, body=red))

    assert not TimelineEntry.objects.filter(origin_id__in=[910, 911]).exists()
    assert list(InboxMessage.objects.filter(seq__gt=1).values_list("status", flat=True)) == [
        InboxStatus.REFUSED,
        InboxStatus.REFUSED,
    ]


def test_red_entry_is_shown_to_its_named_recipient_alone(
    replica, remote, post_message, investigator, ofac
):
    colleague = UserFactory(username="marc", agency=ofac)
    red = entry_from("de-node", 912, DE_CASE, tlp="red", audience=["claire"])

    post_message(remote.message(2, type="incident.entry", stream=STREAM, body=red))

    entry = TimelineEntry.objects.get(origin_id=912)
    visible = TimelineEntry.objects.filter(pk=entry.pk)
    assert visible.visible_to(investigator).exists()
    assert not visible.visible_to(colleague).exists()


def test_lead_node_applies_a_contributors_entry_and_sends_it_on_to_the_other_nodes(
    bka, remote, post_message, spain, led_here
):
    incident = led_here
    case, stream = lead_stream(incident)
    body = entry_from("de-node", 77, case, agency={"node": "de-node", "id": 7})
    before_de, before_es = len(sent(remote.peer)), len(sent(spain.peer))

    post_message(remote.message(1, type="incident.entry", stream=stream, body=body))

    entry = TimelineEntry.objects.get(origin_node="de-node", origin_id=77)
    assert entry.incident == incident and entry.author_agency == bka
    relayed = sent(spain.peer)[before_es:]
    assert [m.body["entry"] for m in relayed] == [{"node": "de-node", "id": 77}]
    assert sent(remote.peer)[before_de:] == []  # not back to its author's node


def test_lead_node_refuses_entries_from_an_observer_node(investigator, bka, remote, post_message):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.OBSERVER)])
    body = entry_from(
        "de-node", 78, {"node": "fr-node", "id": incident.pk}, agency={"node": "de-node", "id": 7}
    )

    post_message(
        remote.message(
            1, type="incident.entry", stream=f"incident:fr-node:{incident.pk}", body=body
        )
    )

    assert InboxMessage.objects.get().status == InboxStatus.REFUSED
    assert not TimelineEntry.objects.filter(origin_node="de-node").exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (ParticipationRole.CONTRIBUTOR, InboxStatus.APPLIED),
        (ParticipationRole.OBSERVER, InboxStatus.REFUSED),
    ],
)
def test_lead_node_takes_an_automatic_entry_without_agency_from_a_contributing_node_only(
    investigator, bka, remote, post_message, role, status
):
    # A scheduled custody check on de-node found a broken chain: nobody wrote the alert.
    incident = make_incident(investigator, shared_with=[(bka, role)])
    body = entry_from(
        "de-node", 79, {"node": "fr-node", "id": incident.pk}, kind="custody",
        author_name="Concord", body="**Integrity alert**",
    )  # fmt: skip

    post_message(
        remote.message(
            1, type="incident.entry", stream=f"incident:fr-node:{incident.pk}", body=body
        )
    )

    assert InboxMessage.objects.get().status == status
    taken = TimelineEntry.objects.filter(origin_node="de-node", origin_id=79)
    assert taken.exists() == (status == InboxStatus.APPLIED)


def test_lead_node_refuses_a_note_without_agency(investigator, bka, remote, post_message):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    body = entry_from("de-node", 80, {"node": "fr-node", "id": incident.pk})

    post_message(
        remote.message(
            1, type="incident.entry", stream=f"incident:fr-node:{incident.pk}", body=body
        )
    )

    assert InboxMessage.objects.get().status == InboxStatus.REFUSED


def test_a_replicated_entry_is_corrected_on_its_authors_node_only(
    replica, remote, post_message, investigator
):
    post_message(
        remote.message(
            2, type="incident.entry", stream=STREAM, body=entry_from("de-node", 920, DE_CASE)
        )
    )
    theirs = TimelineEntry.objects.get(origin_id=920)

    with pytest.raises(ValidationError) as refused:
        actions.add_timeline_entry(replica, investigator, "Wrong", corrects=theirs)

    assert "corrects" in refused.value.message_dict


def test_a_replicas_page_offers_to_correct_only_the_notes_written_on_this_node(
    replica, remote, post_message, investigator, login
):
    post_message(
        remote.message(
            2, type="incident.entry", stream=STREAM, body=entry_from("de-node", 920, DE_CASE)
        )
    )
    theirs = TimelineEntry.objects.get(origin_id=920)
    ours = actions.add_timeline_entry(replica, investigator, "Our note")

    page = login(investigator).get(replica.get_absolute_url()).content.decode()

    assert f"?corrects={ours.pk}" in page
    assert f"?corrects={theirs.pk}" not in page


def test_indicator_and_evidence_from_the_lead_node_are_kept_once(replica, remote, post_message):
    indicator = {
        "incident": DE_CASE,
        "indicator": {"node": "de-node", "id": 5},
        "type": "domain",
        "value": "c2.example",
        "tlp": "amber",
        "first_seen": None,
        "last_seen": None,
        "confidence": 80,
        "note": "",
        "added_by_name": "Hans",
        "agency": {"node": "de-node", "id": 7},
        "created_at": timezone.now().isoformat(),
        "audience": [],
    }
    evidence = {
        "incident": DE_CASE,
        "evidence": {"node": "de-node", "id": 6},
        "reference": "EV-2026-000006",
        "title": "Server image",
        "description": "",
        "kind": "disk_image",
        "sha256": "b" * 64,
        "size": 1024,
        "file_name": "",
        "acquired_by_name": "Hans",
        "acquired_where": "Wiesbaden",
        "acquisition_method": "",
        "seal_number": "",
        "holder_person": "Hans",
        "acquired_at": timezone.now().isoformat(),
        "holder_agency": {"node": "de-node", "id": 7},
        "created_at": timezone.now().isoformat(),
    }
    for seq, (kind, body) in enumerate(
        [("indicator", indicator), ("evidence", evidence)] * 2, start=2
    ):
        post_message(remote.message(seq, type=f"incident.{kind}", stream=STREAM, body=body))

    (kept,) = Indicator.objects.filter(incident=replica)
    assert (kept.value, kept.origin_node, kept.origin_id) == ("c2.example", "de-node", 5)
    (item,) = Evidence.objects.filter(incident=replica)
    assert item.sha256 == "b" * 64 and not item.has_file
    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.APPLIED}


def test_red_indicator_and_its_entry_go_only_to_the_node_of_its_named_recipient(
    investigator, bka, remote, spain, ccn
):
    incident = make_incident(
        investigator,
        shared_with=[(bka, ParticipationRole.CONTRIBUTOR), (ccn, ParticipationRole.CONTRIBUTOR)],
    )
    hans = UserFactory(username="de-node:hans", agency=bka, is_active=False, listed_by_node=True)
    before_de, before_es = len(sent(remote.peer)), len(sent(spain.peer))

    intel_actions.add_indicator(
        incident, investigator, value="10.0.0.1", tlp=TLP.RED, audience=[hans]
    )

    to_de = sent(remote.peer)[before_de:]
    assert [m.type for m in to_de] == ["incident.indicator", "incident.entry"]
    assert all(m.body["audience"] == ["hans"] for m in to_de)
    assert sent(spain.peer)[before_es:] == []


def test_replica_page_names_the_lead_node_and_offers_no_status_change(replica, investigator, login):
    response = login(investigator).get(f"/incidents/{replica.reference}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "The lead agency's node (de-node) decides the status" in page
    assert "CC-2026-000055" in page
    assert f"/incidents/{replica.reference}/status/" not in page


def test_the_invited_agencys_people_learn_of_the_case_from_their_own_node(
    remote, post_message, bka, ofac, investigator
):
    from coordination.notifications.models import Notification

    post_message(
        remote.message(1, type="incident.state", stream=STREAM, body=state_from_de(ofac, bka))
    )
    post_message(
        remote.message(2, type="incident.state", stream=STREAM, body=state_from_de(ofac, bka))
    )

    replica = Incident.objects.get(origin_node="de-node")
    (notice,) = Notification.objects.filter(recipient=investigator, channel="app")
    assert notice.link == replica.get_absolute_url()


def test_inviting_a_remote_agency_notifies_no_one_from_this_node(investigator, bka, remote):
    from coordination.notifications.models import Notification

    make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])

    assert not Notification.objects.exists()


def test_api_refuses_status_and_invitations_on_a_replica_naming_the_lead_node(
    replica, investigator, api_login
):
    client = api_login(investigator)

    status = client.post(
        f"/api/v1/incidents/{replica.reference}/status/", {"status": "investigating"}
    )
    invite = client.post(
        f"/api/v1/incidents/{replica.reference}/participants/",
        {"agency": replica.lead_agency_id, "role": "observer"},
    )

    for response in (status, invite):
        assert response.status_code == 403
        assert "de-node" in response.json()["detail"]
    assert Incident.objects.get(pk=replica.pk).status == Status.OPEN


# A suspended or removed lead node ---------------------------------------------------


def test_a_note_on_a_replica_waits_while_the_lead_node_is_suspended(replica, investigator, remote):
    peer_actions.suspend_peer(remote.peer)

    actions.add_timeline_entry(replica, investigator, "Written while de-node is suspended")

    (message,) = OutboxMessage.objects.filter(type="incident.entry")
    assert message.peer == remote.peer and message.delivered_at is None


def test_a_replica_whose_lead_node_is_removed_stays_read_only(
    replica, investigator, remote, client
):
    peer_actions.remove_peer(remote.peer)

    assert allowed_actions(investigator, replica) == {Action.VIEW}
    with pytest.raises(PermissionDenied):
        actions.add_timeline_entry(replica, investigator, "Nobody would ever read this there")
    assert not TimelineEntry.objects.filter(body__startswith="Nobody").exists()
    client.force_login(investigator)
    page = client.get(f"/incidents/{replica.reference}/").content.decode()
    assert "is no longer a peer of this node" in page
    assert "Add an entry" not in page

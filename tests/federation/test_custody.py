"""Chain of custody across nodes, on one node: a hand-over to an agency of another node goes
out with the chain; a chain that comes in is kept as a copy the local steps link to; only
the holder's node records steps; the chain verifies end to end and a step altered on either
side is found.

This process is "fr-node"; "de-node" is a key made here whose messages the tests sign and
post to the inbox, with custody steps hashed as de-node would hash them (its own ids)."""

import copy
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from coordination.federation import custody
from coordination.federation.choices import InboxStatus
from coordination.federation.models import InboxMessage, OutboxMessage
from incidents.choices import ParticipationRole
from incidents.evidence import actions as evidence_actions
from incidents.evidence import chain
from incidents.evidence.choices import CustodyAction, EvidenceStatus
from incidents.exceptions import TransitionNotAllowed
from incidents.models import CustodyEvent, Evidence, Incident, Participation
from tests.factories import make_incident
from tests.federation.conftest import RemoteNode

pytestmark = [pytest.mark.federation, pytest.mark.django_db]

CUSTODY = "evidence.custody"
SHA = "c" * 64


def sent(peer=None, type=CUSTODY):
    messages = OutboxMessage.objects.filter(type=type).order_by("pk")
    return list(messages.filter(peer=peer) if peer is not None else messages)


def tamper(sql, params=()):
    """Raw SQL on the custody table, past its append-only trigger on PostgreSQL (inside
    the test's transaction: rolled back with it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE incidents_custodyevent DISABLE TRIGGER custodyevent_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE incidents_custodyevent ENABLE TRIGGER custodyevent_append_only"
            )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def verified(item):
    _record, result = evidence_actions.verify_chain(Evidence.objects.get(pk=item.pk))
    return result


def seal(step, prev, reference):
    """Chain ``step`` (a step body) to ``prev`` as its node would: its own ids, its hash."""
    step["prev_hash"] = prev
    values = {name: step[name] for name in chain.HASHED_FIELDS if name not in chain.ID_FIELDS}
    values["occurred_at"] = parse_datetime(step["occurred_at"])
    values["recorded_at"] = parse_datetime(step["recorded_at"])
    values.update(step["hashed_ids"])
    step["entry_hash"] = chain.entry_hash(prev, reference, values)
    return step


def de_step(seq, action, step_id, *, ids=(7, None, 70, 7), to_agency=None, **fields):
    """A step recorded on de-node by its user 70 of its agency 7 (ids there)."""
    moment = (timezone.now() - datetime.timedelta(minutes=30 - seq)).isoformat()
    return {
        "step": {"node": "de-node", "id": step_id},
        "seq": seq,
        "action": action,
        "from_agency": {"node": "de-node", "id": 7} if ids[0] else None,
        "from_person": fields.pop("from_person", ""),
        "to_agency": to_agency,
        "to_person": fields.pop("to_person", ""),
        "occurred_at": moment,
        "location": fields.pop("location", "Wiesbaden"),
        "purpose": fields.pop("purpose", ""),
        "channel": fields.pop("channel", ""),
        "seal_ids": "",
        "hash_observed": fields.pop("hash_observed", ""),
        "hash_matches": fields.pop("hash_matches", None),
        "notes": fields.pop("notes", ""),
        "recorded_by_name": "Hans Weber",
        "recorded_by_agency": {"node": "de-node", "id": 7},
        "recorded_at": moment,
        "hashed_ids": dict(zip(chain.ID_FIELDS, ids, strict=True)),
        **fields,
    }


def custody_body(incident_ref, item_ref, reference, steps):
    return {
        "incident": incident_ref,
        "evidence": item_ref,
        "reference": reference,
        "steps": steps,
        "head": {"length": len(steps), "hash": steps[-1]["entry_hash"]},
    }


# On the lead's node: the item is fr-node's, handed over to de-node's agency -------------


@pytest.fixture
def case(investigator, bka):
    return make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])


@pytest.fixture
def item(case, investigator):
    return evidence_actions.create_evidence(
        case,
        investigator,
        title="Disk image",
        kind="disk_image",
        sha256=SHA,
        acquired_at=timezone.now() - datetime.timedelta(hours=1),
        acquired_by_name="Claire",
        acquired_where="Paris",
    )


@pytest.fixture
def handed_over(item, investigator, bka):
    evidence_actions.record_custody_event(
        item, investigator, CustodyAction.TRANSFERRED, to_agency=bka, purpose="Analysis in DE"
    )
    return item


def receipt_on_de(handed_over, remote, *, step_id=31, **fields):
    """de-node's answer: the chain fr-node sent, and its receipt chained to the last step."""
    (out,) = sent(remote.peer)
    steps = copy.deepcopy(out.body["steps"])
    received = de_step(
        3,
        "received",
        step_id,
        ids=(handed_over.holder_agency_id, 7, 70, 7),
        to_agency={"node": "de-node", "id": 7},
        to_person="Hans Weber",
        from_agency={"node": "fr-node", "id": handed_over.holder_agency_id},
        from_person="Claire",
        **fields,
    )
    steps.append(seal(received, steps[-1]["entry_hash"], out.body["reference"]))
    return custody_body(out.body["incident"], out.body["evidence"], out.body["reference"], steps)


def test_handover_to_another_nodes_agency_is_in_transit_and_sends_the_chain(
    handed_over, remote, bka, ofac
):
    item = Evidence.objects.get(pk=handed_over.pk)
    assert item.status == EvidenceStatus.IN_TRANSIT and item.transit_to_agency == bka
    assert item.holder_agency == ofac and item.custody_node == ""
    (message,) = sent(remote.peer)
    assert message.stream == f"incident:fr-node:{item.incident_id}"
    body = message.body
    assert body["evidence"] == {"node": "fr-node", "id": item.pk}
    assert body["reference"] == item.reference
    assert [s["action"] for s in body["steps"]] == ["acquired", "transferred"]
    assert body["steps"][1]["to_agency"]["node"] == "de-node"
    assert body["head"] == {"length": 2, "hash": item.custody_head}
    # The receiver can verify the chain from the message alone.
    prev = SHA
    for step in body["steps"]:
        assert seal(dict(step), prev, body["reference"])["entry_hash"] == step["entry_hash"]
        prev = step["entry_hash"]


def test_no_handover_to_an_agency_of_a_suspended_node(item, investigator, bka, remote):
    remote.peer.state = "suspended"
    remote.peer.save(update_fields=["state"])

    with pytest.raises(ValidationError, match="de-node"):
        evidence_actions.record_custody_event(
            item, investigator, CustodyAction.TRANSFERRED, to_agency=bka, purpose="Analysis"
        )

    assert Evidence.objects.get(pk=item.pk).status == EvidenceStatus.IN_CUSTODY
    assert sent() == []


def test_steps_of_an_item_kept_on_one_node_are_not_sent(item, investigator, remote):
    evidence_actions.record_custody_event(
        item, investigator, CustodyAction.ANALYSED, purpose="Triage"
    )

    assert sent() == []


def test_receipt_on_the_other_node_links_to_the_sending_chain_and_verifies_end_to_end(
    handed_over, remote, post_message, bka, investigator
):
    stream = f"incident:fr-node:{handed_over.incident_id}"
    sending_head = Evidence.objects.get(pk=handed_over.pk).custody_head

    post_message(
        remote.message(1, type=CUSTODY, stream=stream, body=receipt_on_de(handed_over, remote))
    )

    assert InboxMessage.objects.get().status == InboxStatus.APPLIED
    item = Evidence.objects.get(pk=handed_over.pk)
    assert item.status == EvidenceStatus.IN_CUSTODY and item.holder_agency == bka
    assert item.custody_node == "de-node" and item.transit_to_agency is None
    received = item.custody.get(seq=3)
    assert (received.origin_node, received.origin_id) == ("de-node", 31)
    assert received.prev_hash == sending_head and received.to_agency == bka
    result = verified(item)
    assert result.ok and result.length == 3 and result.final_hash == received.entry_hash
    # From now on de-node records the item's steps: none here, the message names it.
    with pytest.raises(TransitionNotAllowed, match="de-node"):
        evidence_actions.record_custody_event(
            item, investigator, CustodyAction.ANALYSED, purpose="Triage"
        )
    assert evidence_actions.allowed_custody_actions(item, investigator) == []


def test_the_same_chain_applied_twice_changes_nothing(handed_over, remote, post_message):
    stream = f"incident:fr-node:{handed_over.incident_id}"
    body = receipt_on_de(handed_over, remote)

    post_message(remote.message(1, type=CUSTODY, stream=stream, body=body))
    post_message(remote.message(2, type=CUSTODY, stream=stream, body=body))

    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.APPLIED}
    assert CustodyEvent.objects.filter(evidence=handed_over).count() == 3
    assert verified(handed_over).ok
    assert sent(remote.peer)[1:] == []  # nothing sent back to the node the steps came from


def test_steps_from_a_node_that_does_not_hold_the_item_are_refused(
    item, remote, post_message, investigator
):
    # fr-node holds the item (never handed over); de-node claims a step on it.
    body = custody.custody_body(Evidence.objects.get(pk=item.pk))
    claimed = de_step(2, "analysed", 32, purpose="Triage")
    body["steps"].append(seal(claimed, body["steps"][-1]["entry_hash"], body["reference"]))
    body["head"] = {"length": 2, "hash": claimed["entry_hash"]}

    post_message(
        remote.message(1, type=CUSTODY, stream=f"incident:fr-node:{item.incident_id}", body=body)
    )

    message = InboxMessage.objects.get()
    assert message.status == InboxStatus.REFUSED and "held the item" in message.error
    assert CustodyEvent.objects.filter(evidence=item).count() == 1


def test_a_receipt_by_a_node_the_item_was_not_sent_to_is_refused(
    handed_over, remote, post_message, case, spain, ccn
):
    Participation.objects.create(incident=case, agency=ccn, role=ParticipationRole.CONTRIBUTOR)
    body = receipt_on_de(handed_over, remote)
    body["steps"][2] = seal(
        {**body["steps"][2], "step": {"node": "es-node", "id": 5}},
        body["steps"][1]["entry_hash"],
        body["reference"],
    )
    body["head"]["hash"] = body["steps"][2]["entry_hash"]

    post_message(spain.message(1, type=CUSTODY, stream=f"incident:fr-node:{case.pk}", body=body))

    assert InboxMessage.objects.get().status == InboxStatus.REFUSED
    assert CustodyEvent.objects.filter(evidence=handed_over).count() == 2


def test_a_chain_that_rewrites_a_step_kept_here_is_refused(handed_over, remote, post_message):
    body = receipt_on_de(handed_over, remote)
    body["steps"][1]["entry_hash"] = "0" * 64

    post_message(
        remote.message(
            1, type=CUSTODY, stream=f"incident:fr-node:{handed_over.incident_id}", body=body
        )
    )

    message = InboxMessage.objects.get()
    assert message.status == InboxStatus.REFUSED and "forked" in message.error


def test_a_step_whose_hash_does_not_recompute_is_not_taken(handed_over, remote, post_message):
    body = receipt_on_de(handed_over, remote)
    body["steps"][2]["notes"] = "changed after hashing"

    post_message(
        remote.message(
            1, type=CUSTODY, stream=f"incident:fr-node:{handed_over.incident_id}", body=body
        )
    )

    message = InboxMessage.objects.get()
    assert message.status == InboxStatus.FAILED and "does not recompute" in message.error
    assert CustodyEvent.objects.filter(evidence=handed_over).count() == 2


@pytest.fixture
def received_back(handed_over, remote, post_message):
    post_message(
        remote.message(
            1,
            type=CUSTODY,
            stream=f"incident:fr-node:{handed_over.incident_id}",
            body=receipt_on_de(handed_over, remote),
        )
    )
    return Evidence.objects.get(pk=handed_over.pk)


def test_an_edited_replicated_step_is_found(received_back):
    tamper(
        "UPDATE incidents_custodyevent SET notes = 'x' WHERE evidence_id = %s AND seq = 3",
        [received_back.pk],
    )

    result = verified(received_back)

    assert not result.ok and (result.broken.seq, result.broken.what) == (3, "entry_hash")


def test_edited_ids_of_a_replicated_step_are_found(received_back):
    tamper(
        "UPDATE incidents_custodyevent SET origin_ids = NULL WHERE evidence_id = %s AND seq = 3",
        [received_back.pk],
    )

    assert verified(received_back).broken_seq == 3


def test_an_edited_local_step_is_found_before_the_replicated_ones(received_back):
    tamper(
        "UPDATE incidents_custodyevent SET purpose = 'x' WHERE evidence_id = %s AND seq = 2",
        [received_back.pk],
    )

    result = verified(received_back)

    assert (result.broken.seq, result.broken.what) == (2, "entry_hash")
    assert Evidence.objects.get(pk=received_back.pk).chain_broken_seq == 2


def test_a_replicated_step_not_linked_to_the_sending_chain_is_found(received_back):
    tamper(
        "UPDATE incidents_custodyevent SET prev_hash = %s WHERE evidence_id = %s AND seq = 3",
        ["1" * 64, received_back.pk],
    )

    result = verified(received_back)

    assert (result.broken.seq, result.broken.what) == (3, "prev_hash")


def test_a_download_here_is_refused_while_the_other_node_holds_the_item(
    case, investigator, bka, remote, post_message, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("image.dd", b"disk", content_type="application/octet-stream")
    stored = evidence_actions.create_evidence(
        case, investigator, upload=upload, title="Disk image", kind="disk_image",
        acquired_at=timezone.now() - datetime.timedelta(hours=1), acquired_by_name="Claire",
        acquired_where="Paris",
    )  # fmt: skip
    evidence_actions.record_custody_event(
        stored, investigator, CustodyAction.TRANSFERRED, to_agency=bka, purpose="Analysis"
    )
    post_message(
        remote.message(
            1, type=CUSTODY, stream=f"incident:fr-node:{case.pk}",
            body=receipt_on_de(stored, remote),
        )
    )  # fmt: skip

    # The access would be a step of the chain de-node continues now.
    with pytest.raises(TransitionNotAllowed, match="de-node"):
        evidence_actions.record_access(Evidence.objects.get(pk=stored.pk), investigator)
    assert CustodyEvent.objects.filter(evidence=stored).count() == 3


def test_a_chain_whose_head_does_not_match_its_steps_is_kept_as_failed(
    handed_over, remote, post_message
):
    body = receipt_on_de(handed_over, remote)
    body["head"]["length"] = 2

    post_message(
        remote.message(
            1, type=CUSTODY, stream=f"incident:fr-node:{handed_over.incident_id}", body=body
        )
    )

    assert InboxMessage.objects.get().status == InboxStatus.FAILED
    assert CustodyEvent.objects.filter(evidence=handed_over).count() == 2


def test_the_item_page_names_the_node_of_each_step(received_back, investigator, login):
    page = login(investigator).get(received_back.get_absolute_url()).content.decode()

    assert "on node fr-node" in page and "on node de-node" in page
    assert "held on node de-node" in page
    report = login(investigator).get(f"/evidence/{received_back.reference}/report/")
    assert report.status_code == 200
    assert "on node de-node" in report.content.decode()


def test_the_pdf_report_names_the_node_of_each_step(received_back, investigator, login):
    import io

    from pypdf import PdfReader

    response = login(investigator).get(f"/evidence/{received_back.reference}/report.pdf")

    pages = PdfReader(io.BytesIO(response.content)).pages
    flat = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "on node fr-node" in flat and "on node de-node" in flat


def test_the_api_names_the_node_of_each_step(received_back, investigator, api_login):
    response = api_login(investigator).get(f"/api/v1/evidence/{received_back.reference}/custody/")

    assert response.status_code == 200
    rows = response.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [row["node"] for row in rows] == ["fr-node", "fr-node", "de-node"]


# On a replica: the item is de-node's, handed over to this node's agency ----------------

DE_CASE = {"node": "de-node", "id": 55}
DE_ITEM = {"node": "de-node", "id": 6}
DE_REFERENCE = "EV-2026-000006"
STREAM = "incident:de-node:55"


def state_from_de(ofac):
    return {
        "incident": DE_CASE,
        "reference": "CC-2026-000055",
        "title": "Botnet takedown",
        "summary": "",
        "category": "malicious-code",
        "severity": "high",
        "tlp": "amber",
        "status": "open",
        "is_exercise": False,
        "affected_countries": ["DE"],
        "detected_at": None,
        "created_at": timezone.now().isoformat(),
        "lead": {"node": "de-node", "id": 7},
        "participants": [
            {"agency": {"node": "de-node", "id": 7}, "role": "lead"},
            {"agency": {"node": "fr-node", "id": ofac.pk}, "role": "contributor"},
        ],
    }


def evidence_from_de():
    return {
        "incident": DE_CASE,
        "evidence": DE_ITEM,
        "reference": DE_REFERENCE,
        "title": "Server image",
        "description": "",
        "kind": "disk_image",
        "sha256": SHA,
        "size": 1024,
        "file_name": "",
        "acquired_by_name": "Hans Weber",
        "acquired_where": "Wiesbaden",
        "acquisition_method": "",
        "seal_number": "",
        "holder_person": "Hans Weber",
        "acquired_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
        "holder_agency": {"node": "de-node", "id": 7},
        "created_at": timezone.now().isoformat(),
    }


def de_chain_to(ofac):
    """de-node's chain: acquired there, handed over to OFAC of fr-node."""
    acquired = seal(
        de_step(1, "acquired", 21, ids=(None, 7, 70, 7), to_agency={"node": "de-node", "id": 7},
                to_person="Hans Weber", hash_observed=SHA, hash_matches=True),
        SHA,
        DE_REFERENCE,
    )  # fmt: skip
    transferred = seal(
        de_step(2, "transferred", 22, ids=(7, ofac.pk, 70, 7),
                to_agency={"node": "fr-node", "id": ofac.pk}, from_person="Hans Weber",
                purpose="Analysis in FR", channel="Courier"),
        acquired["entry_hash"],
        DE_REFERENCE,
    )  # fmt: skip
    return [acquired, transferred]


@pytest.fixture
def replica_item(remote, post_message, bka, ofac):
    post_message(remote.message(1, type="incident.state", stream=STREAM, body=state_from_de(ofac)))
    post_message(
        remote.message(2, type="incident.evidence", stream=STREAM, body=evidence_from_de())
    )
    return Evidence.objects.get(origin_node="de-node", origin_id=6)


@pytest.fixture
def in_transit_here(replica_item, remote, post_message, ofac):
    steps = de_chain_to(ofac)
    post_message(
        remote.message(
            3, type=CUSTODY, stream=STREAM, body=custody_body(DE_CASE, DE_ITEM, DE_REFERENCE, steps)
        )
    )
    return Evidence.objects.get(pk=replica_item.pk)


def test_a_replicas_item_takes_no_local_step_while_its_node_holds_it(replica_item, investigator):
    assert replica_item.custody_node == "de-node"
    assert evidence_actions.allowed_custody_actions(replica_item, investigator) == []
    with pytest.raises(TransitionNotAllowed, match="de-node"):
        evidence_actions.record_custody_event(
            replica_item, investigator, CustodyAction.ANALYSED, purpose="Triage"
        )


def test_a_handover_from_the_other_node_arrives_in_transit_to_this_nodes_agency(
    in_transit_here, ofac, bka, investigator
):
    item = in_transit_here
    assert InboxMessage.objects.filter(status=InboxStatus.APPLIED).count() == 3
    assert item.status == EvidenceStatus.IN_TRANSIT and item.transit_to_agency == ofac
    assert item.holder_agency == bka and item.custody_node == "de-node"
    assert item.origin_reference == DE_REFERENCE
    assert list(item.custody.values_list("origin_node", "origin_id")) == [
        ("de-node", 21),
        ("de-node", 22),
    ]
    assert verified(item).ok
    assert evidence_actions.allowed_custody_actions(item, investigator) == [CustodyAction.RECEIVED]
    with pytest.raises(TransitionNotAllowed, match="de-node"):
        evidence_actions.record_custody_event(
            item, investigator, CustodyAction.ANALYSED, purpose="Triage"
        )


def test_receipt_here_links_to_the_other_nodes_last_hash_and_goes_back_to_it(
    in_transit_here, investigator, ofac, remote
):
    de_head = in_transit_here.custody_head

    event = evidence_actions.record_custody_event(
        in_transit_here, investigator, CustodyAction.RECEIVED, notes="Seals intact"
    )

    assert event.seq == 3 and event.prev_hash == de_head and event.origin_node == ""
    item = Evidence.objects.get(pk=in_transit_here.pk)
    assert item.holder_agency == ofac and item.custody_node == ""
    result = verified(item)
    assert result.ok and result.length == 3
    (message,) = sent(remote.peer)
    assert message.stream == STREAM
    assert message.body["evidence"] == DE_ITEM and message.body["reference"] == DE_REFERENCE
    steps = message.body["steps"]
    assert [s["step"]["node"] for s in steps] == ["de-node", "de-node", "fr-node"]
    assert steps[0]["hashed_ids"] == {"from_agency_id": None, "to_agency_id": 7,
                                      "recorded_by_id": 70, "recorded_by_agency_id": 7}  # fmt: skip
    assert steps[2]["prev_hash"] == de_head and steps[2]["entry_hash"] == event.entry_hash
    # de-node recomputes the step it did not record from the message alone.
    assert seal(dict(steps[2]), de_head, DE_REFERENCE)["entry_hash"] == event.entry_hash
    # The holder's node is this one now: its steps are recorded here and sent on.
    evidence_actions.record_custody_event(
        item, investigator, CustodyAction.ANALYSED, purpose="Triage"
    )
    assert len(sent(remote.peer)[-1].body["steps"]) == 4


def test_on_the_replica_an_edited_step_of_the_sending_node_is_found(in_transit_here, investigator):
    evidence_actions.record_custody_event(in_transit_here, investigator, CustodyAction.RECEIVED)
    item = Evidence.objects.get(pk=in_transit_here.pk)

    tamper(
        "UPDATE incidents_custodyevent SET location = 'Bonn' WHERE evidence_id = %s AND seq = 1",
        [item.pk],
    )
    result = verified(item)

    assert (result.broken.seq, result.broken.what) == (1, "entry_hash")


def test_on_the_replica_an_edited_local_receipt_is_found(in_transit_here, investigator):
    evidence_actions.record_custody_event(in_transit_here, investigator, CustodyAction.RECEIVED)
    item = Evidence.objects.get(pk=in_transit_here.pk)

    tamper(
        "UPDATE incidents_custodyevent SET to_person = 'x' WHERE evidence_id = %s AND seq = 3",
        [item.pk],
    )

    assert verified(item).broken_seq == 3


def test_steps_from_the_lead_node_after_the_receipt_here_are_refused(
    in_transit_here, investigator, remote, post_message, ofac
):
    evidence_actions.record_custody_event(in_transit_here, investigator, CustodyAction.RECEIVED)
    (back,) = sent(remote.peer)
    steps = copy.deepcopy(back.body["steps"])
    steps.append(
        seal(de_step(4, "analysed", 23, purpose="Triage"), steps[-1]["entry_hash"], DE_REFERENCE)
    )

    post_message(
        remote.message(
            4, type=CUSTODY, stream=STREAM, body=custody_body(DE_CASE, DE_ITEM, DE_REFERENCE, steps)
        )
    )

    assert InboxMessage.objects.get(seq=4).status == InboxStatus.REFUSED
    assert CustodyEvent.objects.filter(evidence=in_transit_here).count() == 3


def test_a_file_cannot_be_attached_to_a_replicas_item(replica_item, investigator):
    upload = SimpleUploadedFile("image.dd", b"content", content_type="application/octet-stream")

    with pytest.raises(ValidationError, match="de-node"):
        evidence_actions.attach_file(replica_item, investigator, upload)

    assert not Evidence.objects.get(pk=replica_item.pk).has_file


def test_custody_of_a_case_the_sender_does_not_lead_is_refused(replica_item, post_message, ofac):
    spain = RemoteNode("es-node")
    spain.register()
    body = custody_body(DE_CASE, DE_ITEM, DE_REFERENCE, de_chain_to(ofac))

    post_message(spain.message(1, type=CUSTODY, stream=STREAM, body=body))

    assert InboxMessage.objects.get(peer=spain.peer).status == InboxStatus.REFUSED
    assert not CustodyEvent.objects.filter(evidence=replica_item).exists()
    assert Incident.objects.filter(origin_node="de-node").count() == 1

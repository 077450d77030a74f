"""Chain of custody across nodes (``evidence.custody``, schema 1).

Only the holder's node records an item's custody steps. A hand-over to an agency of another
node is ``transferred`` on the sending node; the chain so far goes to the other nodes of the
case; the receiving node records ``received``, chained to the sending node's last hash, and
from then on it is the holder's node and its steps travel back. Every node keeps a copy of
the steps recorded elsewhere (``CustodyEvent.origin_node``/``origin_id``, with the ids their
hash covers in ``origin_ids``), so ``incidents.evidence.chain.verify`` walks the whole chain
on each node and finds a step altered on either side.

The message carries the whole chain each time (chains are short; a receiver then needs no
earlier message to check a link), on the incident's stream, so that it follows the evidence
register line it is about. It goes where the register line goes: from the lead's node to
every participating node but the one whose steps it relays, from a replica to the lead's
node alone.
"""

from coordination.federation import identity, replication
from coordination.federation.handlers import BodyError, Refused, handles
from coordination.federation.handlers import body_choice as _choice
from coordination.federation.handlers import body_moment as _moment
from coordination.federation.handlers import body_text as _text
from coordination.federation.replication import agency_ref, find, find_agency

CUSTODY = "evidence.custody"
SCHEMA_VERSION = 1
HEX = frozenset("0123456789abcdef")


def step_ref(event):
    """A step's identity across nodes: the node that recorded it and its id there."""
    if event.origin_node:
        return {"node": event.origin_node, "id": event.origin_id}
    return {"node": identity.node_name(), "id": event.pk}


def _time(value):
    return value.isoformat() if value else None


def step_body(event):
    from incidents.evidence import chain

    values = chain.event_values(event)
    return {
        "step": step_ref(event),
        "seq": event.seq,
        "action": event.action,
        "from_agency": agency_ref(event.from_agency),
        "from_person": event.from_person,
        "to_agency": agency_ref(event.to_agency),
        "to_person": event.to_person,
        "occurred_at": _time(event.occurred_at),
        "location": event.location,
        "purpose": event.purpose,
        "channel": event.channel,
        "seal_ids": event.seal_ids,
        "hash_observed": event.hash_observed,
        "hash_matches": event.hash_matches,
        "notes": event.notes,
        "recorded_by_name": event.recorded_by_name,
        "recorded_by_agency": agency_ref(event.recorded_by_agency),
        "recorded_at": _time(event.recorded_at),
        # What the hash covers in place of the agencies and users above: ids on its node.
        "hashed_ids": {name: values[name] for name in chain.ID_FIELDS},
        "prev_hash": event.prev_hash,
        "entry_hash": event.entry_hash,
    }


def custody_body(evidence):
    steps = (
        evidence.custody.order_by("seq")
        .select_related("from_agency__node", "to_agency__node", "recorded_by_agency__node")
        .all()
    )
    return {
        "incident": replication.ref(evidence.incident),
        "evidence": replication.ref(evidence),
        "reference": evidence.chain_reference,
        "steps": [step_body(event) for event in steps],
        "head": {"length": evidence.custody_length, "hash": evidence.custody_head},
    }


def crosses_nodes(evidence):
    """Whether the item's chain concerns another node: a replica's item, an item on its way
    to an agency of another node, or a chain with steps recorded elsewhere."""
    if evidence.is_replica:
        return True
    if evidence.transit_to_agency_id and evidence.transit_to_agency.node_id:
        return True
    return evidence.custody.exclude(origin_node="").exists()


def publish_custody(evidence, *, relayed_from=""):
    """After a step on ``evidence`` (in its transaction): the chain to the nodes of the case
    that keep the item, when it concerns another node. ``relayed_from``: the lead's node
    sends on what that node's steps brought, never back to it."""
    if not replication.is_on() or not crosses_nodes(evidence):
        return 0
    incident = evidence.incident
    peers = replication.destinations(incident, relayed_from, incident.tlp)
    if not peers:
        return 0
    body = custody_body(evidence)
    stream = replication.stream_of(incident)
    from coordination.federation import outbox

    for peer in peers:
        outbox.enqueue(peer, CUSTODY, stream, body, schema_version=SCHEMA_VERSION)
    return len(peers)


# Receiving -------------------------------------------------------------------------


def _step_fields(step, n):
    if not isinstance(step, dict):
        raise BodyError(f"steps[{n}]: an object")
    reference = step.get("step")
    if (
        not isinstance(reference, dict)
        or not isinstance(reference.get("id"), int)
        or not isinstance(reference.get("node"), str)
        or not reference["node"]
    ):
        raise BodyError(f"steps[{n}].step: a reference {{node, id}}")
    return reference, {name: _text(step, name, 64) for name in ("prev_hash", "entry_hash")}


def _check_hash(value, name):
    if len(value) != 64 or not set(value) <= HEX:
        raise BodyError(f"{name}: 64 hexadecimal digits")


def _node_of(agency):
    if agency is None:
        return None
    return agency.node.name if agency.node_id else identity.node_name()


def _stored_walk_facts(event):
    """(node, action, node of the receiving agency) of a step kept here."""
    node = event.origin_node or identity.node_name()
    return node, event.action, _node_of(event.to_agency)


def _walk(item_node, facts):
    """The holder's node after ``facts`` [(seq, node, action, to node)], or Refused: every
    step is recorded by the node that holds the item then, and the holder's node changes
    only with a receipt, by the node of the agency the open hand-over goes to."""
    from incidents.evidence.choices import CustodyAction

    holder, transit = item_node, None
    for seq, node, action, to_node in facts:
        if node != holder:
            if action == CustodyAction.RECEIVED and transit is not None and node == transit:
                holder = node
            else:
                raise Refused(
                    f"step {seq} was recorded on {node}, but {holder} held the item: only the "
                    "holder's node records its custody steps"
                )
        if action == CustodyAction.TRANSFERRED:
            transit = to_node
        elif action == CustodyAction.RECEIVED:
            transit = None
    return holder, transit


@handles(CUSTODY, schema_version=SCHEMA_VERSION)
def apply_custody(peer, body, message):
    from coordination.federation.replicas import _item_ref, node_contributes
    from incidents.evidence import actions, chain
    from incidents.evidence.choices import CustodyAction
    from incidents.models import CustodyEvent, Evidence, Incident

    incident = find(Incident, body.get("incident"))
    if incident is None:
        raise BodyError("incident: no such case here")
    if incident.origin_node:
        if incident.origin_node != peer.name:
            raise Refused("a replica takes its case's messages from the lead's node alone")
    elif not node_contributes(incident, peer):
        raise Refused("no agency of the sending node contributes to the case")
    item_ref = _item_ref(body, "evidence")
    found = find(Evidence, item_ref)
    if found is None or found.incident_id != incident.pk:
        raise BodyError("evidence: no such item in this case here")
    evidence = Evidence.objects.select_for_update().select_related("incident").get(pk=found.pk)
    reference = _text(body, "reference", 20, required=True)
    # A replica learns the reference its chain covers from the first chain it receives.
    expected = evidence.origin_reference if evidence.is_replica else evidence.reference
    if reference != (expected or reference):
        raise BodyError("reference: not the reference this item's chain covers")
    steps = body.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        raise BodyError("steps: a non-empty list of objects")
    head = body.get("head")
    if (
        not isinstance(head, dict)
        or head.get("length") != len(steps)
        or head.get("hash") != steps[-1].get("entry_hash")
    ):
        raise BodyError("head: the length and last hash of the steps sent")

    stored = list(
        CustodyEvent.objects.filter(evidence=evidence)
        .select_related("to_agency__node")
        .order_by("seq")
    )
    me = identity.node_name()
    facts, new = [], []
    for n, step in enumerate(steps):
        step_id, hashes = _step_fields(step, n)
        if step.get("seq") != n + 1:
            raise BodyError(f"steps[{n}].seq: the steps numbered from 1, without gaps")
        if n < len(stored):
            kept = stored[n]
            if step_ref(kept) != step_id or kept.entry_hash != hashes["entry_hash"]:
                raise Refused(
                    f"step {n + 1} differs from the one this node keeps: the chains have forked"
                )
            facts.append((n + 1, *_stored_walk_facts(kept)))
            continue
        if step_id["node"] == me:
            raise Refused(f"step {n + 1} names this node, which did not record it")
        action = _choice(step, "action", CustodyAction)
        to_agency = step.get("to_agency")
        to_node = to_agency.get("node") if isinstance(to_agency, dict) else None
        facts.append((n + 1, step_id["node"], action, to_node))
        new.append((n, step, step_id, hashes, action))
    holder, _transit = _walk(item_ref["node"], facts)
    if not new:
        return  # applied before: nothing new in it
    if not incident.origin_node and any(
        step_id["node"] != peer.name for _, _, step_id, _, _ in new
    ):
        raise Refused("custody steps come to the lead's node from the node that recorded them")

    if evidence.is_replica and not evidence.origin_reference:
        evidence.origin_reference = reference
    prev = evidence.custody_head or evidence.sha256
    handover = None
    for n, step, step_id, hashes, action in new:
        for name, value in hashes.items():
            _check_hash(value, f"steps[{n}].{name}")
        ids = step.get("hashed_ids")
        if not isinstance(ids, dict) or set(ids) != set(chain.ID_FIELDS):
            raise BodyError(f"steps[{n}].hashed_ids: " + ", ".join(chain.ID_FIELDS))
        if any(value is not None and not isinstance(value, int) for value in ids.values()):
            raise BodyError(f"steps[{n}].hashed_ids: whole numbers or null")
        hash_observed = _text(step, "hash_observed", 64)
        if hash_observed:
            _check_hash(hash_observed, f"steps[{n}].hash_observed")
        hash_matches = step.get("hash_matches")
        if hash_matches not in (None, True, False):
            raise BodyError(f"steps[{n}].hash_matches: true, false or null")
        event = CustodyEvent(
            evidence=evidence,
            origin_node=step_id["node"],
            origin_id=step_id["id"],
            origin_ids=ids,
            seq=n + 1,
            action=action,
            from_agency=find_agency(step.get("from_agency")),
            from_person=_text(step, "from_person", 200),
            to_agency=find_agency(step.get("to_agency")),
            to_person=_text(step, "to_person", 200),
            occurred_at=_moment(step, "occurred_at", required=True),
            location=_text(step, "location", 300),
            purpose=_text(step, "purpose", 500),
            channel=_text(step, "channel", 300),
            seal_ids=_text(step, "seal_ids", 300),
            hash_observed=hash_observed,
            hash_matches=hash_matches,
            notes=_text(step, "notes", 20_000),
            recorded_by=replication.stand_in(step_id["node"]),
            recorded_by_name=_text(step, "recorded_by_name", 200),
            recorded_by_agency=find_agency(step.get("recorded_by_agency")),
            recorded_at=_moment(step, "recorded_at", required=True),
            prev_hash=hashes["prev_hash"],
            entry_hash=hashes["entry_hash"],
        )
        # A step that does not verify here is not taken: the chain would be broken on
        # arrival. (One altered later is found by the verification.)
        if event.prev_hash != prev:
            raise BodyError(f"step {n + 1}: its link does not follow step {n}")
        if chain.entry_hash(prev, reference, chain.event_values(event)) != event.entry_hash:
            raise BodyError(f"step {n + 1}: its entry hash does not recompute")
        event.save()
        evidence.custody_length, evidence.custody_head = event.seq, event.entry_hash
        actions.apply_step(evidence, event)
        prev = event.entry_hash
        if (
            action == CustodyAction.TRANSFERRED
            and event.to_agency_id
            and event.to_agency.node_id is None
        ):
            handover = event  # on its way to an agency of this node
        else:
            handover = None
    evidence.custody_node = "" if holder == me else holder
    evidence.save(update_fields=[*actions.STEP_STATE_FIELDS, "origin_reference"])
    if handover is not None:
        from incidents.evidence import alerts

        alerts.custody_handover(evidence, handover, replication.stand_in(handover.origin_node))
    if not incident.origin_node:
        publish_custody(evidence, relayed_from=peer.name)

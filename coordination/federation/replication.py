"""Shared incidents across nodes: the lead's node sends the case to every node where an
invited agency is, each keeps a replica its users work in, and what they add travels back.

One stream per incident (``incident:<lead node>:<id there>``). The lead's node is the hub:
a participating node sends what its users write to the lead's node only, which applies it
and sends it on to the other participating nodes, so every node sees one order per case.

Authority: the lead's node alone sends the case's state (fields, status, participants); an
entry, indicator or evidence item belongs to the node where it was written. TLP is enforced
here, before anything is written for a peer: TLP:AMBER+STRICT never leaves its node, TLP:RED
goes only to the nodes of its named recipients.

Rows are identified across nodes by ``{"node": name, "id": id on that node}`` (replicas keep
it as ``origin_node``/``origin_id``), agencies by their node and id there.
"""

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from accounts.models import Agency
from coordination.federation import identity, outbox
from coordination.federation.choices import PeerState
from coordination.federation.directory import username_there
from coordination.federation.models import Peer
from incidents.choices import TLP

SCHEMA_VERSION = 1
STATE = "incident.state"
ENTRY = "incident.entry"
INDICATOR = "incident.indicator"
INDICATOR_RAISED = "incident.indicator_raised"
EVIDENCE = "incident.evidence"

# Material above this never leaves its node (TLP:AMBER+STRICT) or only to named people
# (TLP:RED); a case marked so is not shared with agencies of other nodes.
HIGHEST_SHAREABLE = TLP.AMBER


# References ------------------------------------------------------------------------


def ref(obj):
    """A row's identity across nodes."""
    if obj.origin_node:
        return {"node": obj.origin_node, "id": obj.origin_id}
    return {"node": identity.node_name(), "id": obj.pk}


def find(model, reference):
    """The row ``reference`` names on this node, or None."""
    if not isinstance(reference, dict) or not isinstance(reference.get("id"), int):
        return None
    if reference.get("node") == identity.node_name():
        return model.objects.filter(pk=reference["id"], origin_node="").first()
    return model.objects.filter(
        origin_node=reference.get("node"), origin_id=reference["id"]
    ).first()


def agency_ref(agency):
    if agency is None:
        return None
    node = agency.node.name if agency.node_id else identity.node_name()
    return {
        "node": node,
        "id": agency.remote_id if agency.node_id else agency.pk,
        "name": agency.name,
        "short_name": agency.short_name,
        "country": agency.country.code,
    }


def find_agency(reference):
    """The agency ``reference`` names: one of this node's, or of a peer's directory."""
    if not isinstance(reference, dict) or not isinstance(reference.get("id"), int):
        return None
    if reference.get("node") == identity.node_name():
        return Agency.objects.filter(pk=reference["id"], node__isnull=True).first()
    return Agency.objects.filter(
        node__name=reference.get("node"), remote_id=reference["id"]
    ).first()


def stream_of(incident):
    lead = ref(incident)
    return f"incident:{lead['node']}:{lead['id']}"


def stand_in(node_name):
    """The user a replica names as its creator: the people of another node have no account
    here. Inactive, without password or agency: it can sign in nowhere and sees nothing."""
    user, created = get_user_model().objects.get_or_create(
        username=f"node:{node_name}"[:150],
        defaults={"first_name": node_name[:150], "is_active": False, "agency": None},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# Where things go -------------------------------------------------------------------


def is_on():
    return identity.is_enabled()


# A suspended peer's messages are written and wait in the outbox until it is resumed.
CONNECTED = (PeerState.ACTIVE, PeerState.SUSPENDED)


def participant_peers(incident):
    """The peers (active or suspended) where an agency takes part in ``incident``."""
    return list(
        Peer.objects.filter(
            state__in=CONNECTED,
            agencies__participations__incident=incident,
        )
        .distinct()
        .order_by("pk")
    )


def lead_peer(incident):
    return Peer.objects.filter(name=incident.origin_node, state__in=CONNECTED).first()


def destinations(incident, item_node, tlp, audience_nodes=()):
    """The peers an item of ``incident`` written on ``item_node`` goes to, TLP applied.

    On the lead's node: every participating node but the item's own. On a replica: what was
    written here goes to the lead's node, and nothing else goes anywhere.
    """
    return allowed(candidates(incident, item_node), tlp, audience_nodes)


def candidates(incident, item_node):
    """The peers an item of ``incident`` written on ``item_node`` may go to, before TLP."""
    if incident.origin_node:
        lead = lead_peer(incident) if not item_node else None
        return [lead] if lead else []
    return [p for p in participant_peers(incident) if p.name != item_node]


def allowed(peers, tlp, audience_nodes=()):
    """Those of ``peers`` an item marked ``tlp`` may go to (TLP:RED: its recipients' nodes)."""
    if tlp == TLP.AMBER_STRICT:
        return []
    if tlp == TLP.RED:
        return [p for p in peers if p.name in set(audience_nodes)]
    return peers


def audience_by_node(users):
    """Named recipients grouped by the node their agency is on: ``{node: [username]}``."""
    grouped = {}
    for user in users:
        agency = user.agency
        if agency is None:
            continue
        node = agency.node.name if agency.node_id else identity.node_name()
        grouped.setdefault(node, []).append(username_there(user))
    return grouped


def _send(peers, incident, message_type, body):
    stream = stream_of(incident)
    for peer in peers:
        outbox.enqueue(peer, message_type, stream, body, schema_version=SCHEMA_VERSION)
    return len(peers)


# Bodies ----------------------------------------------------------------------------


def _time(value):
    return value.isoformat() if value else None


def state_body(incident):
    participations = incident.participations.select_related("agency__node").order_by("pk")
    return {
        "incident": ref(incident),
        "reference": incident.origin_reference or incident.reference,
        "title": incident.title,
        "summary": incident.summary,
        "category": incident.category,
        "severity": incident.severity,
        "tlp": incident.tlp,
        "status": incident.status,
        "is_exercise": incident.is_exercise,
        "affected_countries": [c.code for c in incident.affected_countries],
        "detected_at": _time(incident.detected_at),
        "created_at": _time(incident.created_at),
        "lead": agency_ref(incident.lead_agency),
        "participants": [{"agency": agency_ref(p.agency), "role": p.role} for p in participations],
    }


def entry_body(entry, audience):
    return {
        "incident": ref(entry.incident),
        "entry": ref(entry),
        "kind": entry.kind,
        "body": entry.body,
        "event": entry.event,
        "params": entry.params,
        "tlp": entry.tlp,
        "occurred_at": _time(entry.occurred_at),
        "recorded_at": _time(entry.recorded_at),
        "author_name": entry.author_name,
        "author_agency": agency_ref(entry.author_agency),
        "corrects": ref(entry.corrects) if entry.corrects_id else None,
        "audience": audience,
        # What the files are; each is fetched from the sending node (federation.files).
        "attachments": [attachment_body(a) for a in entry.attachments.all()],
    }


def attachment_body(attachment):
    return {
        "attachment": ref(attachment),
        "file_name": attachment.file_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def indicator_body(indicator, audience):
    return {
        "incident": ref(indicator.incident),
        "indicator": ref(indicator),
        "type": indicator.type,
        "value": indicator.value,
        "tlp": indicator.tlp,
        "first_seen": _time(indicator.first_seen),
        "last_seen": _time(indicator.last_seen),
        "confidence": indicator.confidence,
        "note": indicator.note,
        "added_by_name": indicator.added_by.display_name,
        "agency": agency_ref(indicator.added_by_agency),
        "created_at": _time(indicator.created_at),
        "revoked": indicator.revoked,
        "valid_until": _time(indicator.valid_until),
        "audience": audience,
    }


EVIDENCE_FIELDS = (
    "reference", "title", "description", "kind", "sha256", "size", "file_name",
    "acquired_by_name", "acquired_where", "acquisition_method", "seal_number",
    "holder_person",
)  # fmt: skip


def evidence_body(evidence):
    """The register's line: what the item is and who holds it, never the file."""
    return {
        "incident": ref(evidence.incident),
        "evidence": ref(evidence),
        **{name: getattr(evidence, name) for name in EVIDENCE_FIELDS},
        "acquired_at": _time(evidence.acquired_at),
        "holder_agency": agency_ref(evidence.holder_agency),
        "created_at": _time(evidence.created_at),
    }


# Publishing (called by the actions, in their transaction) ----------------------------


def _with_audience(peers, make_body, audience_users, tlp):
    """One body per peer: a TLP:RED item names, on each node, only the people there."""
    if tlp != TLP.RED:
        return [(peers, make_body([]))]
    grouped = audience_by_node(audience_users)
    return [([peer], make_body(grouped.get(peer.name, []))) for peer in peers]


def _named(item):
    """The named recipients of a TLP:RED item (none for any other label)."""
    if item.tlp != TLP.RED:
        return []
    return list(item.audience.select_related("agency__node"))


def publish_entry(entry):
    return _publish_item(entry, ENTRY, entry_body)


def publish_indicator(indicator):
    return _publish_item(indicator, INDICATOR, indicator_body)


def publish_indicators(indicators):
    """Indicators of one case written at once (a paste, an import): the messages
    ``publish_indicator`` sends for each, in the same order, written in one batch per node."""
    indicators = list(indicators)
    if not is_on() or not indicators:
        return 0
    incident = indicators[0].incident
    agencies = Agency.objects.select_related("node").in_bulk(
        {i.added_by_agency_id for i in indicators} - {None}
    )
    batches, reachable = {}, {}
    for indicator in indicators:
        indicator.incident = incident
        indicator.added_by_agency = agencies.get(indicator.added_by_agency_id)
        if indicator.origin_node not in reachable:
            reachable[indicator.origin_node] = candidates(incident, indicator.origin_node)
        audience = _named(indicator)
        peers = allowed(reachable[indicator.origin_node], indicator.tlp, audience_by_node(audience))
        for group, body in _with_audience(
            peers, lambda names, i=indicator: indicator_body(i, names), audience, indicator.tlp
        ):
            for peer in group:
                batches.setdefault(peer.pk, (peer, []))[1].append(body)
    stream = stream_of(incident)
    for peer, bodies in batches.values():
        outbox.enqueue_many(peer, INDICATOR, stream, bodies, schema_version=SCHEMA_VERSION)
    return sum(len(bodies) for _peer, bodies in batches.values())


def publish_indicator_change(indicator, *, label_raised=False):
    """An indicator written here, changed later (a sighting merged into it, a new version
    imported, revoked): its new state goes where the indicator went. A copy of another
    node's indicator changes here alone; its node decides what travels.

    ``label_raised``: its TLP went up. A node that holds a copy and may not have the new
    label's content (TLP:AMBER+STRICT, or TLP:RED naming nobody there) is told to raise
    its copy's label, which hides it there (``incident.indicator_raised``)."""
    if indicator.origin_node:
        return 0
    sent = publish_indicator(indicator)
    if label_raised:
        sent += publish_label_raised(indicator)
    return sent


def publish_label_raised(indicator):
    """``incident.indicator_raised`` to the nodes of the case the new label keeps the
    indicator from: the label, never the content. The lead's node sends a contributor's on."""
    if not is_on():
        return 0
    incident = indicator.incident
    given = destinations(
        incident, indicator.origin_node, indicator.tlp, audience_by_node(_named(indicator))
    )
    holding = destinations(incident, indicator.origin_node, TLP.CLEAR)
    peers = [peer for peer in holding if peer not in given]
    body = {"incident": ref(incident), "indicator": ref(indicator), "tlp": indicator.tlp}
    return _send(peers, incident, INDICATOR_RAISED, body)


def _publish_item(item, message_type, body_of):
    """An entry or indicator to the nodes its TLP allows, naming there only their people."""
    if not is_on():
        return 0
    incident = item.incident
    audience = _named(item)
    peers = destinations(incident, item.origin_node, item.tlp, audience_by_node(audience))
    sent = 0
    for group, body in _with_audience(
        peers, lambda names: body_of(item, names), audience, item.tlp
    ):
        sent += _send(group, incident, message_type, body)
    return sent


def publish_evidence(evidence):
    if not is_on():
        return 0
    incident = evidence.incident
    peers = destinations(incident, evidence.origin_node, incident.tlp)
    return _send(peers, incident, EVIDENCE, evidence_body(evidence))


def publish_state(incident, *, also=()):
    """The lead's node sends the case's state to every participating node (and ``also``: a
    node whose last agency just left, so that its replica closes to its users)."""
    if not is_on() or incident.origin_node:
        return 0
    if TLP.rank(incident.tlp) > TLP.rank(HIGHEST_SHAREABLE):
        return 0
    peers = participant_peers(incident)
    peers += [p for p in also if p.state in CONNECTED and p not in peers]
    return _send(peers, incident, STATE, state_body(incident))


def may_share_with(incident):
    """Whether the case may go to another node at all (the lead's node decides sharing)."""
    return not incident.origin_node and TLP.rank(incident.tlp) <= TLP.rank(HIGHEST_SHAREABLE)


def shares_beyond(incident, tlp):
    """Whether marking the case ``tlp`` would leave a shared copy on another node above it."""
    if TLP.rank(tlp) <= TLP.rank(HIGHEST_SHAREABLE):
        return False
    return incident.participations.filter(agency__node__isnull=False).exists()


def publish_sharing(incident, peers_before):
    """After a participation change: a node new to the case gets it whole, the others its
    new state, and a node whose last agency left gets the state that closes its replica."""
    if not is_on() or incident.origin_node:
        return 0
    peers_now = participant_peers(incident)
    sent = 0
    for peer in peers_now:
        if peer in peers_before:
            sent += _send([peer], incident, STATE, state_body(incident))
        else:
            sent += publish_shared(incident, peer)
    gone = [p for p in peers_before if p not in peers_now]
    return sent + _send(gone, incident, STATE, state_body(incident))


def publish_shared(incident, peer):
    """A node gets the case for the first time: its state, then what it may see so far."""
    from coordination.intel.models import Indicator

    if not is_on():
        return 0
    stream = stream_of(incident)
    sent = _send([peer], incident, STATE, state_body(incident))
    for entry in incident.timeline.order_by("recorded_at", "pk").prefetch_related(
        "audience__agency__node", "attachments"
    ):
        audience = list(entry.audience.all())
        names = audience_by_node(audience).get(peer.name, []) if entry.tlp == TLP.RED else []
        if peer in destinations(
            incident, entry.origin_node, entry.tlp, [peer.name] if names else []
        ):
            outbox.enqueue(peer, ENTRY, stream, entry_body(entry, names))
            sent += 1
    for indicator in (
        Indicator.objects.filter(incident=incident)
        .order_by("pk")
        .prefetch_related("audience__agency__node")
        .select_related("added_by", "added_by_agency__node")
    ):
        audience = list(indicator.audience.all())
        names = audience_by_node(audience).get(peer.name, []) if indicator.tlp == TLP.RED else []
        allowed = destinations(
            incident, indicator.origin_node, indicator.tlp, [peer.name] if names else []
        )
        if peer in allowed:
            outbox.enqueue(peer, INDICATOR, stream, indicator_body(indicator, names))
            sent += 1
    for evidence in incident.evidence.order_by("pk").select_related("holder_agency__node"):
        if peer in destinations(incident, evidence.origin_node, incident.tlp):
            outbox.enqueue(peer, EVIDENCE, stream, evidence_body(evidence))
            sent += 1
    return sent


def parse_time(value):
    return parse_datetime(value) if isinstance(value, str) else None

"""Requests for assistance between nodes (coordination.federation): ``request.*``, schema 1.

A request addressed to an agency of another node travels there when it is sent (approve):
the requesting node writes ``request.sent`` on the stream ``request:<requesting node>:<id
there>``, in the transition's transaction; the addressee's node keeps a replica its agency
works in. Afterwards each step is taken on the node of the side it belongs to (the requested
side's on the replica, the requesting side's on the original) and sent to the other node as
``request.transition`` on the same stream, which applies it through the same transition code
at the time it was taken there, and sends nothing back.

TLP: a TLP:AMBER+STRICT request never leaves its node. A TLP:RED request is for the agency it
is addressed to: it goes to that agency's node only, where it is not linked to the shared
case (the case's other participants are not its recipients), and, as on one node, no email
carries its content.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from coordination.assistance.choices import (
    BETWEEN_NODES,
    PROVIDER_BASES,
    TRANSITIONS,
    ActionName,
    DataKind,
    LegalBasis,
    Side,
    Status,
    Urgency,
)
from coordination.federation import identity, outbox, replication
from coordination.federation.choices import PeerState
from coordination.federation.handlers import BodyError, Refused, handles
from coordination.federation.handlers import body_choice as _choice
from coordination.federation.handlers import body_moment as _moment
from coordination.federation.handlers import body_text as _text
from coordination.federation.replication import agency_ref, find, find_agency
from incidents.choices import TLP

SCHEMA_VERSION = 1
SENT = "request.sent"
STEP = "request.transition"

TEXTS = {
    "urgency_reason": 20_000,
    "facts": 100_000,
    "offences": 20_000,
    "dual_criminality": 20_000,
    "confidentiality_reason": 20_000,
    "issuer_deadline_reason": 20_000,
    "provisional_measures_detail": 20_000,
}


# Where a request goes ------------------------------------------------------------------


def leaves_node(request):
    """Whether ``request`` is addressed to an agency of another node."""
    agency = request.receiving_agency
    return bool(agency is not None and agency.node_id and not request.origin_node)


def addressee_errors(request):
    """Why ``request`` cannot go to its addressee on another node (``{field: message}``)."""
    if not leaves_node(request):
        return {}
    agency = request.receiving_agency
    if not identity.is_enabled():
        return {
            "receiving_agency": _(
                "%(agency)s is on another node, and this node does not federate."
            ) % {"agency": agency.name}
        }  # fmt: skip
    if agency.node.state == PeerState.REMOVED:
        return {
            "receiving_agency": _("%(agency)s is on %(node)s, no longer a partner node.")
            % {"agency": agency.name, "node": agency.node.name}
        }
    if request.tlp == TLP.AMBER_STRICT:
        return {
            "tlp": _(
                "A TLP:AMBER+STRICT request never leaves this node: %(agency)s is on %(node)s."
            ) % {"agency": agency.name, "node": agency.node.name}
        }  # fmt: skip
    if request.is_provider_order:
        return {"legal_basis": _("Orders to a service provider are not sent to another node.")}
    return {}


def stream_of(request):
    reference = replication.ref(request)
    return f"request:{reference['node']}:{reference['id']}"


def _peer_of(request):
    """The other node of a request between nodes (None when it stays here)."""
    from coordination.federation.models import Peer

    if request.origin_node:
        return (
            Peer.objects.exclude(state=PeerState.REMOVED).filter(name=request.origin_node).first()
        )
    agency = request.receiving_agency
    if agency is not None and agency.node_id and agency.node.state != PeerState.REMOVED:
        return agency.node
    return None


# Bodies ----------------------------------------------------------------------------------


def _time(value):
    return value.isoformat() if value else None


def _step_fields(row):
    return {
        "step": replication.ref(row),
        "action": row.action,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "at": _time(row.at),
        "actor_name": row.actor_name,
        "actor_agency": agency_ref(row.actor_agency) if row.actor_agency_id else None,
        "actor_agency_name": row.actor_agency_name,
    }


def sent_body(request, row):
    """What the requested side needs to act on: the request as it left, and its sending."""
    incident = request.incident
    return {
        "request": replication.ref(request),
        "reference": request.reference,
        "legal_basis": request.legal_basis,
        "measures": list(request.measures),
        "urgency": request.urgency,
        "requesting_agency": agency_ref(request.requesting_agency),
        "receiving_agency": agency_ref(request.receiving_agency),
        "requested_country": str(request.requested_country),
        **{name: getattr(request, name) for name in TEXTS},
        "tlp": request.tlp,
        "confidentiality_requested": request.confidentiality_requested,
        "issuer_deadline": _time(request.issuer_deadline),
        "provisional_measures": request.provisional_measures,
        "incident": replication.ref(incident) if incident is not None else None,
        "incident_reference": (incident.origin_reference or incident.reference) if incident else "",
        "data_sought": [
            {
                "kind": item.kind,
                "value": item.value,
                "observed_at": _time(item.observed_at),
                "provider": item.provider,
                "note": item.note,
            }
            for item in request.data_sought.all()
        ],
        "policy_hours": request.policy_hours or {},
        "created_at": _time(request.created_at),
        **_step_fields(row),
    }


def step_body(request, row):
    body = {"request": replication.ref(request), **_step_fields(row), "comment": row.comment}
    if row.action == ActionName.ACKNOWLEDGE:
        body["received_at"] = _time(request.received_at)
    elif row.action == ActionName.FORWARD:
        body["agency"] = agency_ref(request.executing_agency)
    elif row.action == ActionName.EXTEND:
        body["estimate"] = _time(request.extension_estimate)
    return body


def publish(request, action, row):
    """After a step taken here (in its transaction): the other node's copy follows."""
    if not identity.is_enabled():
        return 0
    peer = _peer_of(request)
    if peer is None:
        return 0
    if action == ActionName.APPROVE:
        body, message_type = sent_body(request, row), SENT
    elif action in BETWEEN_NODES:
        body, message_type = step_body(request, row), STEP
    else:
        return 0
    outbox.enqueue(peer, message_type, stream_of(request), body, schema_version=SCHEMA_VERSION)
    return 1


# Receiving -------------------------------------------------------------------------------


def _reference(body, name):
    reference = body.get(name)
    if (
        not isinstance(reference, dict)
        or not isinstance(reference.get("id"), int)
        or not isinstance(reference.get("node"), str)
    ):
        raise BodyError(f"{name}: a reference {{node, id}}")
    return reference


def _step_of(peer, body):
    from coordination.assistance.transitions import Step

    reference = _reference(body, "step")
    if reference["node"] != peer.name:
        raise Refused("a step comes from the node where it was taken")
    agency = find_agency(body.get("actor_agency"))
    if agency is not None and agency.node_id != peer.pk:
        raise Refused("actor_agency: not an agency of the sending node")
    return Step(
        node=peer.name,
        id=reference["id"],
        at=_moment(body, "at", required=True),
        actor_name=_text(body, "actor_name", 200) or peer.name,
        actor_agency=agency,
        actor_agency_name=_text(body, "actor_agency_name", 200),
    )


def _data_sought(body):
    from coordination.assistance.models import DataSought

    items = body.get("data_sought") or []
    if not isinstance(items, list) or len(items) > 50:
        raise BodyError("data_sought: a list of at most 50 items")
    rows = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise BodyError("data_sought: objects {kind, value, observed_at, provider, note}")
        value = _text(item, "value", 300)
        if not value:
            raise BodyError("data_sought: every item has a value")
        rows.append(
            DataSought(
                kind=_choice(item, "kind", DataKind),
                value=value,
                observed_at=_moment(item, "observed_at"),
                provider=_text(item, "provider", 200),
                note=_text(item, "note", 300),
                position=position,
            )
        )
    return rows


def _policy_hours(body):
    hours = body.get("policy_hours") or {}
    if not isinstance(hours, dict) or not all(
        isinstance(k, str) and k.count("|") == 2 and isinstance(v, int) and 0 < v <= 24 * 366
        for k, v in hours.items()
    ):
        raise BodyError('policy_hours: {"basis|kind|urgency": hours}')
    return hours


@handles(SENT, schema_version=SCHEMA_VERSION)
def apply_sent(peer, body, message):
    """A request sent to an agency of this node: its replica, addressed to that agency."""
    from coordination.assistance import alerts, events
    from coordination.assistance.models import AssistanceRequest
    from coordination.assistance.transitions import sync_deadlines
    from coordination.assistance.validation import clean_measures
    from incidents.models import Incident, allocate_reference

    reference = _reference(body, "request")
    if reference["node"] != peer.name:
        raise Refused("a request comes from the node where it was drafted")
    if find(AssistanceRequest, reference) is not None:
        return  # applied before
    step = _step_of(peer, body)
    if body.get("action") != ActionName.APPROVE or body.get("to_status") != Status.SENT:
        raise BodyError("a request arrives as it is sent: action approve, to_status sent")
    tlp = _choice(body, "tlp", TLP)
    if tlp == TLP.AMBER_STRICT:
        raise Refused("a TLP:AMBER+STRICT request never leaves its node")
    basis = _choice(body, "legal_basis", LegalBasis)
    if basis in PROVIDER_BASES:
        raise Refused("orders to a service provider are not sent between nodes")
    requesting = find_agency(body.get("requesting_agency"))
    if requesting is None:
        # Not in the sender's directory here yet: kept, and taken when the stream moves.
        raise BodyError("requesting_agency: not in this node's directory")
    if requesting.node_id != peer.pk:
        raise Refused("requesting_agency: not an agency of the sending node")
    receiving = find_agency(body.get("receiving_agency"))
    if receiving is None or receiving.node_id is not None or not receiving.is_active:
        raise Refused("receiving_agency: not an active agency of this node")
    if body.get("requested_country") != receiving.country.code:
        raise BodyError("requested_country: the country of the receiving agency")
    measures = body.get("measures") or []
    try:
        measures = clean_measures(measures if isinstance(measures, list) else [measures])
    except (ValueError, TypeError) as exc:
        raise BodyError(f"measures: unknown {exc}") from exc
    incident = None
    if body.get("incident") is not None and tlp != TLP.RED:
        # Linked when the case is shared with this node; else its reference is shown.
        incident = find(Incident, _reference(body, "incident"))
    data_sought = _data_sought(body)
    request = AssistanceRequest.objects.create(
        origin_node=peer.name,
        origin_id=reference["id"],
        origin_reference=_text(body, "reference", 20),
        origin_incident_reference=_text(body, "incident_reference", 20),
        reference=allocate_reference("MLA", step.at.year, width=4),
        incident=incident,
        legal_basis=basis,
        measures=measures,
        urgency=_choice(body, "urgency", Urgency),
        requesting_agency=requesting,
        requested_country=receiving.country.code,
        receiving_agency=receiving,
        **{name: _text(body, name, limit) for name, limit in TEXTS.items()},
        tlp=tlp,
        confidentiality_requested=bool(body.get("confidentiality_requested")),
        issuer_deadline=_moment(body, "issuer_deadline"),
        provisional_measures=bool(body.get("provisional_measures")),
        policy_hours=_policy_hours(body),
        status=Status.SENT,
        sent_at=step.at,
        created_by=replication.stand_in(peer.name),
    )
    for row in data_sought:
        row.request = request
    request.data_sought.model.objects.bulk_create(data_sought)
    sync_deadlines(request, step.at)
    row = events.history_row(
        request, ActionName.APPROVE, Status.PENDING_APPROVAL, None, "", step.at, step=step
    )
    alerts.request_transitioned(request, ActionName.APPROVE, Status.PENDING_APPROVAL, None, "", row)


@handles(STEP, schema_version=SCHEMA_VERSION)
def apply_step(peer, body, message):
    """A step the other node took: checked against that node's side, then applied."""
    from coordination.assistance.models import AssistanceRequest, StatusHistory
    from coordination.assistance.transitions import apply_step as take
    from incidents.exceptions import TransitionNotAllowed

    reference = _reference(body, "request")
    action = body.get("action")
    if action not in BETWEEN_NODES:
        raise BodyError("action: a step of a request between nodes")
    step = _step_of(peer, body)
    if StatusHistory.objects.filter(origin_node=step.node, origin_id=step.id).exists():
        return  # applied before
    found = find(AssistanceRequest, reference)
    if found is None:
        raise Refused("no such request on this node")
    request = AssistanceRequest.objects.select_for_update().get(pk=found.pk)
    side = TRANSITIONS[action].side
    if request.origin_node:
        if request.origin_node != peer.name:
            raise Refused("a replica takes the steps of its requesting node alone")
        if side != Side.REQUESTING:
            raise Refused(f"{action} is the requested side's step, taken on this node")
        if step.actor_agency is not None and step.actor_agency.pk != request.requesting_agency_id:
            raise Refused("actor_agency: not the requesting agency")
    else:
        agency = request.receiving_agency
        if agency is None or agency.node_id != peer.pk:
            raise Refused("the request was not sent to an agency of the sending node")
        if side != Side.REQUESTED:
            raise Refused(f"{action} is the requesting side's step, taken on this node")
        if step.actor_agency is None:
            raise BodyError("actor_agency: not in this node's directory")
        if step.actor_agency.pk != request.acting_agency_id:
            raise Refused("actor_agency: not the agency acting on the request")
    if body.get("from_status") != request.status:
        raise Refused(
            f"{action} was taken from {body.get('from_status')!r}; the request is "
            f"{request.status!r} here"
        )
    data = {}
    if action == ActionName.ACKNOWLEDGE:
        data["received_at"] = _moment(body, "received_at", required=True)
    elif action == ActionName.FORWARD:
        data["agency"] = find_agency(body.get("agency"))
        if data["agency"] is None:
            raise BodyError("agency: not in this node's directory")
    elif action == ActionName.EXTEND:
        data["estimate"] = _moment(body, "estimate")
    comment = _text(body, "comment", 20_000)
    try:
        with transaction.atomic():
            take(request, action, step, comment=comment, **data)
    except TransitionNotAllowed as exc:
        raise Refused(exc.message) from exc
    except ValidationError as exc:
        raise Refused("; ".join(exc.messages)) from exc

"""Applying a shared incident's messages on the receiving node (``incident.*``, schema 1).

Each handler checks the sender's authority before it writes: the case's state comes from
the lead's node only; on the lead's node, an entry, indicator or evidence item comes from
the node where it was written, which must have a contributing agency on the case; on a
replica, everything comes from the lead's node. A message that breaks these rules or a TLP
rule raises ``Refused``: nothing is written, the refusal is audited, the stream moves on.
Applying a message twice finds the row it wrote the first time and changes nothing.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django_countries import countries

from coordination.federation import files, identity, replication
from coordination.federation.handlers import BodyError, Refused, handles
from coordination.federation.handlers import body_choice as _choice
from coordination.federation.handlers import body_moment as _moment
from coordination.federation.handlers import body_text as _text
from coordination.federation.replication import find, find_agency
from incidents import alerts
from incidents.choices import (
    PARTICIPATION_PERMISSIONS,
    TLP,
    Category,
    ParticipationRole,
    Severity,
    Status,
    TimelineKind,
)
from incidents.evidence.choices import EvidenceKind
from incidents.models import Evidence, Incident, Participation, TimelineEntry, allocate_reference
from incidents.permissions import grant_participation, revoke_participation


def _check_tlp(tlp, incident=None):
    if tlp == TLP.AMBER_STRICT:
        raise Refused("TLP:AMBER+STRICT material never leaves its node")
    if incident is not None and TLP.rank(tlp) < TLP.rank(incident.tlp):
        raise Refused(f"marked {tlp}, lower than the case ({incident.tlp})")


# The case's state ------------------------------------------------------------------


def _state_fields(body):
    codes = body.get("affected_countries") or []
    if not isinstance(codes, list) or any(code not in dict(countries) for code in codes):
        raise BodyError("affected_countries: a list of ISO 3166-1 alpha-2 codes")
    return {
        "title": _text(body, "title", 200, required=True),
        "summary": _text(body, "summary", 20_000),
        "category": _choice(body, "category", Category),
        "severity": _choice(body, "severity", Severity),
        "tlp": _choice(body, "tlp", TLP),
        "status": _choice(body, "status", Status),
        "is_exercise": bool(body.get("is_exercise")),
        "affected_countries": codes,
        "detected_at": _moment(body, "detected_at"),
    }


@handles(replication.STATE, schema_version=replication.SCHEMA_VERSION)
def apply_state(peer, body, message):
    reference = body.get("incident")
    if not isinstance(reference, dict) or not isinstance(reference.get("id"), int):
        raise BodyError("incident: a reference {node, id}")
    if reference.get("node") != peer.name:
        raise Refused("a case's state comes from its lead's node alone")
    fields = _state_fields(body)
    if TLP.rank(fields["tlp"]) > TLP.rank(replication.HIGHEST_SHAREABLE):
        raise Refused(f"a {fields['tlp']} case is not shared with other nodes")
    lead = find_agency(body.get("lead"))
    if lead is None or lead.node_id != peer.pk:
        raise Refused("the lead agency is not an agency of the sending node")
    incident = (
        Incident.objects.select_for_update()
        .filter(origin_node=peer.name, origin_id=reference["id"])
        .first()
    )
    if incident is None:
        created_at = _moment(body, "created_at")
        year = (created_at or message.sent_at).year
        incident = Incident(
            reference=allocate_reference("CC", year),
            origin_reference=_text(body, "reference", 20, required=True),
            origin_node=peer.name,
            origin_id=reference["id"],
            lead_agency=lead,
            created_by=replication.stand_in(peer.name),
        )
    elif incident.lead_agency_id != lead.pk:
        raise Refused("the lead agency of a case does not change")
    for name, value in fields.items():
        setattr(incident, name, value)
    incident.save()
    _sync_participants(peer, incident, body.get("participants"))


def _sync_participants(peer, incident, entries):
    if not isinstance(entries, list):
        raise BodyError("participants: a list")
    wanted = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise BodyError("participants: objects {agency, role}")
        role = _choice(entry, "role", ParticipationRole)
        agency = find_agency(entry.get("agency"))
        if agency is None:
            continue  # an agency of a node this one does not know: nobody here to grant
        if role == ParticipationRole.LEAD and agency.node_id != peer.pk:
            raise Refused("only an agency of the lead's node leads the case")
        wanted[agency.pk] = (agency, role)
    present = {p.agency_id: p for p in incident.participations.select_related("agency")}
    for agency_id, participation in present.items():
        if agency_id not in wanted:
            revoke_participation(incident, participation.agency)
            participation.delete()
    for agency_id, (agency, role) in wanted.items():
        participation = present.get(agency_id)
        if participation is None:
            participation = Participation.objects.create(
                incident=incident, agency=agency, role=role
            )
            grant_participation(incident, agency, role)
            if agency.node_id is None:  # this node's agency: its people learn of the case
                alerts.incident_shared(incident, participation, replication.stand_in(peer.name))
        elif participation.role != role:
            participation.role = role
            participation.save(update_fields=["role"])
            grant_participation(incident, agency, role)


# Entries, indicators, evidence -----------------------------------------------------


def _item_ref(body, name):
    reference = body.get(name)
    if not isinstance(reference, dict) or not isinstance(reference.get("id"), int):
        raise BodyError(f"{name}: a reference {{node, id}}")
    if not isinstance(reference.get("node"), str) or not reference["node"]:
        raise BodyError(f"{name}: a reference {{node, id}}")
    return reference


def _incident_for(peer, body, item):
    """The case an item belongs to, once the sender's authority over the item is checked."""
    incident = find(Incident, body.get("incident"))
    if incident is None:
        raise BodyError("incident: no such case here")
    if incident.origin_node:
        if incident.origin_node != peer.name:
            raise Refused("a replica takes its case's messages from the lead's node alone")
        return incident
    if item["node"] != peer.name:
        raise Refused("an item comes to the lead's node from the node where it was written")
    if not node_contributes(incident, peer):
        raise Refused("no agency of the sending node contributes to the case")
    return incident


def node_contributes(incident, peer):
    """Whether an agency of ``peer`` takes part in ``incident`` as more than an observer."""
    contributing = [
        role
        for role, permissions in PARTICIPATION_PERMISSIONS.items()
        if "contribute_incident" in permissions
    ]
    return Participation.objects.filter(
        incident=incident, agency__node=peer, role__in=contributing
    ).exists()


def _agency_of_item(peer, incident, body, name, *, automatic=False):
    """The item's agency; on the lead's node, a participating agency of the sender.

    ``automatic``: an entry the sending node wrote by itself (a scheduled custody check's
    integrity alert) names no agency; it is taken from a node that contributes to the case.
    """
    agency = find_agency(body.get(name))
    if automatic and body.get(name) is None and not incident.origin_node:
        if not node_contributes(incident, peer):
            raise Refused("an automatic entry from a node that does not contribute to the case")
        return None
    if not incident.origin_node:
        if agency is None or agency.node_id != peer.pk:
            raise Refused(f"{name}: not an agency of the sending node")
        if not incident.participations.filter(agency=agency).exists():
            raise Refused(f"{name}: not an agency taking part in the case")
    return agency


def _audience(incident, tlp, body, what):
    """The named recipients on this node of a TLP:RED item (usernames in the body)."""
    from django.contrib.auth import get_user_model

    if tlp != TLP.RED:
        return []
    names = body.get("audience") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BodyError("audience: a list of usernames")
    users = list(
        get_user_model().objects.filter(
            username__in=names,
            is_active=True,
            agency__node__isnull=True,
            agency__participations__incident=incident,
        )
    )
    if not users:
        raise Refused(f"a TLP:RED {what} names nobody on this node")
    return users


def _is_own(reference):
    # What this node wrote, coming back: it is here already.
    return reference["node"] == identity.node_name()


@handles(replication.ENTRY, schema_version=replication.SCHEMA_VERSION)
def apply_entry(peer, body, message):
    from incidents import events

    reference = _item_ref(body, "entry")
    if _is_own(reference) or find(TimelineEntry, reference) is not None:
        return
    incident = _incident_for(peer, body, reference)
    tlp = _choice(body, "tlp", TLP)
    _check_tlp(tlp, incident)
    audience = _audience(incident, tlp, body, "entry")
    automatic = body.get("kind") not in (TimelineKind.NOTE, None)
    agency = _agency_of_item(peer, incident, body, "author_agency", automatic=automatic)
    corrects = None
    if body.get("corrects") is not None:
        corrects = find(TimelineEntry, body["corrects"])
        if corrects is None or corrects.incident_id != incident.pk:
            raise BodyError("corrects: no such entry in this case here")
        if replication.ref(corrects)["node"] != reference["node"]:
            raise Refused("an entry is corrected on the node where it was written")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise BodyError("params: an object")
    entry = events.replicated_entry(
        incident,
        origin_node=reference["node"],
        origin_id=reference["id"],
        kind=_choice(body, "kind", TimelineKind),
        body=_text(body, "body", 100_000, required=True),
        event=_text(body, "event", 64),
        params=params,
        tlp=tlp,
        occurred_at=_moment(body, "occurred_at", required=True),
        recorded_at=_moment(body, "recorded_at", required=True),
        author_name=_text(body, "author_name", 200),
        author_agency=agency,
        corrects=corrects,
        audience=audience,
    )
    files.record_pending(
        entry, body.get("attachments"), replication.stand_in(reference["node"]), agency
    )
    replication.publish_entry(entry)


@handles(replication.INDICATOR, schema_version=replication.SCHEMA_VERSION)
def apply_indicator(peer, body, message):
    """A new indicator, or the new state of one this node holds a copy of."""
    from coordination.intel.choices import IndicatorType
    from coordination.intel.models import Indicator
    from coordination.intel.normalise import normalise

    reference = _item_ref(body, "indicator")
    if _is_own(reference):
        return
    incident = _incident_for(peer, body, reference)
    tlp = _choice(body, "tlp", TLP)
    _check_tlp(tlp, incident)
    audience = _audience(incident, tlp, body, "indicator")
    agency = _agency_of_item(peer, incident, body, "agency")
    state = _indicator_state(body)
    copy = find(Indicator, reference)
    if copy is not None:
        if copy.incident_id != incident.pk:
            raise BodyError("indicator: kept here in another case")
        _update_indicator(copy, tlp, audience, state)
        return
    type = _choice(body, "type", IndicatorType)
    try:
        value = normalise(type, _text(body, "value", 2048, required=True))
    except ValidationError as exc:
        raise BodyError("value: " + "; ".join(exc.messages)) from exc
    if Indicator.objects.filter(incident=incident, type=type, value=value).exists():
        return  # the same observable, added on both sides: one row per case
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).values_list("pk").first()
        indicator = Indicator.objects.create(
            incident=incident,
            origin_node=reference["node"],
            origin_id=reference["id"],
            type=type,
            value=value,
            tlp=tlp,
            added_by=replication.stand_in(reference["node"]),
            added_by_agency=agency,
            created_at=_moment(body, "created_at", required=True),
            **state,
        )
        if audience:
            indicator.audience.set(audience)
    replication.publish_indicator(indicator)


@handles(replication.INDICATOR_RAISED, schema_version=replication.SCHEMA_VERSION)
def apply_indicator_raised(peer, body, message):
    """The indicator's label went up on its node, beyond what this node may have: the copy
    here takes the label and names nobody, so that no one here reads it any more."""
    from coordination.intel.models import Indicator

    reference = _item_ref(body, "indicator")
    if _is_own(reference):
        return
    incident = _incident_for(peer, body, reference)
    tlp = _choice(body, "tlp", TLP)
    if tlp not in (TLP.AMBER_STRICT, TLP.RED):
        raise BodyError("tlp: amber+strict or red")
    copy = find(Indicator, reference)
    if copy is None:
        return  # never sent here: nothing to hide
    if copy.incident_id != incident.pk:
        raise BodyError("indicator: kept here in another case")
    if TLP.rank(tlp) > TLP.rank(copy.tlp):
        copy.tlp = tlp
        copy.save(update_fields=["tlp", "updated_at"])
    copy.audience.clear()
    replication.publish_label_raised(copy)


def _indicator_state(body):
    """What may change of an indicator after it was written (``revoked`` and
    ``valid_until`` are optional: a node that does not send them sends neither)."""
    confidence = body.get("confidence")
    if confidence is not None and (not isinstance(confidence, int) or not 0 <= confidence <= 100):
        raise BodyError("confidence: a whole number from 0 to 100")
    revoked = body.get("revoked", False)
    if not isinstance(revoked, bool):
        raise BodyError("revoked: true or false")
    return {
        "first_seen": _moment(body, "first_seen"),
        "last_seen": _moment(body, "last_seen"),
        "confidence": confidence,
        "note": _text(body, "note", 20_000),
        "revoked": revoked,
        "valid_until": _moment(body, "valid_until"),
    }


def _update_indicator(copy, tlp, audience, state):
    """Take the new state of a copy from its node. Its label never goes down here: a copy
    raised on this node keeps its label, and its named recipients are only ever added."""
    changed = [name for name, value in state.items() if getattr(copy, name) != value]
    for name in changed:
        setattr(copy, name, state[name])
    if TLP.rank(tlp) > TLP.rank(copy.tlp):
        copy.tlp = tlp
        changed.append("tlp")
    named = {user.pk for user in copy.audience.all()}
    joining = [user for user in audience if user.pk not in named]
    if changed:
        copy.save(update_fields=[*changed, "updated_at"])
    if joining:
        copy.audience.add(*joining)
    if changed or joining:
        replication.publish_indicator(copy)
    if "tlp" in changed:
        replication.publish_label_raised(copy)  # the lead's node tells the other nodes


@handles(replication.EVIDENCE, schema_version=replication.SCHEMA_VERSION)
def apply_evidence(peer, body, message):
    reference = _item_ref(body, "evidence")
    if _is_own(reference) or find(Evidence, reference) is not None:
        return
    incident = _incident_for(peer, body, reference)
    holder = _agency_of_item(peer, incident, body, "holder_agency") or incident.lead_agency
    sha256 = _text(body, "sha256", 64, required=True)
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise BodyError("sha256: 64 hexadecimal digits")
    size = body.get("size")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise BodyError("size: a whole number of bytes")
    acquired_at = _moment(body, "acquired_at", required=True)
    evidence = Evidence.objects.create(
        incident=incident,
        origin_node=reference["node"],
        origin_id=reference["id"],
        reference=allocate_reference("EV", message.sent_at.year),
        title=_text(body, "title", 200, required=True),
        description=_text(body, "description", 20_000),
        kind=_choice(body, "kind", EvidenceKind),
        sha256=sha256,
        size=size,
        file_name=_text(body, "file_name", 255),
        acquired_at=acquired_at,
        acquired_by_name=_text(body, "acquired_by_name", 200, required=True),
        acquired_where=_text(body, "acquired_where", 300, required=True),
        acquisition_method=_text(body, "acquisition_method", 300),
        seal_number=_text(body, "seal_number", 100),
        is_sealed=bool(_text(body, "seal_number", 100)),
        holder_agency=holder,
        holder_person=_text(body, "holder_person", 200),
        created_by=replication.stand_in(reference["node"]),
        # Its custody is recorded on its node; the steps come in evidence.custody messages.
        custody_node=reference["node"],
        origin_reference=_text(body, "reference", 20) if reference["node"] == peer.name else "",
    )
    replication.publish_evidence(evidence)

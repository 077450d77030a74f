"""Who hears about custody events: built here, delivered by the notifications app.

Called from the custody actions inside their transaction.
"""

from accounts.models import User
from coordination.notifications.choices import Event
from coordination.notifications.services import Message, notify
from incidents.alerts import CONFIDENTIAL_TLP, incident_thread, mailbox_of
from incidents.choices import TLP
from incidents.evidence.choices import CustodyAction, EvidenceKind


def _context(evidence, event, by):
    incident = evidence.incident
    return {
        "reference": incident.reference,
        "incident_title": incident.title,
        "evidence_reference": evidence.reference,
        "evidence_title": evidence.title,
        "kind": EvidenceKind(evidence.kind).label,
        "tlp": TLP(incident.tlp).label,
        "action": CustodyAction(event.action).label,
        "seq": event.seq,
        "from_agency": event.from_agency.name if event.from_agency_id else event.from_person,
        "to_agency": event.to_agency.name if event.to_agency_id else event.to_person,
        "channel": event.channel,
        "occurred_at": event.occurred_at,
        "hash_observed": event.hash_observed,
        "sha256": evidence.sha256,
        "actor_name": by.display_name,
        "actor_agency": by.agency.name if by.agency_id else "",
    }


def custody_handover(evidence, event, by):
    """An item is on its way to an agency: its people and its mailbox are told."""
    agency = event.to_agency
    message = Message(
        event=Event.CUSTODY_HANDOVER,
        key=f"custody-handover:{event.pk}",
        link=evidence.get_absolute_url(),
        thread=incident_thread(evidence.incident),
        confidential=evidence.incident.tlp in CONFIDENTIAL_TLP,
        exercise=evidence.incident.is_exercise,
        context=_context(evidence, event, by),
    )
    return notify(
        message, users=agency.users.filter(is_active=True), mailboxes=[mailbox_of(agency)]
    )


def evidence_compromised(evidence, event, by):
    """An observed hash differs: every participant agency's people are told."""
    participants = evidence.incident.participations.values("agency_id")
    message = Message(
        event=Event.EVIDENCE_COMPROMISED,
        key=f"evidence-compromised:{event.pk}",
        link=evidence.get_absolute_url(),
        thread=incident_thread(evidence.incident),
        confidential=evidence.incident.tlp in CONFIDENTIAL_TLP,
        exercise=evidence.incident.is_exercise,
        context=_context(evidence, event, by),
    )
    return notify(message, users=User.objects.filter(is_active=True, agency_id__in=participants))


def chain_broken(evidence, verification, by):
    """A verification found the chain broken: every participant agency's people are told."""
    participants = evidence.incident.participations.values("agency_id")
    incident = evidence.incident
    message = Message(
        event=Event.EVIDENCE_COMPROMISED,
        key=f"custody-chain-broken:{evidence.pk}",
        link=evidence.get_absolute_url(),
        thread=incident_thread(incident),
        confidential=incident.tlp in CONFIDENTIAL_TLP,
        exercise=incident.is_exercise,
        context={
            "reference": incident.reference,
            "incident_title": incident.title,
            "evidence_reference": evidence.reference,
            "evidence_title": evidence.title,
            "kind": EvidenceKind(evidence.kind).label,
            "tlp": TLP(incident.tlp).label,
            "broken_seq": verification.broken_seq,
            "final_hash": verification.final_hash,
            "sha256": evidence.sha256,
            "actor_name": verification.checked_by_name,
            "actor_agency": by.agency.name if by is not None and by.agency_id else "",
        },
    )
    return notify(message, users=User.objects.filter(is_active=True, agency_id__in=participants))

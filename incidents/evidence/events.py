"""Timeline entries about evidence, written through ``incidents.events`` in the caller's
transaction."""

from django.utils.translation import gettext as _

from incidents.choices import TimelineKind
from incidents.events import write_entry
from incidents.evidence import chain
from incidents.evidence.choices import CustodyAction, EvidenceKind


def evidence_logged(evidence, by):
    body = _("Evidence **%(reference)s** logged: %(title)s (%(kind)s), held by %(agency)s.") % {
        "reference": evidence.reference,
        "title": evidence.title,
        "kind": EvidenceKind(evidence.kind).label.lower(),
        "agency": evidence.holder_agency.name,
    }
    return write_entry(evidence.incident, by, TimelineKind.EVIDENCE, body, subject=evidence)


def custody_recorded(evidence, event, by):
    action = CustodyAction(event.action)
    parts = {
        "reference": evidence.reference,
        "seq": event.seq,
        "action": action.label.lower(),
        "from": event.from_agency.name if event.from_agency_id else event.from_person,
        "to": event.to_agency.name if event.to_agency_id else event.to_person,
    }
    if action == CustodyAction.TRANSFERRED:
        body = _("**%(reference)s** step %(seq)s: handed over by %(from)s to %(to)s.") % parts
    elif action == CustodyAction.RECEIVED:
        body = _("**%(reference)s** step %(seq)s: received by %(to)s from %(from)s.") % parts
    else:
        body = _("**%(reference)s** step %(seq)s: %(action)s.") % parts
    if event.purpose:
        body += " " + _("Purpose: %(purpose)s") % {"purpose": event.purpose}
    return write_entry(
        evidence.incident,
        by,
        TimelineKind.CUSTODY,
        body,
        subject=evidence,
        occurred_at=event.occurred_at,
    )


def evidence_compromised(evidence, event, by):
    body = _(
        "**Integrity alert — %(reference)s** step %(seq)s (%(action)s): the hash observed, "
        "`%(observed)s`, differs from the item's SHA-256 `%(expected)s`. The item is flagged "
        "as compromised."
    ) % {
        "reference": evidence.reference,
        "seq": event.seq,
        "action": CustodyAction(event.action).label.lower(),
        "observed": event.hash_observed,
        "expected": evidence.sha256,
    }
    return write_entry(evidence.incident, by, TimelineKind.CUSTODY, body, subject=evidence)


def chain_broken(evidence, verification, by):
    body = _(
        "**Integrity alert — %(reference)s**: verifying its chain of custody found it broken "
        "at step %(seq)s (%(what)s). The custody record was altered outside Concord; the item "
        "is flagged as compromised and takes no further custody step."
    ) % {
        "reference": evidence.reference,
        "seq": verification.broken_seq,
        "what": chain.BrokenLink(
            verification.broken_seq, verification.broken_what, "", ""
        ).what_label(),
    }
    return write_entry(evidence.incident, by, TimelineKind.CUSTODY, body, subject=evidence)

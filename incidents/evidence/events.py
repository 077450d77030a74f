"""Timeline events about evidence, written through ``incidents.events`` in the caller's
transaction."""

from django.utils.translation import gettext_lazy

from incidents.choices import TimelineKind
from incidents.events import label_of, moment, register, stored_time, write_event
from incidents.evidence import chain
from incidents.evidence.choices import CustodyAction, EvidenceKind

EVIDENCE_LOGGED = register(
    "evidence.logged",
    TimelineKind.EVIDENCE,
    gettext_lazy("Evidence **%(reference)s** logged: %(title)s (%(kind)s), held by %(agency)s."),
    params={"kind": label_of(EvidenceKind, lower=True)},
)
_PURPOSE = ("purpose", gettext_lazy("Purpose: %(purpose)s"))
CUSTODY_TRANSFERRED = register(
    "custody.transferred",
    TimelineKind.CUSTODY,
    gettext_lazy("**%(reference)s** step %(seq)s: handed over by %(from)s to %(to)s."),
    extras=[_PURPOSE],
)
CUSTODY_RECEIVED = register(
    "custody.received",
    TimelineKind.CUSTODY,
    gettext_lazy("**%(reference)s** step %(seq)s: received by %(to)s from %(from)s."),
    extras=[_PURPOSE],
)
CUSTODY_RECORDED = register(
    "custody.recorded",
    TimelineKind.CUSTODY,
    gettext_lazy("**%(reference)s** step %(seq)s: %(action)s."),
    params={"action": label_of(CustodyAction, lower=True)},
    extras=[_PURPOSE],
)
EVIDENCE_COMPROMISED = register(
    "evidence.compromised",
    TimelineKind.CUSTODY,
    gettext_lazy(
        "**Integrity alert — %(reference)s** step %(seq)s (%(action)s): the hash observed, "
        "`%(observed)s`, differs from the item's SHA-256 `%(expected)s`. The item is flagged "
        "as compromised."
    ),
    params={"action": label_of(CustodyAction, lower=True)},
)

ATTACHMENT_PROMOTED = register(
    "evidence.attachment_promoted",
    TimelineKind.EVIDENCE,
    gettext_lazy(
        "Attachment *%(name)s* of the entry of %(when)s promoted to evidence **%(reference)s** "
        "(SHA-256 `%(sha256)s`)."
    ),
    params={"when": moment},
)


def evidence_logged(evidence, by):
    params = {
        "reference": evidence.reference,
        "title": evidence.title,
        "kind": str(evidence.kind),
        "agency": evidence.holder_agency.name,
    }
    return write_event(evidence.incident, by, EVIDENCE_LOGGED, params, subject=evidence)


def custody_recorded(evidence, event, by):
    action = CustodyAction(event.action)
    code = {
        CustodyAction.TRANSFERRED: CUSTODY_TRANSFERRED,
        CustodyAction.RECEIVED: CUSTODY_RECEIVED,
    }.get(action, CUSTODY_RECORDED)
    params = {
        "reference": evidence.reference,
        "seq": event.seq,
        "action": str(action),
        "from": event.from_agency.name if event.from_agency_id else event.from_person,
        "to": event.to_agency.name if event.to_agency_id else event.to_person,
        "purpose": event.purpose,
    }
    return write_event(
        evidence.incident, by, code, params, subject=evidence, occurred_at=event.occurred_at
    )


def evidence_compromised(evidence, event, by):
    params = {
        "reference": evidence.reference,
        "seq": event.seq,
        "action": str(event.action),
        "observed": event.hash_observed,
        "expected": evidence.sha256,
    }
    return write_event(evidence.incident, by, EVIDENCE_COMPROMISED, params, subject=evidence)


def attachment_promoted(evidence, attachment, by):
    params = {
        "name": attachment.file_name,
        "when": stored_time(attachment.entry.occurred_at),
        "reference": evidence.reference,
        "sha256": evidence.sha256,
    }
    return write_event(evidence.incident, by, ATTACHMENT_PROMOTED, params, subject=evidence)


def _broken_part(what):
    return chain.BrokenLink(0, what, "", "").what_label()


CHAIN_BROKEN = register(
    "evidence.chain_broken",
    TimelineKind.CUSTODY,
    gettext_lazy(
        "**Integrity alert — %(reference)s**: verifying its chain of custody found it broken "
        "at step %(seq)s (%(what)s). The custody record was altered outside Concord; the item "
        "is flagged as compromised and takes no further custody step."
    ),
    params={"what": _broken_part},
)


def chain_broken(evidence, verification, by):
    params = {
        "reference": evidence.reference,
        "seq": verification.broken_seq,
        "what": verification.broken_what,
    }
    return write_event(evidence.incident, by, CHAIN_BROKEN, params, subject=evidence)

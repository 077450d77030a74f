"""Writers of the rows a request's transition leaves: history and the incident's timeline.

Called from ``transitions`` inside its transaction.
"""

from django.utils.translation import gettext_lazy

from coordination.assistance.choices import (
    INTERNAL_STATUSES,
    ActionName,
    DeadlineKind,
    LegalBasis,
    Status,
)
from coordination.assistance.models import StatusHistory
from coordination.assistance.validation_rules import VALIDATE_LABEL, validation_needed
from incidents.choices import TLP, TimelineKind
from incidents.events import country, label_of, moment, register, stored_time, write_event

VALIDATED = "validate"  # the action's code when approval was a judicial validation


def _action_label(action):
    label = VALIDATE_LABEL if action == VALIDATED else label_of(ActionName)(action)
    return str(label).lower()


_REQUEST = {
    "basis": label_of(LegalBasis),
    "country": country,
    "action": _action_label,
    "status": label_of(Status),
}
REQUEST_TRANSITION = register(
    "request.transition",
    TimelineKind.REQUEST,
    gettext_lazy(
        "Request **%(reference)s** (%(basis)s, to %(country)s): %(action)s → **%(status)s**."
    ),
    params=_REQUEST,
    extras=[
        ("validator", gettext_lazy("Validated by %(validator)s (%(agency)s), %(source)s.")),
        ("actor", gettext_lazy("By %(actor)s (%(agency)s).")),
        ("comment", gettext_lazy("Comment: %(comment)s")),
    ],
)
DELAY_ANNOUNCED = register(
    "request.delay_announced",
    TimelineKind.REQUEST,
    gettext_lazy(
        "Delay announced on request **%(reference)s** by %(name)s (%(agency)s): "
        "“%(kind)s”, due %(due)s, now expected by %(estimate)s."
    ),
    params={"kind": label_of(DeadlineKind), "due": moment, "estimate": moment},
)


def history_row(request, action, from_status, by, comment, at, *, step=None):
    """The status-history row; ``step``: a step another node took (``transitions.Step``),
    with its actor's name and agency as that node named them, and its id there."""
    if step is not None:
        actor = {
            "actor": None,
            "actor_name": step.actor_name,
            "actor_agency": step.actor_agency,
            "actor_agency_name": step.actor_agency_name,
            "origin_node": step.node,
            "origin_id": step.id,
        }
    else:
        actor = {
            "actor": by,
            "actor_name": by.display_name,
            "actor_agency_id": by.agency_id,
            "actor_agency_name": by.agency.name if by.agency_id else "",
        }
    return StatusHistory.objects.create(
        request=request,
        action=action,
        from_status=from_status,
        to_status=request.status,
        comment=comment,
        due_at=request.due_at,
        due_kind=request.due_kind,
        at=at,
        **actor,
    )


def timeline_entry(request, action, from_status, by, comment, at, *, row=None):
    """A line on the linked incident's timeline (none when the request has no incident).

    The entry is filed under the requesting agency (the incident's side of the request)
    so an AMBER+STRICT incident's participants still read it when the requested side
    acts. While the request is internal to the requesting agency (draft, approval), the
    entry is AMBER+STRICT: other participants do not see the request yet.
    """
    incident = request.incident
    if incident is None:
        return None
    internal = request.status in INTERNAL_STATUSES or (
        request.status == Status.WITHDRAWN and from_status in INTERNAL_STATUSES
    )
    tlp = incident.tlp
    if internal and TLP.rank(tlp) < TLP.rank(TLP.AMBER_STRICT):
        tlp = TLP.AMBER_STRICT
    validated = action == ActionName.APPROVE and request.validated_by_id
    params = {
        "reference": request.reference,
        "basis": str(request.legal_basis),
        "country": request.requested_country.code,
        "action": VALIDATED if validated else str(action),
        "status": str(request.status),
    }
    if validated:
        requirement = validation_needed(request)
        params.update(
            validator=by.display_name,
            agency=request.validating_agency.name,
            source=str(requirement.source) if requirement else "",
        )
    elif by is None:  # a step taken on another node: its actor as that node named them
        params.update(actor=row.actor_name, agency=row.actor_agency_name)
    else:
        params.update(actor=by.display_name, agency=by.agency.name if by.agency_id else "")
    if comment and not internal:
        params["comment"] = comment
    return write_event(
        incident,
        by,
        REQUEST_TRANSITION,
        params,
        tlp=tlp,
        occurred_at=at,
        recorded_at=at,
        subject=request,
        author_agency_id=request.requesting_agency_id,
    )


def delay_announced(request, notice):
    """The delay notice's line on the linked incident's timeline (none without one)."""
    incident = request.incident
    if incident is None:
        return None
    params = {
        "reference": request.reference,
        "name": notice.sent_by_name,
        "agency": notice.agency.name,
        "kind": str(notice.due_kind),
        "due": stored_time(notice.due_at),
        "estimate": stored_time(notice.new_estimate),
    }
    return write_event(
        incident,
        notice.sent_by,
        DELAY_ANNOUNCED,
        params,
        occurred_at=notice.sent_at,
        recorded_at=notice.sent_at,
        subject=request,
        author_agency_id=request.requesting_agency_id,
    )

"""Writers of the rows a request's transition leaves: history and the incident's timeline.

Called from ``transitions`` inside its transaction.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from coordination.assistance.choices import INTERNAL_STATUSES, ActionName, Status
from coordination.assistance.models import StatusHistory
from coordination.assistance.validation_rules import VALIDATE_LABEL, validation_needed
from incidents.choices import TLP, TimelineKind
from incidents.markdown import render_markdown
from incidents.models import TimelineEntry


def history_row(request, action, from_status, by, comment, at):
    return StatusHistory.objects.create(
        request=request,
        action=action,
        from_status=from_status,
        to_status=request.status,
        actor=by,
        actor_name=by.display_name,
        actor_agency_id=by.agency_id,
        actor_agency_name=by.agency.name if by.agency_id else "",
        comment=comment,
        due_at=request.due_at,
        due_kind=request.due_kind,
        at=at,
    )


def timeline_entry(request, action, from_status, by, comment, at):
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
    body = _(
        "Request **%(reference)s** (%(basis)s, to %(country)s): %(action)s → **%(status)s**."
    ) % {
        "reference": request.reference,
        "basis": request.get_legal_basis_display(),
        "country": request.requested_country.name,
        "action": (VALIDATE_LABEL if validated else ActionName(action).label).lower(),
        "status": request.get_status_display(),
    }
    if validated:
        requirement = validation_needed(request)
        body += "\n\n" + _("Validated by %(name)s (%(agency)s), %(source)s.") % {
            "name": by.display_name,
            "agency": request.validating_agency.name,
            "source": requirement.source if requirement else "",
        }
    else:
        body += "\n\n" + _("By %(name)s (%(agency)s).") % {
            "name": by.display_name,
            "agency": by.agency.name if by.agency_id else "",
        }
    if comment and not internal:
        body += "\n\n" + _("Comment: %(comment)s") % {"comment": comment}
    entry = TimelineEntry(
        incident=incident,
        occurred_at=at,
        recorded_at=at,
        author=by,
        author_name=by.display_name,
        author_agency_id=request.requesting_agency_id,
        kind=TimelineKind.REQUEST,
        body=body,
        body_html=render_markdown(body),
        tlp=tlp,
        subject_type=ContentType.objects.get_for_model(request),
        subject_id=str(request.pk),
    )
    entry.save()
    return entry

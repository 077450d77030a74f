"""The requests section of the case report (``incidents.report``): the incident's requests
the reader may see (``AssistanceRequest.objects.restrict``), each with its deadlines."""

from django.utils.translation import gettext as _

from coordination.assistance import deadlines
from incidents.choices import TLP
from incidents.report import Column, Section, agency, agency_text


def requests_section(incident, user):
    from coordination.assistance.models import AssistanceRequest

    requests = (
        AssistanceRequest.objects.restrict(user)
        .filter(incident=incident)
        .select_related("requesting_agency", "receiving_agency", "executing_agency")
        .prefetch_related("clocks")
        .order_by("created_at", "pk")
    )
    return Section(
        key="requests",
        title=_("Requests for assistance"),
        columns=(
            Column("reference", _("Request"), 3, text=_request_text),
            Column(
                "requesting_agency",
                _("From"),
                3,
                text=lambda r: agency_text(r["requesting_agency"]),
            ),
            Column("addressed_to", _("To"), 3, text=lambda r: agency_text(r["addressed_to"])),
            Column("deadlines", _("Deadlines"), 5, text=_deadlines_text),
        ),
        rows=[_request_row(request) for request in requests],
        empty=_("No requests you may see."),
    )


def _request_row(request):
    addressed = request.executing_agency or request.receiving_agency
    return {
        "reference": request.reference,
        "legal_basis": request.legal_basis,
        "legal_basis_label": str(request.get_legal_basis_display()),
        "status": request.status,
        "status_label": str(request.get_status_display()),
        "urgency": request.urgency,
        "tlp": request.tlp,
        "requesting_agency": agency(request.requesting_agency),
        "addressed_to": agency(addressed),
        "deadlines": [_deadline(request, clock) for clock in request.clocks.all()],
    }


def _deadline(request, clock):
    rule = deadlines.rule(request.legal_basis, clock.kind)
    return {
        "kind": clock.kind,
        "label": str(clock.get_kind_display()),
        "party": clock.party,
        "clock_started_at": clock.clock_started_at,
        "due_at": clock.due_at,
        "met_at": clock.met_at,
        "state": clock.state,
        "source": str(rule.source) if rule else "",
        "is_law": bool(rule and rule.is_law),
    }


def _request_text(row):
    return "\n".join(
        [row["reference"], row["legal_basis_label"], row["status_label"], TLP(row["tlp"]).label]
    )


def _deadlines_text(row):
    from incidents.pdf import when

    if not row["deadlines"]:
        return "—"
    lines = []
    for deadline in row["deadlines"]:
        if deadline["met_at"]:
            state = _("met %(when)s") % {"when": when(deadline["met_at"])}
        elif deadline["due_at"]:
            state = _("due %(when)s") % {"when": when(deadline["due_at"])}
        else:
            state = deadline["state"]
        line = f"{deadline['label']}: {state}"
        if deadline["source"]:
            line += f" ({deadline['source']})"
        lines.append(line)
    return "\n".join(lines)

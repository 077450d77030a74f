"""What a consulted or exported object tells the trail: the agency that owns it (its
admins read the record) and why the reader could open it (the justification)."""

from dataclasses import dataclass

from django.apps import apps


@dataclass(frozen=True)
class Subject:
    owner_agency_id: int | None
    incident_id: int | None
    incident_ref: str = ""
    requesting_agency_id: int | None = None
    requested_agency_ids: tuple = ()


def _rows(model_label, key, refs, *fields):
    model = apps.get_model(model_label)
    return model.objects.filter(**{f"{key}__in": refs}).values_list(key, *fields)


def _incidents(refs):
    return {
        str(ref): Subject(owner, pk, ref)
        for ref, owner, pk in _rows("incidents.Incident", "reference", refs, "lead_agency_id", "pk")
    }


def _evidence(refs):
    rows = _rows(
        "incidents.Evidence",
        "reference",
        refs,
        "incident__lead_agency_id",
        "incident_id",
        "incident__reference",
    )
    return {str(ref): Subject(owner, pk, incident) for ref, owner, pk, incident in rows}


def _requests(refs):
    rows = _rows(
        "assistance.AssistanceRequest",
        "reference",
        refs,
        "requesting_agency_id",
        "incident_id",
        "incident__reference",
        "receiving_agency_id",
        "executing_agency_id",
    )
    return {
        str(ref): Subject(owner, pk, incident or "", owner, (receiving, executing))
        for ref, owner, pk, incident, receiving, executing in rows
    }


def _indicators(refs):
    pks = [int(ref) for ref in refs if str(ref).isdigit()]
    rows = _rows(
        "intel.Indicator",
        "pk",
        pks,
        "incident__lead_agency_id",
        "incident_id",
        "incident__reference",
    )
    return {str(ref): Subject(owner, pk, incident) for ref, owner, pk, incident in rows}


def _attachments(refs):
    pks = [int(ref) for ref in refs if str(ref).isdigit()]
    rows = _rows(
        "incidents.EntryAttachment",
        "pk",
        pks,
        "entry__incident__lead_agency_id",
        "entry__incident_id",
        "entry__incident__reference",
    )
    return {str(ref): Subject(owner, pk, incident) for ref, owner, pk, incident in rows}


READERS = {
    "incident": _incidents,
    "evidence": _evidence,
    "request": _requests,
    "indicator": _indicators,
    "timeline attachment": _attachments,
}


def subjects(wanted):
    """``{object_type: {ref, ...}}`` -> ``{(object_type, ref): Subject}``."""
    found = {}
    for object_type, refs in wanted.items():
        read = READERS.get(object_type)
        if read is None or not refs:
            continue
        for ref, subject in read(sorted(refs)).items():
            found[(object_type, ref)] = subject
    return found


def participation_roles(pairs):
    """``{(incident_id, agency_id), ...}`` -> ``{(incident_id, agency_id): role}``."""
    if not pairs:
        return {}
    participation = apps.get_model("incidents.Participation")
    incidents = {incident for incident, _ in pairs}
    agencies = {agency for _, agency in pairs}
    rows = participation.objects.filter(
        incident_id__in=incidents, agency_id__in=agencies
    ).values_list("incident_id", "agency_id", "role")
    return {(incident, agency): role for incident, agency, role in rows}

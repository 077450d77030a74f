"""The agency that owns a consulted or exported object: its admins read the record."""

from django.apps import apps


def _lookup(model_label, key, owner_path):
    def read(refs):
        model = apps.get_model(model_label)
        rows = model.objects.filter(**{f"{key}__in": refs}).values_list(key, owner_path)
        return {str(ref): owner for ref, owner in rows}

    return read


def _indicators(refs):
    pks = [int(ref) for ref in refs if str(ref).isdigit()]
    return _lookup("intel.Indicator", "pk", "incident__lead_agency_id")(pks)


OWNERS = {
    "incident": _lookup("incidents.Incident", "reference", "lead_agency_id"),
    "evidence": _lookup("incidents.Evidence", "reference", "incident__lead_agency_id"),
    "request": _lookup("assistance.AssistanceRequest", "reference", "requesting_agency_id"),
    "indicator": _indicators,
}


def owning_agencies(wanted):
    """``{object_type: {ref, ...}}`` -> ``{(object_type, ref): agency_id}``."""
    owners = {}
    for object_type, refs in wanted.items():
        read = OWNERS.get(object_type)
        if read is None or not refs:
            continue
        for ref, agency_id in read(sorted(refs)).items():
            owners[(object_type, ref)] = agency_id
    return owners

"""Build the STIX 2.1 bundle of one incident for one user."""

from django.utils import translation

from accounts.models import Agency
from coordination.exchange import stix
from coordination.exchange.policy import exportable_indicators


def incident_bundle(incident, user, *, machine=False):
    """The incident as a STIX 2.1 bundle: what ``user`` may export of it, nothing more.

    ``machine``: the bundle goes to a tool (``policy.is_machine_request``), so nothing
    marked TLP:RED goes in. Three queries whatever the number of indicators: indicators,
    their agencies, none per row. Texts are written in English whatever the user's
    language: a bundle is read by tools and by partners abroad.
    """
    indicators = list(
        exportable_indicators(user, machine=machine)
        .filter(incident=incident)
        .order_by("type", "value")
    )
    for indicator in indicators:
        indicator.incident = incident  # already loaded: no join, no query per row
    agency_pks = {incident.lead_agency_id} | {stix.owner_agency_pk(i) for i in indicators}
    agencies = list(Agency.objects.filter(pk__in=agency_pks))
    with translation.override("en"):
        objects = stix.supporting_objects(
            {incident.tlp} | {indicator.tlp for indicator in indicators}, agencies
        )
        objects += stix.source_objects(indicators)
        objects.append(
            stix.incident_grouping(incident, indicators, [stix.agency_id(a.pk) for a in agencies])
        )
        objects += [stix.indicator_object(indicator) for indicator in indicators]
    return stix.bundle(objects)

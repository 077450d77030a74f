"""What may leave Concord through an export, by TLP 2.0 label.

Every export starts from ``Indicator.objects.restrict(user)`` (the incident's
visibility) and then applies the label of each indicator:

- CLEAR, GREEN, AMBER: to anyone who may see the incident.
- AMBER+STRICT: only to the owning agency (who added the indicator, else the
  incident's lead agency); the same rule as AMBER+STRICT timeline entries.
- RED: never through machine channels (TAXII collections, blocklists); in a STIX file
  downloaded by a member of the owning agency, who already holds it.

Machine channels also leave out every indicator of a TLP:RED incident.
"""

from django.db.models import Q

from coordination.intel.models import Indicator
from incidents.choices import TLP

SHAREABLE = (TLP.CLEAR, TLP.GREEN, TLP.AMBER)


def owned_by(agency_id):
    """Indicators whose owning agency is ``agency_id``."""
    return Q(added_by_agency_id=agency_id) | Q(
        added_by_agency__isnull=True, incident__lead_agency_id=agency_id
    )


def exportable_indicators(user, *, machine):
    """Indicators ``user`` may export; ``machine`` for TAXII and blocklists."""
    allowed = Q(tlp__in=SHAREABLE)
    if user.is_authenticated and user.agency_id is not None:  # "= NULL" would match nothing
        strict_labels = [TLP.AMBER_STRICT] if machine else [TLP.AMBER_STRICT, TLP.RED]
        allowed |= Q(tlp__in=strict_labels) & owned_by(user.agency_id)
    queryset = Indicator.objects.restrict(user).filter(allowed)
    if machine:
        queryset = queryset.exclude(incident__tlp=TLP.RED)
    return queryset

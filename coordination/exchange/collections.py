"""TAXII collections: one per incident the caller may see, one for the caller's agency.

A collection id is a UUIDv5 of the incident's reference (or the agency's id), so it
stays stable and reveals nothing about how many incidents the platform holds.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Agency
from coordination.exchange import stix
from coordination.exchange.policy import exportable_indicators
from incidents.choices import TLP
from incidents.models import Incident

STANDARD_OBJECTS_ADDED = datetime.datetime(2022, 10, 1, tzinfo=datetime.UTC)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def epoch_micros(moment):
    """Microseconds since 1970 in exact integer arithmetic (a float loses the last digit)."""
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)


def incident_collection_id(reference):
    return str(stix.uuid.uuid5(stix.namespace(), f"collection:incident:{reference}"))


def agency_collection_id(agency_pk):
    return str(stix.uuid.uuid5(stix.namespace(), f"collection:agency:{agency_pk}"))


@dataclass
class Collection:
    id: str
    title: str
    description: str
    incident: Incident | None = None

    def as_taxii(self):
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "can_read": True,
            "can_write": False,
            "media_types": [stix.STIX_MEDIA_TYPE],
        }

    def indicators(self, user):
        """What this collection serves ``user``: exportable by machine, TLP enforced."""
        queryset = exportable_indicators(user, machine=True)
        if self.incident is not None:
            return queryset.filter(incident=self.incident)
        return queryset


def collection_incidents(user):
    """Incidents with a collection for ``user``: visible, real (not exercises), not TLP:RED."""
    return Incident.objects.restrict(user).exclude(tlp=TLP.RED).filter(is_exercise=False)


def incident_collection(incident):
    return Collection(
        id=incident_collection_id(incident.reference),
        title=f"{incident.reference} {incident.title}",
        description=_("Indicators of incident %(reference)s that you may share with tools.")
        % {"reference": incident.reference},
        incident=incident,
    )


def agency_collection(agency):
    return Collection(
        id=agency_collection_id(agency.pk),
        title=_("Shared with %(agency)s") % {"agency": agency.short_name},
        description=_("Indicators of every incident shared with your agency."),
    )


def collections_for(user):
    """Every collection ``user`` may read, the agency's first (one query)."""
    result = [agency_collection(user.agency)] if user.agency_id is not None else []
    incidents = collection_incidents(user).only("pk", "reference", "title").order_by("-pk")
    result += [incident_collection(incident) for incident in incidents]
    return result


def find_collection(user, collection_id):
    """The collection ``collection_id`` if ``user`` may read it, else None.

    Incident collection ids are not reversible: match them against the references of
    the incidents the user may see (one query over two columns).
    """
    collection_id = str(collection_id).lower()
    if user.agency_id is not None and collection_id == agency_collection_id(user.agency_id):
        return agency_collection(user.agency)
    for pk, reference in collection_incidents(user).values_list("pk", "reference"):
        if incident_collection_id(reference) == collection_id:
            incident = Incident.objects.select_related("lead_agency").get(pk=pk)
            return incident_collection(incident)
    return None


@dataclass
class Entry:
    """One object in a collection's stream, with when it was added to the collection."""

    date_added: datetime.datetime
    object: dict
    cursor: str

    @property
    def id(self):
        return self.object["id"]

    @property
    def version(self):
        return self.object.get("modified") or self.object["created"]


def supporting_entries(indicators):
    """Standard objects and agency identities the served indicators refer to.

    They come first in the stream: the TLP objects are dated from the standard
    (2022-10-01), an identity from the agency's creation, a partner's identity or
    statement marking from the first import that brought it.
    """
    # One query over the (few) agencies, each probed through an index: never a scan of
    # the collection's indicators to collect distinct agency ids.
    added = indicators.filter(added_by_agency_id=OuterRef("pk"))
    led = indicators.filter(added_by_agency__isnull=True, incident__lead_agency_id=OuterRef("pk"))
    agencies = Agency.objects.filter(Exists(added) | Exists(led)).order_by("created_at", "pk")
    with translation.override("en"):
        standard = [stix.tlp_extension_definition()] + [stix.tlp_marking(t) for t in TLP.values]
        entries = [Entry(STANDARD_OBJECTS_ADDED, obj, "") for obj in standard]
        entries += [Entry(a.created_at, stix.agency_identity(a), "") for a in agencies]
    entries += source_entries(indicators)
    entries.sort(key=lambda entry: (entry.date_added, entry.id))
    for entry in entries:
        # A key, not a position: a position counts the unfiltered list, so under a
        # filter (match[type], added_after) it would point past unserved objects.
        entry.cursor = f"s{epoch_micros(entry.date_added)}.{entry.id}"
    return entries


def source_entries(indicators):
    """The partners' identities and statement markings imported indicators refer to."""
    imported = (
        indicators.exclude(stix_id="")
        .filter(stix__has_any_keys=["source_identity", "statements"])
        .order_by("created_at", "pk")
        .values_list("created_at", "stix")
    )
    found = {}
    for created_at, source in imported.iterator():
        identity = source.get("source_identity")
        for obj in ([identity] if identity else []) + list(source.get("statements", ())):
            found.setdefault(obj["id"], Entry(created_at, obj, ""))
    return list(found.values())

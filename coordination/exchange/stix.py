"""STIX 2.1 representations of Concord's incidents, agencies and indicators.

Every object id is a UUIDv5 over a fixed namespace and a stable key (the incident's
reference, the agency's id, the indicator's type and normalised value), so exporting
the same incident twice yields the same ids and downstream platforms (MISP, OpenCTI)
update objects instead of duplicating them. ``modified`` follows the row's
``updated_at``, so a changed indicator arrives as a newer version of the same object.

TLP 2.0 travels as the official marking definitions published with the OASIS TLP 2.0
extension (ids fixed by the standard, never generated).
"""

import datetime
import functools
import uuid

from django.conf import settings

from coordination.intel.choices import IndicatorType
from incidents.choices import TLP

# The namespace of every id Concord generates. A deployment may set its own
# (settings.STIX_NAMESPACE) so two Concord instances never mint the same ids.
DEFAULT_NAMESPACE = uuid.UUID("3f0c6f8e-2b1d-4c39-9a57-6a0f3c1b2e54")

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"

# OASIS TLP 2.0 extension (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_EXTENSION_CREATOR = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP_MARKING_IDS = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_BY_MARKING_ID = {marking_id: tlp for tlp, marking_id in TLP_MARKING_IDS.items()}

# Which STIX Cyber-observable property each indicator type is matched on.
HASH_NAMES = {
    IndicatorType.MD5: "MD5",
    IndicatorType.SHA1: "SHA-1",
    IndicatorType.SHA256: "SHA-256",
    IndicatorType.SHA512: "SHA-512",
    IndicatorType.SSDEEP: "SSDEEP",
    IndicatorType.TLSH: "TLSH",
}
OBJECT_PATHS = {
    IndicatorType.IPV4: "ipv4-addr:value",
    IndicatorType.IPV6: "ipv6-addr:value",
    IndicatorType.DOMAIN: "domain-name:value",
    IndicatorType.URL: "url:value",
    IndicatorType.EMAIL: "email-addr:value",
    IndicatorType.FILENAME: "file:name",
    **{kind: f"file:hashes.'{name}'" for kind, name in HASH_NAMES.items()},
    IndicatorType.IMPHASH: "file:extensions.'windows-pebinary-ext'.imphash",
}


def namespace():
    return _namespace(getattr(settings, "STIX_NAMESPACE", None))


@functools.lru_cache(maxsize=4)
def _namespace(configured):
    return uuid.UUID(str(configured)) if configured else DEFAULT_NAMESPACE


def stix_id(object_type, key):
    return f"{object_type}--{uuid.uuid5(namespace(), key)}"


def agency_id(agency_pk):
    return stix_id("identity", f"agency:{agency_pk}")


def incident_id(reference):
    return stix_id("grouping", f"incident:{reference}")


def indicator_key(reference, kind, value):
    """The stable key of an indicator's id: the same observable in the same incident."""
    return f"indicator:{reference}:{kind}:{value}"


def indicator_uuid(reference, kind, value):
    return uuid.uuid5(namespace(), indicator_key(reference, kind, value))


def indicator_id(reference, kind, value):
    return f"indicator--{indicator_uuid(reference, kind, value)}"


def timestamp(value):
    """A STIX timestamp: UTC, millisecond precision, ``Z``."""
    value = value.astimezone(datetime.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def escape(value):
    """A STIX pattern string literal body: backslash and quote escaped."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def pattern_for(kind, value):
    """The STIX 2.1 pattern that matches one indicator value.

    A CIDR network is matched on the address object's ``value`` (STIX allows a
    CIDR block there): IPv6 when it contains a colon, IPv4 otherwise.
    """
    kind = IndicatorType(kind)
    if kind == IndicatorType.PATTERN:  # kept as the source gave it
        return value
    if kind == IndicatorType.CIDR:
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
    else:
        path = OBJECT_PATHS[kind]
    return f"[{path} = '{escape(value)}']"


def tlp_extension_definition():
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": TLP2_EXTENSION_ID,
        "created_by_ref": TLP2_EXTENSION_CREATOR,
        "created": TLP2_CREATED,
        "modified": TLP2_CREATED,
        "name": "TLP 2.0",
        "description": "This defines TLP 2.0 as a STIX extension",
        "schema": "https://github.com/oasis-open/cti-stix-common-objects/tree/main/"
        "extension-definition-specifications/tlp-2.0",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def tlp_marking(tlp):
    tlp = TLP(tlp)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKING_IDS[tlp],
        "created": TLP2_CREATED,
        "name": tlp.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value},
        },
    }


def agency_identity(agency):
    created = timestamp(agency.created_at)
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": agency_id(agency.pk),
        "created": created,
        "modified": created,
        "name": agency.name,
        "description": f"{agency.get_kind_display()} ({agency.short_name}, {agency.country.code})",
        "identity_class": "organization",
        "sectors": ["government-national"],
        "roles": [str(agency.get_kind_display())],
    }
    if agency.mailbox:
        identity["contact_information"] = agency.mailbox
    return identity


def owner_agency_pk(indicator):
    """The agency that speaks for an indicator: who added it, else the lead agency."""
    return indicator.added_by_agency_id or indicator.incident.lead_agency_id


def indicator_object(indicator):
    """``indicator`` (an Indicator with its incident loaded) as a STIX 2.1 indicator.

    An imported indicator comes back as its source gave it: id, pattern, created and
    modified, lifecycle, provenance and statements; the TLP is the one Concord applies.
    """
    incident = indicator.incident
    source = indicator.stix if indicator.stix_id else {}
    concord_reference = {"source_name": "concord", "external_id": incident.reference}
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator.stix_id
        or indicator_id(incident.reference, indicator.type, indicator.value),
        "created_by_ref": source.get("created_by_ref") or agency_id(owner_agency_pk(indicator)),
        "created": timestamp(indicator.stix_created or indicator.created_at),
        "modified": timestamp(
            indicator.stix_modified or max(indicator.updated_at, indicator.created_at)
        ),
        "name": source.get("name")
        or f"{IndicatorType(indicator.type).label}: {indicator.value}"[:250],
        "indicator_types": source.get("indicator_types") or ["malicious-activity"],
        "pattern": indicator.pattern or pattern_for(indicator.type, indicator.value),
        "pattern_type": "stix",
        "pattern_version": source.get("pattern_version") or "2.1",
        "valid_from": timestamp(indicator.first_seen or indicator.created_at),
        "external_references": [*source.get("external_references", ()), concord_reference],
        "object_marking_refs": [TLP_MARKING_IDS[TLP(indicator.tlp)]]
        + [statement["id"] for statement in source.get("statements", ())],
    }
    for key in ("labels", "kill_chain_phases"):
        if source.get(key):
            obj[key] = source[key]
    if indicator.valid_until:
        obj["valid_until"] = timestamp(indicator.valid_until)
    if indicator.revoked:
        obj["revoked"] = True
    obj["description"] = indicator.note or (
        f"{IndicatorType(indicator.type).label} observed in incident {incident.reference}."
    )
    if indicator.confidence is not None:
        obj["confidence"] = indicator.confidence
    return obj


def source_objects(indicators):
    """The source identities and statement markings imported indicators refer to."""
    found = {}
    for indicator in indicators:
        if not indicator.stix_id:
            continue
        identity = indicator.stix.get("source_identity")
        if identity:
            found.setdefault(identity["id"], identity)
        for statement in indicator.stix.get("statements", ()):
            found.setdefault(statement["id"], statement)
    return [found[key] for key in sorted(found)]


def incident_grouping(incident, indicator_objects, identity_ids):
    """The case as a ``grouping`` (context ``suspicious-activity``) of what is exported."""
    modified = max(
        [incident.updated_at, incident.created_at]
        + [indicator.updated_at for indicator in indicator_objects]
    )
    grouping = {
        "type": "grouping",
        "spec_version": "2.1",
        "id": incident_id(incident.reference),
        "created_by_ref": agency_id(incident.lead_agency_id),
        "created": timestamp(incident.created_at),
        "modified": timestamp(modified),
        "name": f"{incident.reference} {incident.title}",
        "context": "suspicious-activity",
        # A grouping needs at least one reference: the lead agency's identity is always there.
        "object_refs": sorted(identity_ids)
        + [
            indicator.stix_id or indicator_id(incident.reference, indicator.type, indicator.value)
            for indicator in indicator_objects
        ],
        "external_references": [{"source_name": "concord", "external_id": incident.reference}],
        "object_marking_refs": [TLP_MARKING_IDS[TLP(incident.tlp)]],
    }
    if incident.summary:
        grouping["description"] = incident.summary
    return grouping


def bundle(objects):
    """A STIX bundle. Bundles are transport envelopes, not versioned objects: random id."""
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}


def supporting_objects(tlps, agencies):
    """The extension definition, the TLP markings in use and the agencies' identities."""
    objects = [tlp_extension_definition()]
    objects += [tlp_marking(tlp) for tlp in TLP.values if tlp in set(tlps)]
    objects += [agency_identity(agency) for agency in sorted(agencies, key=lambda a: a.pk)]
    return objects

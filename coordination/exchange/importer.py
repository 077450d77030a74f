"""Import the indicators of a STIX 2.1 bundle into an incident: what is valid, with a report.

Each ``indicator`` object is validated (``stix2`` and the OASIS ``stix2-patterns``
parser) and kept with its pattern as given, its original id, ``created``/``modified``,
lifecycle (``revoked``, ``valid_until``) and provenance (labels, kill chain phases,
name, external references, the source identity). A pattern that is one comparison on
a supported observable becomes that Concord indicator, its value normalised as if
typed by hand; any other valid pattern is kept as a ``stix-pattern`` indicator, and
the values it names become indicators derived from it, for correlation (and for
blocklists when the pattern is an OR of values; otherwise ``blocklist_note`` says why).

Markings map to TLP 2.0 (the official TLP 2.0 and TLP 1.0 ids, or marking definitions
in the bundle that carry a TLP label). The most restrictive applies: the object's own,
its granular markings, those of the groupings and reports that contain it; never below
the incident's TLP. Statement markings (copyright, terms of use) are kept.

What is not valid is reported object by object and the rest imported; other object
types are reported with the reason they are not kept. A newer ``modified`` of an id
already imported updates that indicator; an older or equal one is reported unchanged.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass, field

import stix2
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from stix2.exceptions import STIXError
from stix2patterns.exceptions import ParseException
from stix2patterns.v21.pattern import Pattern

from coordination import parsers
from coordination.exchange import stix
from coordination.exchange.events import INDICATORS_IMPORTED
from coordination.federation import replication
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from coordination.intel.normalise import MAX_LENGTH, normalise
from incidents import events
from incidents.choices import TLP, Action
from incidents.models import Incident

MAX_BUNDLE_BYTES = 10 * 1024 * 1024
MAX_OBJECTS = 10_000
# A pattern too long or of too many terms is refused before the parser sees it (a
# 3,000-term OR made the parser recurse without bound); 256 terms parse at once and hold
# the largest ORs of hashes real reports carry.
MAX_PATTERN_LENGTH = 8192
MAX_PATTERN_TERMS = 256
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'")
PATTERN_TERMS = re.compile(r"\b(?:AND|OR|FOLLOWEDBY)\b|[\[(]", re.IGNORECASE)

# TLP 1.0 markings defined in the STIX 2.1 specification (section 7.2.1.4).
TLP1_MARKING_IDS = {
    stix2.TLP_WHITE.id: TLP.CLEAR,
    stix2.TLP_GREEN.id: TLP.GREEN,
    stix2.TLP_AMBER.id: TLP.AMBER,
    stix2.TLP_RED.id: TLP.RED,
}
TLP1_LABELS = {"white": TLP.CLEAR, "green": TLP.GREEN, "amber": TLP.AMBER, "red": TLP.RED}

HASH_TYPES = {
    "md5": IndicatorType.MD5,
    "sha-1": IndicatorType.SHA1,
    "sha1": IndicatorType.SHA1,
    "sha-256": IndicatorType.SHA256,
    "sha256": IndicatorType.SHA256,
    "sha-512": IndicatorType.SHA512,
    "sha512": IndicatorType.SHA512,
    "ssdeep": IndicatorType.SSDEEP,
    "tlsh": IndicatorType.TLSH,
}
IMPHASH_PATH = ("extensions", "windows-pebinary-ext", "imphash")
VALUE_TYPES = {
    "ipv4-addr": IndicatorType.IPV4,
    "ipv6-addr": IndicatorType.IPV6,
    "domain-name": IndicatorType.DOMAIN,
    "url": IndicatorType.URL,
    "email-addr": IndicatorType.EMAIL,
}
ESCAPED = re.compile(r"\\(.)")


SKIP_REASONS = {
    "marking-definition": "",  # read for the markings it defines, not stored on its own
    "identity": "",  # read as the source of the indicators that name it
    "extension-definition": "",
}
STATEMENT_TYPE = "statement"
# Where a value a pattern names is one of Concord's indicator types (``=`` only).
REF_VALUE_PATHS = {
    ("email-message", ("from_ref", "value")): IndicatorType.EMAIL,
    ("email-message", ("sender_ref", "value")): IndicatorType.EMAIL,
    ("email-message", ("to_refs", "*", "value")): IndicatorType.EMAIL,
    ("email-message", ("cc_refs", "*", "value")): IndicatorType.EMAIL,
    ("network-traffic", ("dst_ref", "value")): None,  # an address or a domain
    ("network-traffic", ("src_ref", "value")): None,
}
BOOLEAN_AND = re.compile(r"\b(?:AND|FOLLOWEDBY|REPEATS|WITHIN|START)\b")


class UnsupportedPattern(Exception):
    pass


@dataclass
class Candidate:
    object_id: str
    type: str
    value: str
    tlp: str
    confidence: int | None
    note: str
    first_seen: object
    pattern: str = ""
    created: object = None
    modified: object = None
    revoked: bool = False
    valid_until: object = None
    properties: dict = field(default_factory=dict)
    # (type, value) of the values the pattern names, for correlation.
    observables: list = field(default_factory=list)
    blocklist_note: str = ""

    def fields(self):
        """The Indicator fields this candidate sets (on create and on a newer version)."""
        return {
            "type": self.type,
            "value": self.value,
            "tlp": self.tlp,
            "confidence": self.confidence,
            "note": self.note,
            "first_seen": self.first_seen,
            "stix_id": self.object_id,
            "pattern": self.pattern,
            "stix_created": self.created,
            "stix_modified": self.modified,
            "revoked": self.revoked,
            "valid_until": self.valid_until,
            "stix": self.properties,
            "blocklist_note": self.blocklist_note,
        }

    def summary(self):
        return {"object": self.object_id, "type": self.type, "value": self.value, "tlp": self.tlp}


@dataclass
class ImportReport:
    """What an import did, object by object, for the person who uploaded the bundle.

    Valid indicators are imported; every other object is listed with the reason it
    was not: ``errors`` (an indicator that does not validate), ``skipped`` (an object
    type Concord does not keep), ``unchanged`` (a version not newer than the one kept).
    """

    errors: list = field(default_factory=list)  # [{"object": id or "bundle", "message": ...}]
    created: list = field(default_factory=list)  # [{"object", "type", "value", "tlp"}]
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # [{"object", "type", "reason"}]
    ignored: dict = field(default_factory=dict)  # STIX type -> count of skipped objects

    @property
    def accepted(self):
        return bool(self.created or self.updated or self.unchanged or self.duplicates)

    @property
    def ok(self):
        """The bundle was read, and it held something valid or nothing wrong."""
        if any(error["object"] == "bundle" for error in self.errors):
            return False
        return self.accepted or not self.errors

    def error(self, obj_id, message):
        self.errors.append({"object": obj_id, "message": str(message)})

    def as_dict(self):
        return {
            "imported": self.ok,
            "errors": self.errors,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "ignored": self.ignored,
        }


def load(raw):
    """The bundle as a dict, or a report of why it is not one."""
    report = ImportReport()
    if isinstance(raw, bytes | bytearray):
        if len(raw) > MAX_BUNDLE_BYTES:
            report.error("bundle", _("The file is larger than 10 MB."))
            return None, report
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.error("bundle", _("The file is not UTF-8 text."))
            return None, report
    try:
        data = parsers.loads(raw)
    except parsers.TooDeep as exc:
        report.error("bundle", exc)
        return None, report
    except json.JSONDecodeError as exc:
        report.error(
            "bundle",
            _("Invalid JSON at line %(line)s, column %(column)s: %(message)s.")
            % {"line": exc.lineno, "column": exc.colno, "message": exc.msg},
        )
        return None, report
    if not isinstance(data, dict) or data.get("type") != "bundle":
        report.error("bundle", _('Not a STIX bundle: the top level must have "type": "bundle".'))
        return None, report
    objects = data.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        report.error("bundle", _('Not a STIX bundle: "objects" must be a list of objects.'))
        return None, report
    if len(objects) > MAX_OBJECTS:
        report.error(
            "bundle", _("The bundle holds more than %(max)s objects.") % {"max": MAX_OBJECTS}
        )
        return None, report
    return data, report


def bundle_markings(objects):
    """Marking definition id -> TLP, for every TLP marking the bundle defines or names."""
    markings = {**stix.TLP_BY_MARKING_ID, **TLP1_MARKING_IDS}
    for obj in objects:
        if obj.get("type") != "marking-definition" or not isinstance(obj.get("id"), str):
            continue
        extension = (obj.get("extensions") or {}).get(stix.TLP2_EXTENSION_ID) or {}
        label = str(extension.get("tlp_2_0", "")).lower()
        if label in TLP.values:
            markings[obj["id"]] = TLP(label)
        elif obj.get("definition_type") == "tlp":
            legacy = str((obj.get("definition") or {}).get("tlp", "")).lower()
            if legacy in TLP1_LABELS:
                markings[obj["id"]] = TLP1_LABELS[legacy]
    return markings


def bundle_statements(objects):
    """Statement marking definition id -> the definition (copyright, terms of use)."""
    return {
        obj["id"]: {
            key: obj[key]
            for key in ("type", "spec_version", "id", "created", "definition_type", "definition")
            if key in obj
        }
        for obj in objects
        if obj.get("type") == "marking-definition"
        and isinstance(obj.get("id"), str)
        and obj.get("definition_type") == STATEMENT_TYPE
        and isinstance((obj.get("definition") or {}).get("statement"), str)
        and isinstance(obj.get("created"), str)
    }


def container_markings(objects):
    """Object id -> marking refs of the groupings and reports that contain it.

    MISP puts an event's TLP on the grouping or report: it applies to its members.
    """
    inherited = {}
    for obj in objects:
        if obj.get("type") not in ("grouping", "report"):
            continue
        refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
        refs += [
            granular.get("marking_ref")
            for granular in obj.get("granular_markings") or ()
            if isinstance(granular, dict) and isinstance(granular.get("marking_ref"), str)
        ]
        for member in obj.get("object_refs") or ():
            if isinstance(member, str):
                inherited.setdefault(member, []).extend(refs)
    return inherited


def marking_refs(obj, inherited=()):
    """Every marking that applies to ``obj``: its own, granular ones, its containers'."""
    refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
    # A granular marking on any property (the pattern above all) restricts the whole
    # indicator: Concord serves the object as one.
    refs += [
        granular.get("marking_ref")
        for granular in obj.get("granular_markings") or ()
        if isinstance(granular, dict) and isinstance(granular.get("marking_ref"), str)
    ]
    return [*refs, *inherited]


def tlp_of(obj, markings, floor, inherited=()):
    """The most restrictive TLP among the object's markings, never below ``floor``."""
    labels = [markings[ref] for ref in marking_refs(obj, inherited) if ref in markings]
    return max([floor, *labels], key=TLP.rank)


def literal(text):
    """A STIX pattern string literal ('...') as plain text."""
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        raise UnsupportedPattern(_("only string values are imported"))
    return ESCAPED.sub(r"\1", text[1:-1])


def inspect(pattern):
    try:
        return Pattern(pattern).inspect()
    except ParseException as exc:
        raise UnsupportedPattern(
            _("the pattern does not parse: %(error)s") % {"error": exc}
        ) from exc


def comparison_observable(object_type, path, operator, value):
    """``(indicator type, raw value)`` a comparison names, or None when it names none.

    Only ``=`` (and ``ISSUBSET`` for a network) name a value; ``MATCHES``, ``LIKE``,
    negations and the other operators describe sets a value list cannot hold.
    """
    path = tuple("*" if not isinstance(step, str | int) else step for step in path)
    try:
        value = literal(value)
    except UnsupportedPattern:
        return None
    is_address = object_type in ("ipv4-addr", "ipv6-addr") and path == ("value",)
    if is_address and (operator == "ISSUBSET" or (operator == "=" and "/" in value)):
        return IndicatorType.CIDR, value
    if operator != "=":
        return None
    if object_type in VALUE_TYPES and path == ("value",):
        return VALUE_TYPES[object_type], value
    if object_type == "file" and path == ("name",):
        return IndicatorType.FILENAME, value
    if object_type in ("file", "artifact") and len(path) == 2 and path[0] == "hashes":
        hash_type = HASH_TYPES.get(str(path[1]).strip("'").lower())
        return (hash_type, value) if hash_type else None
    if object_type == "file" and tuple(str(step).strip("'") for step in path) == IMPHASH_PATH:
        return IndicatorType.IMPHASH, value
    if (object_type, path) in REF_VALUE_PATHS:
        kind = REF_VALUE_PATHS[(object_type, path)]
        if kind is None:  # a network-traffic end: address, network or domain name
            if "/" in value:
                kind = IndicatorType.CIDR
            elif ":" in value:
                kind = IndicatorType.IPV6
            elif value.replace(".", "").isdigit():
                kind = IndicatorType.IPV4
            else:
                kind = IndicatorType.DOMAIN
        return kind, value
    return None


def observables(pattern):
    """What a pattern names: ``(single, found, blocklist_note)``.

    ``single`` is the one ``(type, raw value)`` of a pattern that is exactly one
    comparison on a supported observable (stored as that indicator), else None;
    ``found`` every supported value it names, for correlation; ``blocklist_note`` why
    a blocklist cannot carry those values (empty when it can: one value or an OR).
    """
    inspection = inspect(pattern)
    comparisons = [
        (object_type, path, operator, value)
        for object_type, items in inspection.comparisons.items()
        for path, operator, value in items
    ]
    found = []
    for comparison in comparisons:
        named = comparison_observable(*comparison)
        if named and named not in found:
            found.append(named)
    simple = not inspection.qualifiers and not (inspection.observation_ops - {"OR"})
    if len(comparisons) == 1 and simple and found:
        return found[0], found, ""
    if inspection.qualifiers:
        note = _("the pattern has qualifiers (%(qualifiers)s)") % {
            "qualifiers": ", ".join(sorted(inspection.qualifiers))
        }
    elif BOOLEAN_AND.search(STRING_LITERAL.sub("''", pattern)):
        note = _("the values are combined with AND: a blocklist lists values one by one")
    else:  # an OR: each value it names matches on its own, whatever else it names
        note = ""
    return None, found, note


def check_pattern_size(pattern):
    """Refuse a pattern too long or of too many terms to be parsed safely."""
    if not isinstance(pattern, str):
        return
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsupportedPattern(
            _("the pattern is longer than %(max)d characters") % {"max": MAX_PATTERN_LENGTH}
        )
    terms = len(PATTERN_TERMS.findall(STRING_LITERAL.sub("''", pattern)))
    if terms > MAX_PATTERN_TERMS:
        raise UnsupportedPattern(
            _("the pattern has more than %(max)d terms") % {"max": MAX_PATTERN_TERMS}
        )


def check_confidence(value):
    """A STIX confidence: a whole number from 0 to 100 (STIX 2.1 section 3.2), or none."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise UnsupportedPattern(_("confidence must be a whole number from 0 to 100"))
    return value


def stix_time(value):
    return parse_datetime(str(value or "")) or None


def provenance(obj, identities, statements, inherited):
    """The source object's properties Concord keeps and gives back."""
    kept = {
        key: obj[key]
        for key in (
            "name",
            "labels",
            "indicator_types",
            "kill_chain_phases",
            "external_references",
            "created_by_ref",
            "pattern_version",
        )
        if obj.get(key) not in (None, "", [])
    }
    source = identities.get(obj.get("created_by_ref"))
    if source:
        kept["source_identity"] = source
    kept_statements = [
        statements[ref] for ref in dict.fromkeys(marking_refs(obj, inherited)) if ref in statements
    ]
    if kept_statements:
        kept["statements"] = kept_statements
    return kept


def normalised(kind, raw):
    try:
        return normalise(kind, raw)
    except ValidationError as exc:
        raise UnsupportedPattern("; ".join(exc.messages)) from exc


def candidate(obj, context, floor):
    """A Concord indicator from a STIX indicator object; raises with the reason."""
    markings, identities, statements, containers = context
    check_pattern_size(obj.get("pattern"))
    confidence = check_confidence(obj.get("confidence"))
    if not isinstance(obj.get("id"), str):  # stix2 would make one up
        raise UnsupportedPattern(_("the indicator has no id (required by STIX 2.1)"))
    try:
        parsed = stix2.parse(obj, allow_custom=True, version="2.1")
    except (STIXError, ValueError, TypeError, KeyError) as exc:
        raise UnsupportedPattern(
            _("not a valid STIX 2.1 indicator: %(error)s") % {"error": exc}
        ) from exc
    if parsed.get("pattern_type") != "stix":
        raise UnsupportedPattern(
            _("pattern type %(type)s is not imported (only stix)")
            % {"type": parsed.get("pattern_type")}
        )
    pattern = obj["pattern"]
    single, found, note = observables(pattern)
    derived = []
    for kind, raw in found:
        try:
            derived.append((kind, normalised(kind, raw)))
        except UnsupportedPattern:
            continue  # a value that is not valid as its type is left in the pattern only
    if single:
        kind, value = single[0], normalised(*single)
        derived = []
    else:
        # The value is the pattern; one too long to be a value is named by its id
        # (the pattern itself is kept whole in ``pattern``).
        kind, value = IndicatorType.PATTERN, pattern if len(pattern) <= MAX_LENGTH else obj["id"]
    inherited = containers.get(obj["id"], ())
    return Candidate(
        object_id=obj["id"],
        type=kind,
        value=value,
        tlp=tlp_of(obj, markings, floor, inherited),
        confidence=confidence,
        note=str(obj.get("description") or "")[:5000],
        first_seen=stix_time(obj.get("valid_from")),
        pattern=pattern,
        created=stix_time(obj.get("created")),
        modified=stix_time(obj.get("modified")),
        revoked=obj.get("revoked") is True,
        valid_until=stix_time(obj.get("valid_until")),
        properties=provenance(obj, identities, statements, inherited),
        observables=derived,
        blocklist_note=note,
    )


def skip_reason(obj_type):
    if obj_type in SKIP_REASONS:
        return SKIP_REASONS[obj_type]
    if obj_type in ("grouping", "report"):
        return _("a container: its markings apply to its indicators, it is not kept itself")
    return _("Concord keeps indicators only; a %(type)s object is not kept") % {"type": obj_type}


def examine(incident, data):
    """The candidates and the report, without writing anything."""
    report = ImportReport()
    objects = data.get("objects", [])
    identities = {
        obj["id"]: {
            key: obj[key]
            for key in ("type", "spec_version", "id", "created", "modified", "name")
            if key in obj
        }
        | {
            "spec_version": "2.1",
            "identity_class": str(obj.get("identity_class") or "organization"),
        }
        for obj in objects
        # Kept whole enough to be exported again as a valid identity.
        if obj.get("type") == "identity"
        and isinstance(obj.get("id"), str)
        and isinstance(obj.get("name"), str)
        and all(isinstance(obj.get(key), str) for key in ("created", "modified"))
    }
    context = (
        bundle_markings(objects),
        identities,
        bundle_statements(objects),
        container_markings(objects),
    )
    candidates, seen, by_id = [], {}, {}
    ignored = Counter()
    for position, obj in enumerate(objects):
        obj_type = obj.get("type")
        obj_id = obj.get("id") if isinstance(obj.get("id"), str) else f"#{position + 1}"
        if not isinstance(obj.get("id"), str) or not isinstance(obj_type, str):
            if obj_type == "indicator":
                report.error(obj_id, _("the indicator has no id (required by STIX 2.1)"))
            else:
                report.error(obj_id, _('the object has no "id" or no "type": it is not read'))
            continue
        if obj_type != "indicator":
            ignored[obj_type] += 1
            reason = skip_reason(obj_type)
            if reason:
                report.skipped.append({"object": obj_id, "type": obj_type, "reason": str(reason)})
            continue
        try:
            found = candidate(obj, context, incident.tlp)
        except UnsupportedPattern as exc:
            report.error(obj_id, exc)
            continue
        previous = by_id.get(obj_id)
        if previous is not None:  # two versions of one object in one bundle: the newest wins
            if (found.modified or found.created) <= (previous.modified or previous.created):
                report.unchanged.append(found.summary())
                continue
            candidates.remove(previous)
            seen.pop((previous.type, previous.value), None)
            report.unchanged.append(previous.summary())
        key = (found.type, found.value)
        if key in seen:
            report.duplicates.append(
                {"object": obj_id, "type": found.type, "value": found.value, "same_as": seen[key]}
            )
            continue
        seen[key] = obj_id
        by_id[obj_id] = found
        candidates.append(found)
    report.ignored = dict(sorted(ignored.items()))
    return candidates, report


def indicators_imported(incident, by, count, duplicates):
    """Timeline event of an import (kind ``indicator``), written through the incident's writer."""
    return events.write_event(
        incident, by, INDICATORS_IMPORTED, {"count": count, "duplicates": duplicates}
    )


def import_bundle(incident, by, raw):
    """Import the valid indicators of ``raw`` (bytes, text) into ``incident``.

    What is not valid or not an indicator is reported object by object; a newer
    ``modified`` of an id already imported updates that indicator, an older or equal
    one is reported as unchanged.
    """
    data, report = load(raw)
    if data is None:
        return report
    candidates, report = examine(incident, data)
    if not candidates:
        return report
    with transaction.atomic():
        # Lock the incident, then re-check the right to contribute inside the transaction:
        # an agency removed meanwhile must not slip indicators in.
        locked = (
            Incident.objects.restrict(by, Action.CONTRIBUTE)
            .select_for_update()
            .filter(pk=incident.pk)
            .first()
        )
        if locked is None:
            report.error("bundle", _("You may no longer add indicators to this incident."))
            return report
        known = {
            row.stix_id: row
            for row in Indicator.objects.filter(
                incident=locked, stix_id__in=[c.object_id for c in candidates]
            )
        }
        existing = set(
            Indicator.objects.filter(
                incident=locked, value__in=[c.value for c in candidates]
            ).values_list("type", "value")
        )
        new, revised = [], []
        for found in candidates:
            row = known.get(found.object_id)
            if row is not None:
                if row.stix_modified and found.modified and found.modified <= row.stix_modified:
                    report.unchanged.append(found.summary())
                elif (found.type, found.value) != (row.type, row.value) and (
                    found.type,
                    found.value,
                ) in existing:
                    report.error(
                        found.object_id,
                        _("the new version names %(value)s, already recorded on this incident")
                        % {"value": found.value},
                    )
                else:
                    existing.add((found.type, found.value))
                    revised.append((row, found))
                continue
            if (found.type, found.value) in existing:
                report.duplicates.append(found.summary())
                continue
            existing.add((found.type, found.value))
            new.append(found)
        now = timezone.now()
        created = Indicator.objects.bulk_create(
            [
                Indicator(
                    incident=locked,
                    added_by=by,
                    added_by_agency_id=by.agency_id,
                    created_at=now,
                    **found.fields(),
                )
                for found in new
            ]
        )
        for row, found in revised:
            label_before = row.tlp
            for name, value in found.fields().items():
                setattr(row, name, value)
            row.save()
            raised = TLP.rank(row.tlp) > TLP.rank(label_before)
            replication.publish_indicator_change(row, label_raised=raised)
            _drop_derived(row)
            report.updated.append(found.summary())
        sources = list(zip(created, new, strict=True)) + revised
        derived = derived_rows(locked, by, now, sources, existing)
        Indicator.objects.bulk_create(derived)
        replication.publish_indicators([*created, *derived])
        report.created = [found.summary() for found in new]
        if new or revised:
            indicators_imported(locked, by, len(new) + len(revised), len(report.duplicates))
    return report


def _drop_derived(row):
    """The values the previous version's pattern named: deleted here, revoked on the nodes
    that were sent them (a deletion does not travel)."""
    for derived in row.derived.all():
        derived.revoked = True
        replication.publish_indicator_change(derived)
    row.derived.all().delete()


def derived_rows(incident, by, now, sources, existing):
    """The values compound patterns name, as indicators for correlation (and blocklists
    when the pattern is an OR of values); a value already recorded is not repeated."""
    named = {value for _source, found in sources for _kind, value in found.observables}
    existing |= set(
        Indicator.objects.filter(incident=incident, value__in=named).values_list("type", "value")
    )
    rows = []
    for source, found in sources:
        for kind, value in found.observables:
            if (kind, value) in existing:
                continue
            existing.add((kind, value))
            rows.append(
                Indicator(
                    incident=incident,
                    type=kind,
                    value=value,
                    tlp=found.tlp,
                    confidence=found.confidence,
                    first_seen=found.first_seen,
                    revoked=found.revoked,
                    valid_until=found.valid_until,
                    blocklist_note=found.blocklist_note,
                    note=_("Named by the STIX pattern of %(id)s.") % {"id": found.object_id},
                    derived_from=source,
                    added_by=by,
                    added_by_agency_id=by.agency_id,
                    created_at=now,
                )
            )
    return rows

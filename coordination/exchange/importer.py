"""Import the indicators of a STIX 2.1 bundle into an incident: all of them or none.

Each ``indicator`` object's pattern is parsed with the OASIS ``stix2-patterns`` parser;
a pattern that is one equality (or ``ISSUBSET`` for a network) on a supported
observable becomes one Concord indicator, its value normalised as if typed by hand.
Markings map to TLP 2.0 (the official TLP 2.0 and TLP 1.0 ids, or marking definitions
in the bundle that carry a TLP label); the result is never below the incident's TLP.

If anything in the bundle is wrong (not JSON, not a bundle, an indicator that does not
validate or whose pattern is unsupported), nothing is stored and the report says,
object by object, what and why. Indicators already on the incident are reported as
duplicates, not errors.
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
from django.utils.translation import ngettext
from stix2.exceptions import STIXError
from stix2patterns.exceptions import ParseException
from stix2patterns.v21.pattern import Pattern

from coordination import parsers
from coordination.exchange import stix
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from coordination.intel.normalise import normalise
from incidents import events
from incidents.choices import TLP, Action, TimelineKind
from incidents.models import Incident

MAX_BUNDLE_BYTES = 10 * 1024 * 1024
MAX_OBJECTS = 10_000
# Only single-comparison patterns are imported (``observable``): a value is at most
# 2,048 characters once normalised, so a longer pattern, or one of many terms, is refused
# before the parser sees it (a 3,000-term OR made the parser recurse without bound).
MAX_PATTERN_LENGTH = 8192
MAX_PATTERN_TERMS = 16
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
}
VALUE_TYPES = {
    "ipv4-addr": IndicatorType.IPV4,
    "ipv6-addr": IndicatorType.IPV6,
    "domain-name": IndicatorType.DOMAIN,
    "url": IndicatorType.URL,
    "email-addr": IndicatorType.EMAIL,
}
ESCAPED = re.compile(r"\\(.)")


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


@dataclass
class ImportReport:
    """What an import did or would have done, for the person who uploaded the bundle."""

    errors: list = field(default_factory=list)  # [{"object": id or "bundle", "message": ...}]
    created: list = field(default_factory=list)  # [{"object", "type", "value", "tlp"}]
    duplicates: list = field(default_factory=list)
    ignored: dict = field(default_factory=dict)  # STIX type -> count

    @property
    def ok(self):
        return not self.errors

    def error(self, obj_id, message):
        self.errors.append({"object": obj_id, "message": str(message)})

    def as_dict(self):
        return {
            "imported": self.ok,
            "errors": self.errors,
            "created": self.created if self.ok else [],
            "would_create": [] if self.ok else self.created,
            "duplicates": self.duplicates,
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


def tlp_of(obj, markings, floor):
    """The most restrictive TLP among the object's markings, never below ``floor``."""
    labels = [markings[ref] for ref in obj.get("object_marking_refs") or () if ref in markings]
    return max([floor, *labels], key=TLP.rank)


def literal(text):
    """A STIX pattern string literal ('...') as plain text."""
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        raise UnsupportedPattern(_("only string values are imported"))
    return ESCAPED.sub(r"\1", text[1:-1])


def observable(pattern):
    """``(indicator type, raw value)`` of a single-comparison STIX pattern."""
    try:
        inspection = Pattern(pattern).inspect()
    except ParseException as exc:
        raise UnsupportedPattern(
            _("the pattern does not parse: %(error)s") % {"error": exc}
        ) from exc
    if inspection.qualifiers or inspection.observation_ops:
        raise UnsupportedPattern(_("qualifiers and observation operators are not imported"))
    comparisons = [
        (object_type, path, operator, value)
        for object_type, items in inspection.comparisons.items()
        for path, operator, value in items
    ]
    if len(comparisons) != 1:
        raise UnsupportedPattern(_("only patterns with a single comparison are imported"))
    object_type, path, operator, value = comparisons[0]
    value = literal(value)
    is_address = object_type in ("ipv4-addr", "ipv6-addr") and path == ["value"]
    if is_address and (operator == "ISSUBSET" or (operator == "=" and "/" in value)):
        return IndicatorType.CIDR, value
    if operator != "=":
        raise UnsupportedPattern(
            _("the operator %(operator)s is not imported (only =)") % {"operator": operator}
        )
    if object_type in VALUE_TYPES and path == ["value"]:
        return VALUE_TYPES[object_type], value
    if object_type == "file" and path == ["name"]:
        return IndicatorType.FILENAME, value
    if object_type == "file" and len(path) == 2 and path[0] == "hashes":
        hash_type = HASH_TYPES.get(str(path[1]).lower())
        if hash_type:
            return hash_type, value
    raise UnsupportedPattern(
        _("%(path)s is not a supported observable")
        % {"path": f"{object_type}:{'.'.join(str(p) for p in path)}"}
    )


def check_pattern_size(pattern):
    """Refuse a pattern too long or of too many terms to be one Concord indicator."""
    if not isinstance(pattern, str):
        return
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsupportedPattern(
            _("the pattern is longer than %(max)d characters") % {"max": MAX_PATTERN_LENGTH}
        )
    terms = len(PATTERN_TERMS.findall(STRING_LITERAL.sub("''", pattern)))
    if terms > MAX_PATTERN_TERMS:
        raise UnsupportedPattern(
            _("the pattern has more than %(max)d terms; only single comparisons are imported")
            % {"max": MAX_PATTERN_TERMS}
        )


def check_confidence(value):
    """A STIX confidence: a whole number from 0 to 100 (STIX 2.1 section 3.2), or none."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise UnsupportedPattern(_("confidence must be a whole number from 0 to 100"))
    return value


def candidate(obj, markings, floor):
    """A Concord indicator from a STIX indicator object; raises with the reason."""
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
    kind, raw = observable(parsed["pattern"])
    try:
        value = normalise(kind, raw)
    except ValidationError as exc:
        raise UnsupportedPattern("; ".join(exc.messages)) from exc
    first_seen = parse_datetime(str(obj.get("valid_from") or "")) or None
    return Candidate(
        object_id=obj["id"],
        type=kind,
        value=value,
        tlp=tlp_of(obj, markings, floor),
        confidence=confidence,
        note=str(obj.get("description") or "")[:5000],
        first_seen=first_seen,
    )


def examine(incident, data):
    """The candidates and the report, without writing anything."""
    report = ImportReport()
    objects = data.get("objects", [])
    markings = bundle_markings(objects)
    candidates, seen = [], {}
    ignored = Counter()
    for position, obj in enumerate(objects):
        obj_type = obj.get("type")
        obj_id = obj.get("id") if isinstance(obj.get("id"), str) else f"#{position + 1}"
        if obj_type != "indicator":
            ignored[str(obj_type)] += 1
            continue
        try:
            found = candidate(obj, markings, incident.tlp)
        except UnsupportedPattern as exc:
            report.error(obj_id, exc)
            continue
        key = (found.type, found.value)
        if key in seen:
            report.duplicates.append(
                {"object": obj_id, "type": found.type, "value": found.value, "same_as": seen[key]}
            )
            continue
        seen[key] = obj_id
        candidates.append(found)
    report.ignored = dict(sorted(ignored.items()))
    return candidates, report


def indicators_imported(incident, by, count, duplicates):
    """Timeline entry of an import (kind ``indicator``), written through the incident's writer."""
    body = ngettext(
        "Imported %(count)s indicator from a STIX 2.1 bundle.",
        "Imported %(count)s indicators from a STIX 2.1 bundle.",
        count,
    ) % {"count": count}
    if duplicates:
        body += " " + ngettext(
            "%(count)s was already recorded.", "%(count)s were already recorded.", duplicates
        ) % {"count": duplicates}
    return events.write_entry(incident, by, TimelineKind.INDICATOR, body)


def import_bundle(incident, by, raw):
    """Import the indicators of ``raw`` (bytes, text) into ``incident``: all or nothing."""
    data, report = load(raw)
    if data is None:
        return report
    candidates, report = examine(incident, data)
    if not report.ok:
        report.created = [
            {"object": c.object_id, "type": c.type, "value": c.value, "tlp": c.tlp}
            for c in candidates
        ]
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
        existing = set(
            Indicator.objects.filter(
                incident=locked, value__in=[c.value for c in candidates]
            ).values_list("type", "value")
        )
        new = []
        for found in candidates:
            if (found.type, found.value) in existing:
                report.duplicates.append(
                    {"object": found.object_id, "type": found.type, "value": found.value}
                )
                continue
            new.append(found)
        now = timezone.now()
        Indicator.objects.bulk_create(
            [
                Indicator(
                    incident=locked,
                    type=found.type,
                    value=found.value,
                    tlp=found.tlp,
                    confidence=found.confidence,
                    note=found.note,
                    first_seen=found.first_seen,
                    added_by=by,
                    added_by_agency_id=by.agency_id,
                    created_at=now,
                )
                for found in new
            ]
        )
        report.created = [
            {"object": f.object_id, "type": f.type, "value": f.value, "tlp": f.tlp} for f in new
        ]
        if new:
            indicators_imported(locked, by, len(new), len(report.duplicates))
    return report

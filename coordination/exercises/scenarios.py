"""Scenario files: YAML under ``scenarios/``, validated against ``SCHEMA`` when loaded.

A scenario names its roles (filled by agencies when an exercise is set up) and its
injects: when each is due (offset from the start), which role it goes to, what it does
in Concord, and what the role is expected to do in response, within which time.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from coordination.exercises.choices import InjectKind, Measure, RoleKind

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
DURATION_PATTERN = r"^(?=\d)(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,59}$"

_duration = {"type": "string", "pattern": DURATION_PATTERN}
_key = {"type": "string", "pattern": KEY_PATTERN}
_text = {"type": "string", "minLength": 1, "maxLength": 4000}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "title", "objectives", "roles", "injects"],
    "additionalProperties": False,
    "properties": {
        "id": _key,
        "title": {"type": "string", "minLength": 3, "maxLength": 200},
        "summary": _text,
        "objectives": {"type": "array", "minItems": 1, "items": _text},
        "roles": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "kind", "label"],
                "additionalProperties": False,
                "properties": {
                    "key": _key,
                    "kind": {"enum": list(RoleKind.values)},
                    "label": {"type": "string", "minLength": 1, "maxLength": 120},
                    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                },
            },
        },
        "injects": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "at", "to", "do", "title"],
                "additionalProperties": False,
                "properties": {
                    "key": _key,
                    "at": _duration,
                    "to": _key,
                    "do": {"enum": list(InjectKind.values)},
                    "title": {"type": "string", "minLength": 1, "maxLength": 200},
                    "incident": _key,
                    "from": _key,
                    "text": _text,
                    "summary": _text,
                    "subject": {"type": "string", "minLength": 1, "maxLength": 200},
                    "category": {"type": "string"},
                    "severity": {"enum": ["low", "medium", "high", "critical"]},
                    "tlp": {"enum": ["clear", "green", "amber", "amber+strict"]},
                    "indicators": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "evidence": {
                        "type": "object",
                        "required": ["kind", "sha256", "acquired_where", "acquired_by"],
                        "additionalProperties": False,
                        "properties": {
                            "kind": {"type": "string"},
                            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                            "acquired_where": {"type": "string", "minLength": 1},
                            "acquired_by": {"type": "string", "minLength": 1},
                            "description": {"type": "string"},
                        },
                    },
                    "request": {
                        "type": "object",
                        "required": ["legal_basis", "measures", "facts"],
                        "additionalProperties": False,
                        "properties": {
                            "legal_basis": {"type": "string"},
                            "measures": {"type": "array", "items": {"type": "string"}},
                            "urgency": {"enum": ["routine", "urgent", "emergency"]},
                            "urgency_reason": {"type": "string"},
                            "facts": _text,
                            "offences": {"type": "string"},
                            "dual_criminality": {"type": "string"},
                            "data_sought": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["kind", "value"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "kind": {"type": "string"},
                                        "value": {"type": "string"},
                                        "provider": {"type": "string"},
                                        "note": {"type": "string"},
                                        # When the address was seen, before the release.
                                        "observed_before": _duration,
                                    },
                                },
                            },
                        },
                    },
                    "expect": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {m: _duration for m in Measure.values},
                    },
                },
                "allOf": [
                    {
                        "if": {"properties": {"do": {"const": "incident"}}},
                        "then": {"required": ["incident", "summary"]},
                    },
                    {
                        "if": {"properties": {"do": {"const": "timeline"}}},
                        "then": {"required": ["incident", "text"]},
                    },
                    {
                        "if": {"properties": {"do": {"const": "indicators"}}},
                        "then": {"required": ["incident", "indicators"]},
                    },
                    {
                        "if": {"properties": {"do": {"const": "evidence"}}},
                        "then": {"required": ["incident", "evidence"]},
                    },
                    {
                        "if": {"properties": {"do": {"const": "request"}}},
                        # Requests of an exercise belong to one of its incidents: that is
                        # what keeps them out of the real lists.
                        "then": {"required": ["from", "request", "incident"]},
                    },
                    {
                        "if": {"properties": {"do": {"const": "email"}}},
                        "then": {"required": ["subject", "text"]},
                    },
                    {
                        "if": {"properties": {"do": {"const": "note"}}},
                        "then": {"required": ["text"]},
                    },
                ],
            },
        },
    },
}

FACILITATOR = "facilitator"  # the role a facilitator note goes to: the controllers


class ScenarioError(ValueError):
    """A scenario that does not hold: each message names where."""

    def __init__(self, source, messages):
        self.source = source
        self.messages = list(messages)
        super().__init__(f"{source}: " + "; ".join(self.messages))


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    data: dict

    @property
    def roles(self):
        return self.data["roles"]

    @property
    def objectives(self):
        return self.data["objectives"]

    @property
    def summary(self):
        return self.data.get("summary", "")

    @property
    def injects(self):
        return self.data["injects"]


def parse_duration(text):
    """``"1h30m"`` → ``timedelta(hours=1, minutes=30)``; days, hours, minutes, seconds."""
    match = DURATION_RE.match(str(text).strip())
    if not match or not any(match.groups()):
        raise ValueError(f"Not a duration: {text!r} (write e.g. 90m, 1h30m, 2d)")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _where(error):
    return "/".join(str(part) for part in error.absolute_path) or "(top)"


def _semantic_errors(data):
    """What the schema cannot say: references between roles, injects and incidents."""
    errors = []
    role_keys = [role["key"] for role in data["roles"]]
    if len(set(role_keys)) != len(role_keys):
        errors.append("roles: two roles share a key")
    if FACILITATOR in role_keys:
        errors.append(f"roles: '{FACILITATOR}' is reserved for facilitator notes")
    inject_keys = [inject["key"] for inject in data["injects"]]
    if len(set(inject_keys)) != len(inject_keys):
        errors.append("injects: two injects share a key")
    filed = {}
    ordered = sorted(enumerate(data["injects"]), key=lambda p: (parse_duration(p[1]["at"]), p[0]))
    for index, inject in ordered:
        where = f"injects/{index} ({inject['key']})"
        target = inject["to"]
        if inject["do"] == InjectKind.NOTE:
            if target not in (FACILITATOR, *role_keys):
                errors.append(f"{where}: 'to' names no role")
        elif target not in role_keys:
            errors.append(f"{where}: 'to' names no role: {target}")
        if inject["do"] == InjectKind.REQUEST and inject["from"] not in role_keys:
            errors.append(f"{where}: 'from' names no role: {inject['from']}")
        key = inject.get("incident")
        if inject["do"] == InjectKind.INCIDENT:
            if key in filed:
                errors.append(f"{where}: incident '{key}' is filed twice")
            filed[key] = parse_duration(inject["at"])
        elif key and key not in filed:
            errors.append(f"{where}: incident '{key}' is not filed by an earlier inject")
    return errors


def validate(data, source="scenario"):
    """The scenario in ``data`` (parsed YAML), or ``ScenarioError`` naming every problem."""
    if not isinstance(data, dict):
        raise ScenarioError(source, ["(top): a scenario is a mapping"])
    validator = Draft202012Validator(SCHEMA)
    problems = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if problems:
        raise ScenarioError(source, [f"{_where(e)}: {e.message}" for e in problems])
    errors = _semantic_errors(data)
    if errors:
        raise ScenarioError(source, errors)
    return Scenario(id=data["id"], title=data["title"], data=data)


def parse(text, source="scenario"):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [f"not valid YAML: {exc}"]) from exc
    return validate(data, source)


def load_file(path):
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), source=path.name)


@cache
def shipped():
    """``{id: Scenario}`` of the scenarios shipped with Concord, validated once."""
    scenarios = {}
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        scenario = load_file(path)
        scenarios[scenario.id] = scenario
    return scenarios


def get(scenario_id):
    return shipped().get(scenario_id)

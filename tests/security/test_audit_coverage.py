"""Every URL and API operation is classified for the audit trail, and every consultation
or export, called for real, leaves its record. Walks the resolver and the OpenAPI schema,
not a hand-kept list: a new view that shows case data fails here until it is classified."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.choices import Role
from coordination.assistance import actions as request_actions
from coordination.assistance.transitions import transition_request
from coordination.audit import recorder
from coordination.audit.models import AuditRecord
from coordination.audit.registry import (
    CONSULTATIONS,
    DISCLOSURES,
    NOT_RECORDED,
    is_classified,
    rule_for,
)
from coordination.exchange import collections, stix
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from incidents import actions as incident_actions
from incidents.casework.actions import add_task
from incidents.choices import TLP
from incidents.evidence import actions as evidence_actions
from tests.assistance.conftest import DATA, complete_fields
from tests.evidence.conftest import CONTENT, evidence_fields
from tests.factories import UserFactory

TAXII = "application/taxii+json;version=2.1"


def _view_names(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from _view_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_named_url_is_classified():
    unclassified = sorted({name for name in _view_names() if not is_classified(name)})
    assert unclassified == [], "classify these in coordination/audit/registry.py"


def test_registry_names_only_urls_that_exist():
    names = set(_view_names())
    registered = set(CONSULTATIONS) | set(DISCLOSURES) | set(NOT_RECORDED)
    assert sorted(registered - names) == []


def test_every_api_read_operation_is_classified():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    reads = [path for path, item in schema["paths"].items() if "get" in item]
    assert reads, "the schema lists read operations"
    for path in reads:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        match = resolve(concrete)
        assert is_classified(match.view_name), f"{path} ({match.view_name}) is not classified"
        if match.view_name.startswith(("incidents-api", "evidence-api", "assistance-api")):
            assert rule_for(match.view_name) or match.view_name in NOT_RECORDED


@pytest.fixture
def world(settings, tmp_path, incident, lead_user, nl_agency, approve):
    """One object of every kind the recorded URLs take, all visible to ``lead_user``."""
    settings.MEDIA_ROOT = tmp_path / "media"
    evidence = evidence_actions.create_evidence(
        incident,
        lead_user,
        upload=SimpleUploadedFile("fs02.dd", CONTENT),
        **evidence_fields(),
    )
    indicator = Indicator.objects.create(
        incident=incident,
        type=IndicatorType.DOMAIN,
        value="evil.example",
        tlp=TLP.AMBER,
        added_by=lead_user,
        added_by_agency=lead_user.agency,
    )
    request = request_actions.create_request(
        lead_user,
        incident=incident,
        data_sought=DATA,
        **complete_fields(receiving_agency=nl_agency),
    )
    attachment = request_actions.add_attachment(
        request, lead_user, SimpleUploadedFile("order.pdf", b"%PDF-1.4 order")
    )
    # Annex B exists once the executing side acknowledged the EIO.
    acknowledged = request_actions.create_request(
        lead_user, data_sought=DATA, **complete_fields(receiving_agency=nl_agency)
    )
    transition_request(acknowledged, "submit", lead_user)
    approve(acknowledged)
    receiver = UserFactory(agency=nl_agency, role=Role.LIAISON_OFFICER)
    transition_request(acknowledged, "acknowledge", receiver)
    noted = incident_actions.add_timeline_entry(
        incident,
        lead_user,
        "Ransom note found on FS-02.",
        attachments=[SimpleUploadedFile("ransom-note.txt", b"Your files are encrypted")],
    )
    collection_id = collections.incident_collection_id(incident.reference)
    exercise = _exercise_of(lead_user)
    object_id = stix.indicator_id(incident.reference, indicator.type, indicator.value)
    return {
        "reference": incident.reference,
        "evidence": evidence.reference,
        "request": request.reference,
        "acknowledged request": acknowledged.reference,
        "indicator": indicator.pk,
        "attachment": attachment.pk,
        "timeline attachment": noted.attachments.get().pk,
        "noted entry": noted.pk,
        "collection_id": collection_id,
        "object_id": object_id,
        "lead_agency": incident.lead_agency_id,
        "entry": incident.timeline.order_by("pk").values_list("pk", flat=True).first(),
        "task": add_task(incident, lead_user, title="Preserve the VPN logs").pk,
        "exercise": exercise.pk,
    }


def _exercise_of(user):
    """An exercise ``user`` controls (the exercise controller permission, own agency)."""
    from django.contrib.auth.models import Permission

    from coordination.exercises import actions as exercise_actions
    from coordination.exercises import scenarios

    user.user_permissions.add(Permission.objects.get(codename="control_exercise"))
    scenario = scenarios.get("payment-ddos")
    return exercise_actions.create_exercise(
        user,
        scenario=scenario,
        starts_at=timezone.now(),
        agencies={role["key"]: user.agency for role in scenario.roles},
    )


def _url_of(name, world):
    """The concrete URL of ``name`` for the objects of ``world``."""
    rule = rule_for(name)
    kwargs = dict(EXTRA_KWARGS.get(name, lambda w: {})(world))
    if rule.kwarg == "reference":
        kwargs["reference"] = world[_object_key(name, rule)]
    elif rule.kwarg == "pk":
        kwargs["pk"] = world[rule.object_type]
    elif rule.kwarg == "collection_id":
        kwargs["collection_id"] = world["collection_id"]
    return reverse(name, kwargs=kwargs)


def _object_key(name, rule):
    if name in OBJECT_OF:
        return OBJECT_OF[name]
    return rule.object_type if rule.object_type in ("evidence", "request") else "reference"


# URLs that need an object in a given state.
OBJECT_OF = {"assistance:print_acknowledgement": "acknowledged request"}

# Other URL arguments than the recorded object's.
EXTRA_KWARGS = {
    "assistance:attachment_download": lambda w: {"pk": w["attachment"]},
    "taxii:object": lambda w: {"object_id": w["object_id"]},
    "taxii:object_versions": lambda w: {"object_id": w["object_id"]},
    "incidents-api:incident-participant-detail": lambda w: {"agency_id": w["lead_agency"]},
    "incidents-api:incident-timeline-detail": lambda w: {"pk": w["entry"]},
    "incidents-api:incident-timeline-attachment": lambda w: {
        "reference": w["reference"],
        "pk": w["noted entry"],
        "attachment_id": w["timeline attachment"],
    },
    "incidents-api:incident-task-detail": lambda w: {"pk": w["task"]},
}


# Query parameters a URL needs to answer 200.
EXTRA_QUERY = {
    "exchange:incident_blocklist": {"type": "ipv4"},
    "exchange:collection_blocklist": {"type": "ipv4"},
}


RECORDED = sorted(set(CONSULTATIONS) | set(DISCLOSURES) - {"audit:export"})


@pytest.mark.parametrize("name", RECORDED)
def test_each_consultation_and_export_leaves_its_record(name, world, lead_user, client):
    client.force_login(lead_user)
    rule = rule_for(name)
    url = _url_of(name, world)
    headers = {"HTTP_ACCEPT": TAXII} if name.startswith("taxii:") else {}
    if "GET" in rule.methods:
        query = {"purpose": "analysis", **EXTRA_QUERY.get(name, {})}
        response = client.get(url, query, **headers)
        if response.status_code == 405 and "POST" in rule.methods:
            response = client.post(url, {"purpose": "analysis"}, **headers)
    else:
        response = client.post(url, {"purpose": "analysis"}, **headers)
    assert 200 <= response.status_code < 300, (name, response.status_code)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    recorder.flush()

    records = AuditRecord.objects.filter(action=rule.action, actor_id=lead_user.pk)
    assert records.count() == 1, name
    item = records.get()
    assert item.object_type == rule.object_type
    if rule.kwarg:
        assert item.object_ref == str(_expected_ref(name, rule, world))
    if rule.action != "viewed":
        assert item.recipient == lead_user.username


def _expected_ref(name, rule, world):
    if name in OBJECT_OF:
        return world[OBJECT_OF[name]]
    if rule.kwarg == "collection_id":
        return world["collection_id"]
    if rule.object_type in ("evidence", "request", "indicator", "timeline attachment", "exercise"):
        return world[rule.object_type]
    return world["reference"]

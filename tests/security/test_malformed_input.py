"""Issue #13, finding 7: hostile input answered 500 (deeply nested JSON to any API endpoint
or to STIX import, a 3,000-term OR pattern, ``confidence: 10**30``). Each is now a 400
with a message."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from coordination.assistance import actions as request_actions
from coordination.intel.models import Indicator
from coordination.parsers import MAX_DEPTH
from incidents.choices import TLP

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 5_000 + "1" + "}" * 5_000
VALID_FROM = "2026-01-05T10:00:00.000Z"


def stix_bundle(**indicator):
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": VALID_FROM,
        "modified": VALID_FROM,
        "pattern": "[ipv4-addr:value = '198.51.100.1']",
        "pattern_type": "stix",
        "valid_from": VALID_FROM,
        **indicator,
    }
    return json.dumps(
        {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": [obj]}
    )


def or_pattern(terms):
    return (
        "["
        + " OR ".join(f"ipv4-addr:value = '10.0.{i // 256}.{i % 256}'" for i in range(terms))
        + "]"
    )


# Deeply nested JSON ------------------------------------------------------------------


def write_operations():
    """Every API operation that reads a body, from the OpenAPI schema (not a hand list)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if method in ("post", "put", "patch") and "application/json" in content:
                yield method, path


@pytest.fixture
def path_values(incident, lead_user, invited_agency):
    from coordination.intel import actions as intel_actions

    indicator, _created = intel_actions.add_indicator(incident, lead_user, value="192.0.2.1")
    draft = request_actions.create_request(lead_user, incident=incident, legal_basis="eio")
    return {
        "/api/v1/incidents/": incident.reference,
        "/api/v1/requests/": draft.reference,
        "/api/v1/evidence/": "EV-0000-000000",
        "{id}": str(indicator.pk),
        "{agency_id}": str(invited_agency.pk),
        "{action_name}": "submit",
    }


def fill(path, values):
    for key in ("{id}", "{agency_id}", "{action_name}"):
        path = path.replace(key, values[key])
    for prefix in ("/api/v1/incidents/", "/api/v1/requests/", "/api/v1/evidence/"):
        if path.startswith(prefix):
            path = path.replace("{reference}", values[prefix])
    return path


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["lists", "objects"])
def test_deeply_nested_json_to_any_api_endpoint_is_a_400(api_client, lead_user, path_values, body):
    api_client.force_authenticate(lead_user)
    operations = list(write_operations())
    assert len(operations) > 10

    for method, path in operations:
        url = fill(path, path_values)
        response = api_client.generic(method.upper(), url, body, content_type="application/json")
        assert response.status_code in (400, 403, 404, 409), (method, url, response.status_code)
        if response.status_code == 400:
            assert "nested" in json.dumps(response.json()), (method, url)


def test_nested_json_within_the_bound_is_read(api_client, lead_user, incident):
    api_client.force_authenticate(lead_user)
    body = {"incident": incident.reference, "value": "192.0.2.8", "note": "x"}
    nested = {**body, "extra": json.loads("[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2))}

    response = api_client.post(reverse("intel-api:indicator-list"), nested, format="json")

    assert response.status_code == 201


def test_nested_json_just_over_the_bound_is_refused_with_its_limit(api_client, lead_user):
    api_client.force_authenticate(lead_user)
    body = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)

    response = api_client.post(
        reverse("intel-api:indicator-list"), body, content_type="application/json"
    )

    assert response.status_code == 400
    assert str(MAX_DEPTH) in response.json()["detail"]


def test_deeply_nested_stix_bundle_to_the_import_api_is_a_400(api_client, lead_user, incident):
    api_client.force_authenticate(lead_user)
    url = reverse("exchange-api:incident-stix", args=[incident.reference])

    raw = api_client.post(url, DEEP, content_type="application/json")
    upload = api_client.post(
        url,
        {"bundle": SimpleUploadedFile("deep.json", DEEP_OBJECT.encode())},
        format="multipart",
    )

    for response in (raw, upload):
        assert response.status_code == 400
        assert "nested" in response.json()["errors"][0]["message"]
    assert not Indicator.objects.exists()


def test_deeply_nested_stix_bundle_to_the_import_page_shows_the_error(client, lead_user, incident):
    client.force_login(lead_user)

    response = client.post(
        reverse("exchange:incident_import", args=[incident.reference]),
        {"bundle": SimpleUploadedFile("deep.json", DEEP.encode())},
    )

    assert response.status_code == 400
    assert "nested more than" in response.content.decode()


# Patterns of many terms --------------------------------------------------------------


# Real reports OR a few dozen hashes (Poison Ivy: 19) and are kept; beyond 256 terms the
# pattern parser's recursion is the risk.
@pytest.mark.parametrize("terms", [300, 3000])
def test_or_pattern_of_many_terms_is_refused_with_a_message(api_client, lead_user, incident, terms):
    api_client.force_authenticate(lead_user)

    response = api_client.post(
        reverse("exchange-api:incident-stix", args=[incident.reference]),
        stix_bundle(pattern=or_pattern(terms)),
        content_type="application/json",
    )

    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert "terms" in message or "longer than" in message
    assert not Indicator.objects.exists()


def test_deeply_parenthesised_pattern_is_refused(api_client, lead_user, incident):
    api_client.force_authenticate(lead_user)
    pattern = "[" + "(" * 3000 + "ipv4-addr:value = '198.51.100.1'" + ")" * 3000 + "]"

    response = api_client.post(
        reverse("exchange-api:incident-stix", args=[incident.reference]),
        stix_bundle(pattern=pattern),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "terms" in response.json()["errors"][0]["message"]


def test_pattern_as_an_indicator_value_is_refused_as_too_long(api_client, lead_user, incident):
    api_client.force_authenticate(lead_user)

    response = api_client.post(
        reverse("intel-api:indicator-list"),
        {"incident": incident.reference, "value": or_pattern(3000)},
        format="json",
    )

    assert response.status_code == 400
    assert "value" in response.json()


# Confidence out of range -------------------------------------------------------------


@pytest.mark.parametrize("confidence", [10**30, -1, 101])
def test_confidence_out_of_range_to_the_api_is_a_400(api_client, lead_user, incident, confidence):
    api_client.force_authenticate(lead_user)
    body = {"incident": incident.reference, "confidence": confidence}

    one = api_client.post(
        reverse("intel-api:indicator-list"), {**body, "value": "192.0.2.3"}, format="json"
    )
    bulk = api_client.post(
        reverse("intel-api:indicator-bulk"), {**body, "text": "192.0.2.3"}, format="json"
    )

    for response in (one, bulk):
        assert response.status_code == 400
        assert "confidence" in response.json()
    assert not Indicator.objects.exists()


@pytest.mark.parametrize("confidence", [10**30, -5, 101, True, "high", 50.5])
def test_confidence_out_of_range_in_a_stix_import_is_a_400(
    api_client, lead_user, incident, confidence
):
    api_client.force_authenticate(lead_user)

    response = api_client.post(
        reverse("exchange-api:incident-stix", args=[incident.reference]),
        stix_bundle(confidence=confidence),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "confidence" in response.json()["errors"][0]["message"]
    assert not Indicator.objects.exists()


def test_confidence_in_range_in_a_stix_import_is_kept(api_client, lead_user, incident):
    api_client.force_authenticate(lead_user)

    response = api_client.post(
        reverse("exchange-api:incident-stix", args=[incident.reference]),
        stix_bundle(confidence=100),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert Indicator.objects.get().confidence == 100


def test_confidence_out_of_range_in_the_form_shows_the_error_beside_the_field(
    client, lead_user, incident
):
    client.force_login(lead_user)

    response = client.post(
        reverse("intel:add", args=[incident.reference]),
        {"one-value": "192.0.2.3", "one-tlp": TLP.AMBER, "one-confidence": str(10**30)},
    )

    assert response.status_code == 400
    assert "less than or equal to 100" in response.content.decode()
    assert not Indicator.objects.exists()

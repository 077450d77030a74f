"""STIX 2.1 export of an incident: validity, patterns, stable ids, TLP, who may download."""

import json

import pytest
from django.urls import reverse
from stix2patterns.validator import run_validator

from coordination.exchange import stix
from coordination.exchange.export import incident_bundle
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from incidents.choices import TLP
from tests.exchange.conftest import SAMPLE_VALUES, validate
from tests.factories import UserFactory, make_incident

# The validator recommends UUIDv4 ids; Concord mints UUIDv5 ids on purpose (stable
# across re-exports, so partners do not get duplicates). Nothing else may be flagged.
ALLOWED_WARNING_CODES = {"{103}"}


def objects_of(bundle, kind):
    return [obj for obj in bundle["objects"] if obj["type"] == kind]


def assert_valid(bundle):
    result = validate(bundle)
    assert result.is_valid, [str(e) for e in result.errors]
    assert result.errors == []
    unexpected = [str(w) for w in result.warnings if str(w).split()[1] not in ALLOWED_WARNING_CODES]
    assert unexpected == []


@pytest.mark.django_db
def test_bundle_with_every_indicator_type_passes_the_oasis_validator(
    incident, lead_user, every_type
):
    bundle = incident_bundle(incident, lead_user)

    assert_valid(bundle)
    assert len(objects_of(bundle, "indicator")) == len(SAMPLE_VALUES)


@pytest.mark.django_db
def test_empty_incident_still_exports_a_valid_bundle(incident, lead_user):
    bundle = incident_bundle(incident, lead_user)

    assert_valid(bundle)
    (grouping,) = objects_of(bundle, "grouping")
    assert grouping["object_refs"] == [stix.agency_id(incident.lead_agency_id)]


EXPECTED_PATTERNS = {
    IndicatorType.IPV4: "[ipv4-addr:value = '198.51.100.7']",
    IndicatorType.IPV6: "[ipv6-addr:value = '2001:db8::7']",
    IndicatorType.CIDR: "[ipv4-addr:value = '203.0.113.0/24']",
    IndicatorType.DOMAIN: "[domain-name:value = 'evil.example']",
    IndicatorType.URL: "[url:value = 'http://evil.example/o\\'neil\\\\path?q=1']",
    IndicatorType.EMAIL: "[email-addr:value = 'phish@evil.example']",
    IndicatorType.MD5: "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']",
    IndicatorType.SHA1: "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    IndicatorType.SHA256: (
        "[file:hashes.'SHA-256' = "
        "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"
    ),
    IndicatorType.SHA512: (
        "[file:hashes.'SHA-512' = 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e']"
    ),
    IndicatorType.SSDEEP: "[file:hashes.'SSDEEP' = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
    IndicatorType.TLSH: (
        "[file:hashes.'TLSH' = "
        "'T1A3B2C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4']"
    ),
    IndicatorType.IMPHASH: (
        "[file:extensions.'windows-pebinary-ext'.imphash = 'f34d5f2d4577ed6d9ceec516c1f5a744']"
    ),
    IndicatorType.FILENAME: "[file:name = 'invoice \\'final\\'.pdf.exe']",
}


@pytest.mark.parametrize("kind", list(SAMPLE_VALUES))
def test_pattern_for_each_type_is_exact_and_parses(kind):
    pattern = stix.pattern_for(kind, SAMPLE_VALUES[kind])

    assert pattern == EXPECTED_PATTERNS[kind]
    assert run_validator(pattern, stix_version="2.1") == []


def test_ipv6_network_is_matched_on_ipv6_address_value():
    assert stix.pattern_for(IndicatorType.CIDR, "2001:db8::/32") == (
        "[ipv6-addr:value = '2001:db8::/32']"
    )


@pytest.mark.django_db
def test_re_export_gives_the_same_object_ids(incident, lead_user, every_type):
    first = incident_bundle(incident, lead_user)
    second = incident_bundle(incident, lead_user)

    assert [o["id"] for o in first["objects"]] == [o["id"] for o in second["objects"]]
    assert first["objects"] == second["objects"]
    assert first["id"] != second["id"]  # the envelope is not an object of its own


@pytest.mark.django_db
def test_indicator_id_survives_deletion_and_re_entry(incident, lead_user, add_indicator):
    indicator = add_indicator(incident, IndicatorType.DOMAIN, "evil.example", by=lead_user)
    before = objects_of(incident_bundle(incident, lead_user), "indicator")[0]["id"]
    Indicator.objects.filter(pk=indicator.pk).delete()
    add_indicator(incident, IndicatorType.DOMAIN, "evil.example", by=lead_user)

    after = objects_of(incident_bundle(incident, lead_user), "indicator")[0]["id"]

    assert after == before


@pytest.mark.django_db
def test_changed_indicator_is_a_newer_version_of_the_same_object(
    incident, lead_user, add_indicator
):
    indicator = add_indicator(incident, IndicatorType.IPV4, "198.51.100.7", by=lead_user)
    before = objects_of(incident_bundle(incident, lead_user), "indicator")[0]
    indicator.confidence = 95
    indicator.save()

    after = objects_of(incident_bundle(incident, lead_user), "indicator")[0]

    assert after["id"] == before["id"]
    assert after["created"] == before["created"]
    assert after["modified"] > before["modified"]
    assert after["confidence"] == 95


@pytest.mark.django_db
def test_tlp_travels_as_the_official_tlp2_marking(incident, lead_user, add_indicator):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.7", by=lead_user, tlp=TLP.GREEN)
    add_indicator(incident, IndicatorType.DOMAIN, "evil.example", by=lead_user, tlp=TLP.AMBER)

    bundle = incident_bundle(incident, lead_user)

    markings = {m["id"]: m for m in objects_of(bundle, "marking-definition")}
    assert set(markings) == {
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    }
    green = markings["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    assert green["name"] == "TLP:GREEN"
    assert green["extensions"] == {
        "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            "extension_type": "property-extension",
            "tlp_2_0": "green",
        }
    }
    (extension,) = objects_of(bundle, "extension-definition")
    assert extension["id"] == "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
    by_value = {o["pattern"]: o for o in objects_of(bundle, "indicator")}
    assert by_value["[ipv4-addr:value = '198.51.100.7']"]["object_marking_refs"] == [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    ]


@pytest.mark.parametrize(
    ("tlp", "marking_id"),
    [
        (TLP.CLEAR, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"),
        (TLP.GREEN, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
        (TLP.AMBER, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
        (TLP.AMBER_STRICT, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
        (TLP.RED, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"),
    ],
)
def test_every_tlp_label_has_its_official_marking_id(tlp, marking_id):
    marking = stix.tlp_marking(tlp)

    assert marking["id"] == marking_id
    assert marking["name"] == TLP(tlp).label
    assert marking["extensions"][stix.TLP2_EXTENSION_ID]["tlp_2_0"] == tlp


@pytest.mark.django_db
def test_grouping_describes_the_case_with_agencies_as_identities(
    incident, lead_user, invited_user, add_indicator
):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.7", by=lead_user)
    added_by_france = add_indicator(incident, IndicatorType.DOMAIN, "evil.example", by=invited_user)

    bundle = incident_bundle(incident, lead_user)

    (grouping,) = objects_of(bundle, "grouping")
    assert grouping["context"] == "suspicious-activity"
    assert grouping["name"].startswith(incident.reference)
    assert grouping["object_marking_refs"] == [stix.TLP_MARKING_IDS[incident.tlp]]
    identities = {o["id"]: o for o in objects_of(bundle, "identity")}
    assert {o["name"] for o in identities.values()} == {
        "Bundeskriminalamt Cybercrime",
        "OFAC Cybercriminalité",
    }
    assert set(identities) <= set(grouping["object_refs"])
    french = next(o for o in objects_of(bundle, "indicator") if "evil.example" in o["pattern"])
    assert french["created_by_ref"] == stix.agency_id(added_by_france.added_by_agency_id)
    assert_valid(bundle)


@pytest.mark.django_db
def test_amber_strict_reaches_the_owning_agency_and_red_its_readers_only(
    incident, lead_user, invited_user, add_indicator
):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.1", by=lead_user, tlp=TLP.AMBER)
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.2", by=lead_user, tlp=TLP.AMBER_STRICT)
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.3", by=lead_user, tlp=TLP.RED)

    for_lead = incident_bundle(incident, lead_user)
    for_invited = incident_bundle(incident, invited_user)

    def values(bundle):
        return sorted(o["pattern"] for o in objects_of(bundle, "indicator"))

    assert values(for_lead) == [
        "[ipv4-addr:value = '198.51.100.1']",
        "[ipv4-addr:value = '198.51.100.2']",
        "[ipv4-addr:value = '198.51.100.3']",
    ]
    assert values(for_invited) == ["[ipv4-addr:value = '198.51.100.1']"]
    assert "198.51.100.2" not in json.dumps(for_invited)
    assert "198.51.100.3" not in json.dumps(for_invited)
    # A colleague of the author reads the AMBER+STRICT one, not the unnamed RED one.
    colleague = UserFactory(agency=lead_user.agency)
    assert values(incident_bundle(incident, colleague)) == [
        "[ipv4-addr:value = '198.51.100.1']",
        "[ipv4-addr:value = '198.51.100.2']",
    ]
    # Fetched by a tool, nothing marked RED goes in, even for its author.
    assert "198.51.100.3" not in json.dumps(incident_bundle(incident, lead_user, machine=True))


@pytest.mark.django_db
def test_export_texts_are_english_whatever_the_users_language(
    incident, invited_user, add_indicator
):
    invited_user.language = "fr"
    invited_user.save()
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.7", by=invited_user)

    bundle = incident_bundle(incident, invited_user)

    assert objects_of(bundle, "indicator")[0]["name"] == "IPv4 address: 198.51.100.7"


# Who may download: the authorisation matrix over the four personas.


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_user", 200), ("invited_user", 200), ("outsider", 404), (None, 401)],
)
def test_stix_download_by_persona(client, request, incident, every_type, persona, status):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("exchange:incident_stix", args=[incident.reference]))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/stix+json;version=2.1"
        assert "attachment" in response["Content-Disposition"]
        assert_valid(json.loads(response.content))
    if status == 401:
        assert "Bearer" in response["WWW-Authenticate"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_user", 200), ("invited_user", 200), ("outsider", 404), (None, 401)],
)
def test_stix_api_by_persona(api_client, request, incident, every_type, persona, status):
    if persona:
        api_client.force_authenticate(request.getfixturevalue(persona))

    response = api_client.get(
        reverse("exchange-api:incident-stix", args=[incident.reference]), format="json"
    )

    assert response.status_code == status
    if status == 200:
        assert_valid(response.json())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/stix+json;version=2.1", "application/stix+json;version=2.1"),
        ("application/stix+json", "application/stix+json;version=2.1"),
        ("application/json", "application/json"),
        ("", "application/json"),
    ],
)
def test_stix_api_honours_accept_stix_and_keeps_json(
    api_client, incident, every_type, lead_user, accept, content_type
):
    api_client.force_authenticate(lead_user)
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = api_client.get(
        reverse("exchange-api:incident-stix", args=[incident.reference]), **headers
    )

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert_valid(json.loads(response.content))


@pytest.mark.django_db
def test_stix_api_refuses_an_accept_it_cannot_answer_with_406(api_client, incident, lead_user):
    api_client.force_authenticate(lead_user)

    response = api_client.get(
        reverse("exchange-api:incident-stix", args=[incident.reference]),
        HTTP_ACCEPT="application/xml",
    )

    assert response.status_code == 406


@pytest.mark.django_db
def test_tool_downloads_with_a_bearer_token_and_is_refused_with_a_wrong_one(
    client, incident, lead_user, token_for
):
    url = reverse("exchange:incident_stix", args=[incident.reference])
    key = token_for(lead_user)

    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Negotiate abc").status_code == 401


@pytest.mark.django_db
def test_unknown_incident_answers_404_like_an_invisible_one(client, lead_user):
    client.force_login(lead_user)

    response = client.get(reverse("exchange:incident_stix", args=["CC-2026-999999"]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_stix_download_queries_do_not_grow_with_indicators(
    client, lead_user, add_indicator, django_assert_max_num_queries
):
    small = make_incident(lead_user)
    large = make_incident(lead_user)
    add_indicator(small, IndicatorType.IPV4, "198.51.100.1", by=lead_user)
    for n in range(40):
        add_indicator(large, IndicatorType.IPV4, f"198.51.100.{n + 1}", by=lead_user)
    client.force_login(lead_user)
    client.get(reverse("exchange:incident_stix", args=[small.reference]))

    with django_assert_max_num_queries(8):
        response = client.get(reverse("exchange:incident_stix", args=[large.reference]))

    assert len(objects_of(json.loads(response.content), "indicator")) == 40

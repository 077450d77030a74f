"""Import of a STIX 2.1 bundle's indicators into an incident: what is valid, with a report."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination.exchange import stix
from coordination.exchange.export import incident_bundle
from coordination.exchange.importer import import_bundle
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from coordination.intel.normalise import normalise
from incidents.choices import TLP, ParticipationRole, TimelineKind
from incidents.models import TimelineEntry
from tests.exchange.conftest import SAMPLE_VALUES
from tests.factories import UserFactory, make_incident

VALID_FROM = "2026-01-05T10:00:00.000Z"


def indicator(pattern, *, marking=None, n=1, **extra):
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": VALID_FROM,
        "modified": VALID_FROM,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": VALID_FROM,
        **extra,
    }
    if marking:
        obj["object_marking_refs"] = [marking]
    return obj


def bundle(*objects):
    return json.dumps(
        {
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000000",
            "objects": list(objects),
        }
    )


@pytest.fixture
def target(lead_user, invited_agency):
    """A GREEN incident to import into, shared with France as contributor."""
    return make_incident(
        lead_user,
        tlp=TLP.GREEN,
        title="Imported indicators",
        shared_with=[(invited_agency, ParticipationRole.CONTRIBUTOR)],
    )


def stored(incident):
    return sorted(Indicator.objects.filter(incident=incident).values_list("type", "value", "tlp"))


@pytest.mark.django_db
def test_round_trip_every_type_from_an_exported_bundle(incident, lead_user, every_type, target):
    exported = json.dumps(incident_bundle(incident, lead_user))

    report = import_bundle(target, lead_user, exported.encode())

    assert report.ok, report.errors
    assert len(report.created) == len(SAMPLE_VALUES)
    # Values go through the same normalisation as typed ones (the URL's backslash is
    # percent-encoded); everything else arrives exactly as exported.
    assert stored(target) == sorted(
        (kind, normalise(kind, value), TLP.AMBER) for kind, value in SAMPLE_VALUES.items()
    )
    assert report.ignored == {
        "extension-definition": 1,
        "grouping": 1,
        "identity": 1,
        "marking-definition": 1,
    }


@pytest.mark.django_db
def test_values_are_normalised_as_if_typed(target, lead_user):
    report = import_bundle(
        target,
        lead_user,
        bundle(
            indicator("[domain-name:value = 'EVIL.Example']", n=1),
            indicator("[url:value = 'HTTP://Evil.Example:80/a']", n=2),
            indicator("[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']", n=3),
        ),
    )

    assert report.ok, report.errors
    assert [v for _t, v, _l in stored(target)] == [
        "evil.example",
        "d41d8cd98f00b204e9800998ecf8427e",
        "http://evil.example/a",
    ]


@pytest.mark.django_db
def test_network_by_cidr_value_or_issubset_becomes_a_cidr_indicator(target, lead_user):
    report = import_bundle(
        target,
        lead_user,
        bundle(
            indicator("[ipv4-addr:value = '203.0.113.0/24']", n=1),
            indicator("[ipv6-addr:value ISSUBSET '2001:db8::/32']", n=2),
        ),
    )

    assert report.ok, report.errors
    assert {t for t, _v, _l in stored(target)} == {IndicatorType.CIDR}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("marking", "expected"),
    [
        (None, TLP.GREEN),  # the incident's TLP
        (stix.TLP_MARKING_IDS[TLP.CLEAR], TLP.GREEN),  # never below the incident
        (stix.TLP_MARKING_IDS[TLP.AMBER_STRICT], TLP.AMBER_STRICT),
        ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP.RED),  # TLP 1.0 red
        ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP.AMBER),  # TLP 1.0 amber
        ("marking-definition--11111111-1111-4111-8111-111111111111", TLP.GREEN),  # unknown
    ],
)
def test_markings_map_to_tlp_never_below_the_incident(target, lead_user, marking, expected):
    report = import_bundle(
        target, lead_user, bundle(indicator("[ipv4-addr:value = '198.51.100.7']", marking=marking))
    )

    assert report.ok, report.errors
    assert stored(target) == [(IndicatorType.IPV4, "198.51.100.7", expected)]


@pytest.mark.django_db
def test_marking_definition_in_the_bundle_with_a_tlp2_label_is_understood(target, lead_user):
    custom = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--22222222-2222-4222-8222-222222222222",
        "created": VALID_FROM,
        "name": "Partner RED",
        "extensions": {
            stix.TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "red"}
        },
    }

    report = import_bundle(
        target,
        lead_user,
        bundle(custom, indicator("[ipv4-addr:value = '198.51.100.7']", marking=custom["id"])),
    )

    assert report.ok, report.errors
    assert stored(target)[0][2] == TLP.RED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "Invalid JSON at line 1, column 2"),
        (b'{"type": "indicator"}', "Not a STIX bundle"),
        (b'{"type": "bundle", "objects": {}}', '"objects" must be a list'),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_what_is_not_a_bundle_is_reported_and_nothing_stored(target, lead_user, raw, message):
    report = import_bundle(target, lead_user, raw)

    assert not report.ok
    assert message in report.errors[0]["message"]
    assert report.errors[0]["object"] == "bundle"
    assert stored(target) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pattern",
    [
        "[domain-name:value LIKE '%.evil.example']",
        "[x509-certificate:serial_number = '01']",
        "[file:name = 'a' OR file:name = 'b']",
        "[ipv4-addr:value = '198.51.100.7'] WITHIN 5 SECONDS",
    ],
)
def test_a_valid_pattern_without_one_value_is_kept_as_given(target, lead_user, pattern):
    report = import_bundle(target, lead_user, bundle(indicator(pattern)))

    assert report.ok and not report.errors
    kept = Indicator.objects.get(incident=target, derived_from=None)
    assert (kept.type, kept.value, kept.pattern) == (IndicatorType.PATTERN, pattern, pattern)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (indicator("[ipv4-addr:value = "), "Invalid value for Indicator 'pattern'"),
        (indicator("[ipv4-addr:value = '999.1.1.1']"), "IPv4"),
        (indicator("title:foo", pattern_type="sigma"), "pattern type sigma"),
        (
            {
                "type": "indicator",
                "id": "indicator--00000000-0000-4000-8000-000000000001",
                "spec_version": "2.1",
            },
            "not a valid STIX 2.1 indicator",
        ),
    ],
)
def test_an_invalid_indicator_is_reported_per_object_and_the_valid_ones_imported(
    target, lead_user, obj, message
):
    good = indicator("[domain-name:value = 'fine.example']", n=99)

    report = import_bundle(target, lead_user, bundle(good, obj))

    assert report.ok
    (error,) = report.errors
    assert error["object"] == obj["id"]
    assert message in error["message"]
    assert [c["value"] for c in report.as_dict()["created"]] == ["fine.example"]
    assert stored(target) == [(IndicatorType.DOMAIN, "fine.example", TLP.GREEN)]


@pytest.mark.django_db
def test_a_bundle_of_invalid_indicators_only_is_refused(target, lead_user):
    report = import_bundle(target, lead_user, bundle(indicator("[ipv4-addr:value = ")))

    assert not report.ok
    assert stored(target) == []
    assert not TimelineEntry.objects.filter(incident=target, kind=TimelineKind.INDICATOR).exists()


@pytest.mark.django_db
def test_duplicates_are_reported_not_refused(target, lead_user, add_indicator):
    add_indicator(target, IndicatorType.DOMAIN, "known.example", by=lead_user, tlp=TLP.GREEN)

    report = import_bundle(
        target,
        lead_user,
        bundle(
            indicator("[domain-name:value = 'known.example']", n=1),
            indicator("[domain-name:value = 'new.example']", n=2),
            indicator("[domain-name:value = 'NEW.example']", n=3),
        ),
    )

    assert report.ok
    assert [c["value"] for c in report.created] == ["new.example"]
    assert sorted(d["value"] for d in report.duplicates) == ["known.example", "new.example"]
    assert len(stored(target)) == 2


@pytest.mark.django_db
def test_import_writes_one_timeline_entry_and_keeps_the_details(target, lead_user):
    import_bundle(
        target,
        lead_user,
        bundle(
            indicator("[ipv4-addr:value = '198.51.100.7']", confidence=70, description="C2 server")
        ),
    )

    entry = TimelineEntry.objects.get(incident=target, kind=TimelineKind.INDICATOR)
    assert "Imported 1 indicator" in entry.body
    saved = Indicator.objects.get(incident=target)
    assert (saved.confidence, saved.note, saved.added_by, saved.added_by_agency) == (
        70,
        "C2 server",
        lead_user,
        lead_user.agency,
    )
    assert saved.first_seen.isoformat().startswith("2026-01-05T10:00:00")


# API and upload page: who may import


@pytest.fixture
def observer(target, lead_user, other_agency):
    from incidents import actions

    actions.share_incident(target, other_agency, ParticipationRole.OBSERVER, lead_user)
    return UserFactory(username="obs", agency=other_agency)


def api_url(incident):
    return reverse("exchange-api:incident-stix", args=[incident.reference])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_user", 201), ("invited_user", 201), ("outsider", 404), ("observer", 403), (None, 401)],
)
def test_api_import_by_persona(api_client, request, target, persona, status):
    if persona == "observer":
        user = request.getfixturevalue("observer")
    else:
        user = request.getfixturevalue(persona) if persona else None
    if user:
        api_client.force_authenticate(user)

    response = api_client.post(
        api_url(target),
        data=bundle(indicator("[ipv4-addr:value = '198.51.100.7']")),
        content_type="application/json",
    )

    assert response.status_code == status
    assert len(stored(target)) == (1 if status == 201 else 0)


@pytest.mark.django_db
def test_api_import_reports_errors_with_400(api_client, target, lead_user):
    api_client.force_authenticate(lead_user)

    response = api_client.post(api_url(target), data="[1, 2", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["imported"] is False
    assert "Invalid JSON" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_api_import_of_an_indicator_without_id_is_400_naming_it(api_client, target, lead_user):
    api_client.force_authenticate(lead_user)
    nameless = indicator("[ipv4-addr:value = '198.51.100.7']")
    del nameless["id"]

    response = api_client.post(
        api_url(target), data=bundle(nameless), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"object": "#1", "message": "the indicator has no id (required by STIX 2.1)"}
    ]
    assert stored(target) == []


@pytest.mark.django_db
def test_api_import_accepts_a_multipart_file(api_client, target, lead_user):
    api_client.force_authenticate(lead_user)
    upload = SimpleUploadedFile(
        "b.json", bundle(indicator("[ipv4-addr:value = '198.51.100.7']")).encode()
    )

    response = api_client.post(api_url(target), {"bundle": upload}, format="multipart")

    assert response.status_code == 201
    assert response.json()["created"][0]["value"] == "198.51.100.7"


@pytest.mark.django_db
def test_api_import_of_nothing_new_is_200(api_client, target, lead_user, add_indicator):
    add_indicator(target, IndicatorType.IPV4, "198.51.100.7", by=lead_user, tlp=TLP.GREEN)
    api_client.force_authenticate(lead_user)

    response = api_client.post(
        api_url(target),
        data=bundle(indicator("[ipv4-addr:value = '198.51.100.7']")),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["duplicates"][0]["value"] == "198.51.100.7"


def padded_bundle(size):
    """A valid one-indicator bundle of about ``size`` bytes (a long description)."""
    padding = "x" * (size - len(bundle(indicator("[ipv4-addr:value = '198.51.100.7']"))))
    return bundle(indicator("[ipv4-addr:value = '198.51.100.7']", description=padding))


@pytest.mark.django_db
def test_api_import_with_a_session_takes_a_json_body(target, lead_user):
    # Given an analyst signed in in the browser, CSRF checked as for any page script
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(lead_user)
    browser.get(reverse("incidents:detail", args=[target.reference]))
    token = browser.cookies["csrftoken"].value

    # When the page posts the bundle as JSON
    response = browser.post(
        api_url(target),
        data=bundle(indicator("[ipv4-addr:value = '198.51.100.7']")),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    # Then it is imported, not refused as an unsupported media type
    assert response.status_code == 201
    assert len(stored(target)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("multipart", [False, True], ids=["json", "file"])
def test_api_import_takes_a_bundle_above_django_default_limit_up_to_10_mb(
    api_client, target, lead_user, multipart
):
    api_client.force_authenticate(lead_user)
    raw = padded_bundle(4 * 1024 * 1024)  # Django refuses bodies above 2.5 MB by default

    if multipart:
        upload = SimpleUploadedFile("b.json", raw.encode())
        response = api_client.post(api_url(target), {"bundle": upload}, format="multipart")
    else:
        response = api_client.post(api_url(target), data=raw, content_type="application/json")

    assert response.status_code == 201, response.content[:300]
    assert len(stored(target)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("multipart", [False, True], ids=["json", "file"])
def test_api_import_above_10_mb_is_a_json_413_and_nothing_stored(
    api_client, target, lead_user, multipart
):
    api_client.force_authenticate(lead_user)
    raw = padded_bundle(10 * 1024 * 1024 + 1)

    if multipart:
        upload = SimpleUploadedFile("b.json", raw.encode())
        response = api_client.post(api_url(target), {"bundle": upload}, format="multipart")
    else:
        response = api_client.post(api_url(target), data=raw, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "10 MB" in response.json()["detail"]
    assert stored(target) == []


def page_url(incident):
    return reverse("exchange:incident_import", args=[incident.reference])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_user", 200), ("invited_user", 200), ("outsider", 404), ("observer", 403), (None, 302)],
)
def test_import_page_by_persona(client, request, target, persona, status):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    assert client.get(page_url(target)).status_code == status


@pytest.mark.django_db
def test_upload_form_without_a_file_shows_the_error_beside_the_field(client, target, lead_user):
    client.force_login(lead_user)

    response = client.post(page_url(target), {})

    assert response.status_code == 400
    assert 'id="id_bundle_error"' in response.content.decode()


@pytest.mark.django_db
def test_upload_form_shows_the_report(client, target, lead_user):
    client.force_login(lead_user)
    upload = SimpleUploadedFile(
        "b.json",
        bundle(
            indicator("[ipv4-addr:value = '198.51.100.7']", n=1),
            indicator("[ipv4-addr:value = ", n=2),
            {"type": "malware", "id": "malware--00000000-0000-4000-8000-000000000003"},
        ).encode(),
    )

    response = client.post(page_url(target), {"bundle": upload})

    html = response.content.decode()
    assert response.status_code == 200
    assert "indicator--00000000-0000-4000-8000-000000000002" in html
    assert "malware--00000000-0000-4000-8000-000000000003" in html
    assert stored(target) == [(IndicatorType.IPV4, "198.51.100.7", TLP.GREEN)]


@pytest.mark.django_db
def test_export_panel_offers_import_only_to_contributors(client, target, lead_user, observer):
    client.force_login(lead_user)
    assert (
        page_url(target)
        in client.get(reverse("exchange:incident_panel", args=[target.reference])).content.decode()
    )
    client.force_login(observer)
    assert (
        page_url(target)
        not in client.get(
            reverse("exchange:incident_panel", args=[target.reference])
        ).content.decode()
    )


@pytest.mark.django_db
def test_import_queries_do_not_grow_with_the_bundle(
    api_client, target, lead_user, django_assert_max_num_queries
):
    api_client.force_authenticate(lead_user)
    small = bundle(indicator("[ipv4-addr:value = '198.51.100.1']", n=500))
    large = bundle(
        *(indicator(f"[ipv4-addr:value = '198.51.101.{n}']", n=n) for n in range(1, 120))
    )
    api_client.post(api_url(target), data=small, content_type="application/json")

    with django_assert_max_num_queries(16):
        response = api_client.post(api_url(target), data=large, content_type="application/json")

    assert response.status_code == 201
    assert len(response.json()["created"]) == 119


@pytest.mark.django_db
def test_import_page_query_budget(client, target, lead_user, django_assert_max_num_queries):
    client.force_login(lead_user)

    with django_assert_max_num_queries(8):
        assert client.get(page_url(target)).status_code == 200


WARNED = bundle(
    indicator("[ipv4-addr:value = '10.0.0.1']", n=1),
    indicator("[domain-name:value = 'evil.example']", n=2),
)


@pytest.mark.django_db
def test_api_import_flags_values_on_warning_lists(api_client, target, lead_user):
    api_client.force_authenticate(lead_user)

    response = api_client.post(api_url(target), data=WARNED, content_type="application/json")

    assert response.status_code == 201
    flags = {item["value"]: item["warning_lists"] for item in response.json()["created"]}
    assert "List of RFC 1918 CIDR blocks" in flags["10.0.0.1"]
    assert flags["evil.example"] == []


@pytest.mark.django_db
def test_import_page_shows_which_warning_list_a_value_is_on(client, target, lead_user):
    client.force_login(lead_user)
    upload = SimpleUploadedFile("bundle.json", WARNED.encode(), "application/json")

    response = client.post(
        reverse("exchange:incident_import", args=[target.reference]), {"bundle": upload}
    )

    html = response.content.decode()
    assert "On a warning list" in html
    assert "List of RFC 1918 CIDR blocks" in html

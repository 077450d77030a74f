"""Exchange in a real browser: export panel on the incident page, a token, a tool reads it."""

import json
import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from accounts.choices import Role
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from tests.e2e.test_journey import sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_investigator_exports_an_incident_and_gives_a_tool_a_token(
    new_page, live_server, screenshot_dir
):
    # Given a German investigator with an incident holding two indicators
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    anna = UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR)
    incident = make_incident(anna, title="Phishing wave against port operators")
    for kind, value in (
        (IndicatorType.IPV4, "45.80.149.7"),
        (IndicatorType.DOMAIN, "evil.example"),
    ):
        Indicator.objects.create(
            incident=incident, type=kind, value=value, added_by=anna, added_by_agency=bka
        )
    page = new_page()
    sign_in(page, anna)

    # When she opens the incident, the export panel loads with the TAXII collection URL
    page.goto(incident.get_absolute_url())
    panel = page.locator("#exchange-panel")
    expect(panel).to_contain_text("2 shareable indicators")
    collection_url = page.locator("#taxii-collection-url").input_value()
    assert collection_url.startswith(f"{live_server.url}/taxii2/api/collections/")
    panel.scroll_into_view_if_needed()
    snap(page, screenshot_dir, "exchange-1-incident-panel")

    # ... downloads the blocklist of IP addresses
    blocklist = page.request.get(f"/incidents/{incident.reference}/blocklist.txt?type=ipv4")
    header, *values = blocklist.text().splitlines()
    assert header.startswith("# Concord blocklist: IPv4 addresses and networks")
    assert values == ["45.80.149.7"]

    # ... and creates an API token for her TAXII client
    panel.get_by_role("link", name="Get an API token for your tools").click()
    snap(page, screenshot_dir, "exchange-2-token-empty")
    page.get_by_label("Name").fill("OpenCTI TAXII feed")
    page.get_by_label("Read only").check()
    page.get_by_label("Valid for (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    key = page.locator("#new-token").input_value()
    assert re.fullmatch(r"concord_[A-Za-z0-9_-]{40}", key)
    expect(page.locator(".api-tokens")).to_contain_text("OpenCTI TAXII feed")
    snap(page, screenshot_dir, "exchange-3-token-created")

    # Then a tool reads the collection with that token
    response = requests.get(
        collection_url + "objects/",
        headers={"Authorization": f"Bearer {key}", "Accept": "application/taxii+json;version=2.1"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "evil.example" in response.text

    # When she revokes it (confirming), the tool is refused
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".message--success")).to_contain_text("revoked")
    snap(page, screenshot_dir, "exchange-4-token-revoked")
    refused = requests.get(collection_url, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert refused.status_code == 401


def _bundle(*patterns):
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2026-01-05T10:00:00.000Z",
            "modified": "2026-01-05T10:00:00.000Z",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2026-01-05T10:00:00.000Z",
        }
        for n, pattern in enumerate(patterns, start=1)
    ]
    return json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})


def test_investigator_imports_the_valid_part_of_a_partner_bundle_then_the_fixed_object(
    new_page, screenshot_dir
):
    # Given a German investigator with an incident
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    anna = UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR)
    incident = make_incident(anna, title="Phishing wave against port operators")
    page = new_page()
    sign_in(page, anna)
    page.goto(incident.get_absolute_url())
    page.locator("#exchange-panel").get_by_role("link", name="Import a STIX bundle").click()

    # When she uploads a partner's bundle with one broken pattern among valid ones
    page.get_by_label("STIX 2.1 bundle").set_input_files(
        files=[
            {
                "name": "partner.json",
                "mimeType": "application/json",
                "buffer": _bundle(
                    "[ipv4-addr:value = '198.51.100.7']",
                    "[domain-name:value LIKE '%.evil.example']",
                    "[domain-name:value = 'Evil.Example'",
                ).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Import").click()

    # Then the valid ones are kept (the LIKE pattern whole) and the report names the broken one
    report = page.locator("#import-report")
    expect(report.locator("#report-heading")).to_have_text("Imported")
    expect(report).to_contain_text("1 object was not imported")
    expect(report).to_contain_text("indicator--00000000-0000-4000-8000-000000000003")
    expect(report).to_contain_text("Added (2)")
    snap(page, screenshot_dir, "exchange-5-import-partial")
    kept = Indicator.objects.filter(incident=incident)
    assert kept.filter(value="198.51.100.7").exists()
    assert kept.filter(type="stix-pattern").count() == 1

    # When the partner sends the bundle again with the broken object corrected
    page.get_by_label("STIX 2.1 bundle").set_input_files(
        files=[
            {
                "name": "partner.json",
                "mimeType": "application/json",
                "buffer": _bundle(
                    "[ipv4-addr:value = '198.51.100.7']",
                    "[domain-name:value LIKE '%.evil.example']",
                    "[domain-name:value = 'Evil.Example']",
                ).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Import").click()

    # Then the corrected object is added, normalised; the others are known at this version
    expect(page.locator("#import-report")).to_contain_text("Added (1)")
    expect(page.locator("#import-report")).to_contain_text("Already at this version or newer (2)")
    snap(page, screenshot_dir, "exchange-6-import-done")
    assert set(
        Indicator.objects.filter(incident=incident)
        .exclude(type="stix-pattern")
        .values_list("value", flat=True)
    ) == {"198.51.100.7", "evil.example"}

"""Evidence across a border in a real browser: log with a file in Germany, hand over to
France, receive there, both verify the chain, the report names both parties."""

import hashlib
import re

import pytest
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from incidents.choices import ParticipationRole
from tests.e2e.test_journey import sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMAGE = b"EWF image of the port operator's terminal server\n" * 4096
IMAGE_SHA256 = hashlib.sha256(IMAGE).hexdigest()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case():
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(
        name="Office anti-cybercriminalité", short_name="OFAC", country="FR", kind=AgencyKind.POLICE
    )
    de = UserFactory(
        username="anna.de", agency=bka, role=Role.INVESTIGATOR, timezone="Europe/Berlin"
    )
    fr = UserFactory(
        username="louis.fr", agency=ofac, role=Role.INVESTIGATOR, timezone="Europe/Paris"
    )
    incident = make_incident(
        de,
        title="Ransomware at a Rhine port operator",
        shared_with=[(ofac, ParticipationRole.CONTRIBUTOR)],
    )
    return {"de": de, "fr": fr, "incident": incident}


def test_item_logged_in_germany_is_handed_over_to_france_and_verified_by_both(
    new_page, case, screenshot_dir
):
    incident = case["incident"]
    de = new_page()
    de.on("dialog", lambda dialog: dialog.accept())  # confirmations of hand-over
    sign_in(de, case["de"])

    # Given the German investigator on the incident page, the evidence panel loads lazily
    de.goto(f"/incidents/{incident.reference}/")
    panel = de.locator("#evidence")
    expect(panel).to_contain_text("No evidence logged yet")

    # When she logs an item with its file
    panel.get_by_role("link", name="Log evidence").click()
    # (an empty submission keeps the form and says what is missing, beside each field)
    de.get_by_role("button", name="Log evidence").click()
    expect(de.locator(".field--error").first).to_be_visible()
    snap(de, screenshot_dir, "evidence-0-form-errors")
    de.get_by_label("Title").fill("Image of terminal server TS-01")
    de.get_by_label("Kind").select_option("disk_image")
    de.get_by_label("File").set_input_files(
        {"name": "ts01.e01", "mimeType": "application/octet-stream", "buffer": IMAGE}
    )
    de.get_by_label("Acquired at").fill("2026-11-20T09:30")
    de.get_by_label("Acquired by").fill("KHK Anna Weber")
    de.get_by_label("Place of acquisition").fill("Port operator data centre, Duisburg")
    de.get_by_label("Seal number").fill("DE-BKA-0042")
    de.get_by_role("button", name="Log evidence").click()
    expect(de.locator("h1")).to_contain_text("Image of terminal server TS-01")
    expect(de.locator("body")).to_contain_text(IMAGE_SHA256)
    reference = re.search(r"EV-\d{4}-\d{6}", de.content()).group(0)
    snap(de, screenshot_dir, "evidence-1-de-logged")

    # ... and hands it over to the French unit
    de.get_by_role("link", name="Transferred", exact=True).click()
    de.get_by_label("Receiving agency").select_option(
        label="Office anti-cybercriminalité (OFAC, FR)"
    )
    de.get_by_label("Purpose").fill("Malware analysis by the French unit")
    de.get_by_label("Transport or channel").fill("Diplomatic courier, tracking FR-77812")
    de.get_by_label("Seal / packaging ids").fill("DE-BKA-0042")
    snap(de, screenshot_dir, "evidence-1b-transfer-form")
    de.get_by_role("button", name=re.compile("Record")).click()
    expect(de.locator(".ev-status--in_transit").first).to_be_visible()
    expect(de.locator("#record")).to_contain_text("In transit to Office anti-cybercriminalité")

    # Then the French investigator finds it, receives it and checks its hash
    fr = new_page()
    sign_in(fr, case["fr"])
    fr.goto("/evidence/")
    snap(fr, screenshot_dir, "evidence-1c-fr-list")
    fr.get_by_role("link", name=reference).click()
    fr.get_by_role("link", name="Received", exact=True).click()
    fr.get_by_label("Location").fill("OFAC, Nanterre")
    fr.get_by_label("SHA-256 observed").fill(IMAGE_SHA256)
    fr.get_by_label("Condition on arrival").fill("Seal DE-BKA-0042 intact.")
    fr.get_by_role("button", name=re.compile("Record")).click()
    expect(fr.locator(".ev-status--in_custody").first).to_be_visible()
    expect(fr.locator("#step-3")).to_contain_text("hash matches")
    fr.get_by_role("button", name="Verify chain").click()
    expect(fr.locator("#verify-result")).to_contain_text("Chain verified")
    snap(fr, screenshot_dir, "evidence-2-fr-received")

    # ... and so does the German investigator, who can no longer record steps
    de.goto(f"/evidence/{reference}/")
    expect(de.locator("#custody")).to_contain_text("Office anti-cybercriminalité")
    de.get_by_role("button", name="Verify chain").click()
    expect(de.locator("#verify-result")).to_contain_text("Chain verified")
    expect(de.get_by_role("link", name="Transferred", exact=True)).to_have_count(0)
    de.goto(f"/incidents/{incident.reference}/")
    expect(de.locator("#evidence")).to_contain_text(reference)
    snap(de, screenshot_dir, "evidence-2b-incident-panel")
    de.goto(f"/evidence/{reference}/")

    # The printable report names both parties and the final chain hash
    de.get_by_role("link", name="Chain-of-custody report").click()
    report = de.locator(".report")
    expect(report).to_contain_text("Bundeskriminalamt Cybercrime")
    expect(report).to_contain_text("Office anti-cybercriminalité")
    expect(report).to_contain_text("Chain verified")
    expect(report).to_contain_text(IMAGE_SHA256)
    snap(de, screenshot_dir, "evidence-3-report")
    if screenshot_dir:
        de.emulate_media(media="print")
        snap(de, screenshot_dir, "evidence-4-report-print")

"""Case work in a real browser: tag an incident, write a timeline entry with a ransom note
attached, download it, and log it as evidence with its chain of custody."""

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from incidents.models import EntryAttachment, Evidence
from tests.e2e.test_journey import sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTE = b"ALL YOUR FILES ARE ENCRYPTED. Visit the leak site within 72 hours.\n"
NOTE_SHA256 = hashlib.sha256(NOTE).hexdigest()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ransom_note_attached_to_an_entry_is_logged_as_evidence(new_page, screenshot_dir):
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    anna = UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR)
    incident = make_incident(anna, title="Ransomware at a Rhine port operator")
    page = new_page()
    sign_in(page, anna)
    page.goto(f"/incidents/{incident.reference}/")

    # Given a machine tag typed carelessly, it is shown normalised and apart
    page.get_by_label("Add a tag").fill('RSIT:Malicious-Code="ransomware"')
    page.get_by_role("button", name="Add tag").click()
    tags = page.locator("#tags")
    expect(tags.locator(".tag--machine").filter(has_text="malicious-code")).to_be_visible()
    # and a tlp: tag that would contradict the TLP field is refused beside the field
    page.get_by_label("Add a tag").fill("tlp:clear")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("#id_name_error")).to_contain_text("TLP:AMBER")

    # When she writes an entry with the ransom note attached
    page.goto(f"/incidents/{incident.reference}/")
    page.locator("#add-entry summary").click()
    page.get_by_label("Entry").fill("Ransom note found on the file server FS-02.")
    page.get_by_label("Attachments").set_input_files(
        [{"name": "ransom-note.txt", "mimeType": "text/plain", "buffer": NOTE}]
    )
    page.get_by_role("button", name="Add to timeline").click()

    # Then the entry lists the file with its hash, and it downloads as a file
    attachment = page.locator(".attachment").filter(has_text="ransom-note.txt")
    expect(attachment).to_contain_text(NOTE_SHA256[:16])
    snap(page, screenshot_dir, "attachment-1-entry")
    with page.expect_download() as download:
        attachment.get_by_role("link", name="ransom-note.txt").click()
    assert download.value.suggested_filename == "ransom-note.txt"
    assert Path(download.value.path()).read_bytes() == NOTE

    # When she logs it as evidence
    attachment.get_by_role("link", name="Log as evidence").click()
    expect(page.locator("h1")).to_contain_text("Log an attachment as evidence")
    page.get_by_label("Title").fill("Ransom note of FS-02")
    page.get_by_role("button", name="Log as evidence").click()

    # Then the evidence item has the same SHA-256 and its custody starts
    expect(page.locator("h1")).to_contain_text("Ransom note of FS-02")
    expect(page.locator("body")).to_contain_text(NOTE_SHA256)
    reference = re.search(r"EV-\d{4}-\d{6}", page.content()).group(0)
    snap(page, screenshot_dir, "attachment-2-evidence")
    item = Evidence.objects.get(reference=reference)
    assert item.sha256 == NOTE_SHA256
    assert item.custody.count() == 1
    assert EntryAttachment.objects.get().evidence_id == item.pk

    # and the timeline links the attachment to the item
    page.goto(f"/incidents/{incident.reference}/")
    expect(page.locator(".attachment").filter(has_text="ransom-note.txt")).to_contain_text(
        f"promoted to {reference}"
    )

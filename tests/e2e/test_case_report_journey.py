"""The case report in a real browser: an investigator of the invited agency downloads the
PDF from the incident page; it carries the case's marking and none of the lead agency's
TLP:RED entry."""

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from incidents import actions
from incidents.choices import TLP, ParticipationRole
from tests.e2e.test_journey import sign_in
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RED_NOTE = "Source inside the gang names the negotiator"


def test_invited_investigator_downloads_the_case_report_from_the_incident_page(new_page):
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(name="Office anti-cybercriminalité", short_name="OFAC", country="FR")
    de = UserFactory(username="anna.de", agency=bka)
    fr = UserFactory(username="louis.fr", agency=ofac)
    incident = make_incident(
        de,
        title="Ransomware at a Rhine port operator",
        shared_with=[(ofac, ParticipationRole.CONTRIBUTOR)],
    )
    actions.add_timeline_entry(incident, de, "Terminal servers isolated.")
    actions.add_timeline_entry(incident, de, RED_NOTE, tlp=TLP.RED)

    page = new_page()
    sign_in(page, fr)
    page.goto(f"/incidents/{incident.reference}/")
    card = page.locator("#case-report")
    expect(card).to_contain_text("Case report")
    with page.expect_download() as info:
        card.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == f"{incident.reference}-case-report.pdf"
    pages = PdfReader(download.path()).pages
    text = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert "Terminal servers isolated." in text
    assert RED_NOTE not in text
    assert "TLP:AMBER" in text and f"Page 1 of {len(pages)}" in text

"""Indicators across a border in a real browser: paste, correlate, ask for contact, share."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from coordination.intel import actions
from tests.e2e.test_journey import htmx_update, sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHARED_IP = "203.0.113.77"
PASTE = "\n".join(
    [
        "hxxp://invoice-portal[.]example/pay.php",  # defanged
        "203.0.113[.]77",  # defanged, also in the French case
        "198.51.100.4",
        "2001:db8::dead:beef",
        "invoice-portal.example",
        "billing@invoice-portal.example",
        "44d88612fea8a8f36de82e1278abb02f",
        "3395856ce81f2b7382dee72602f798b642f14140",
        "Invoice_2026.pdf.exe",
        "not-an-indicator at all",  # invalid
    ]
)


@pytest.fixture
def cases():
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(name="Office anti-cybercriminalité", short_name="OFAC", country="FR")
    anna = UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR)
    louis = UserFactory(username="louis.fr", agency=ofac, role=Role.INVESTIGATOR)
    german = make_incident(anna, title="Invoice fraud against a Hamburg shipyard")
    french = make_incident(louis, title="Phishing of a Lyon hospital", affected_countries=["FR"])
    actions.add_indicator(french, louis, value=SHARED_IP)
    return {"anna": anna, "louis": louis, "german": german, "french": french, "ofac": ofac}


def test_pasted_indicator_correlates_across_a_border_and_sharing_reveals_the_case(
    new_page, cases, screenshot_dir
):
    german, french = cases["german"], cases["french"]

    # Given the German investigator on her incident
    de = new_page()
    sign_in(de, cases["anna"])
    de.goto(german.get_absolute_url())
    panel = de.locator("#indicators")
    expect(panel).to_contain_text("No indicators yet")

    # When she pastes ten indicators, two defanged and one invalid
    panel.get_by_text("Paste several").click()
    panel.get_by_label("Indicators, one per line").fill(PASTE)
    panel.get_by_role("button", name="Check and add").click()

    # Then nothing is stored yet and the invalid line says why
    report = de.locator(".paste-report")
    expect(report).to_contain_text("Nothing was stored yet")
    expect(report.locator(".paste-line--refused")).to_contain_text("not a recognised indicator")
    expect(report).to_contain_text("http://invoice-portal.example/pay.php")
    snap(de, screenshot_dir, "intel-1-de-paste-report")

    # When she adds the nine valid lines
    de.get_by_role("button", name="Add the 9 valid lines, skip the refused").click()
    expect(de.locator(".paste-report")).to_contain_text("Bulk paste stored")
    expect(de.locator("#indicators .indicator-table tbody tr")).to_have_count(9)
    expect(de.locator("#indicators")).to_contain_text("203.0.113.77")
    # The French case is not hers: only a count, no reference
    expect(de.locator("#indicators")).to_contain_text("Seen in 1 other case in 1 country")
    expect(de.locator("#indicators")).not_to_contain_text(french.reference)
    snap(de, screenshot_dir, "intel-2-de-indicators")

    # Then the French investigator sees the sighting as a count on his own case
    fr = new_page()
    sign_in(fr, cases["louis"])
    fr.goto(french.get_absolute_url())
    fr_panel = fr.locator("#indicators")
    expect(fr_panel).to_contain_text("Seen in 1 other case in 1 country")
    expect(fr_panel).not_to_contain_text(german.reference)
    expect(fr_panel).not_to_contain_text("Hamburg")

    # ... and asks for contact
    fr_panel.get_by_text("Request contact…").click()
    fr_panel.get_by_role("button", name="Send contact request").click()
    expect(fr.locator("#indicators")).to_contain_text("Contact requested")
    snap(fr, screenshot_dir, "intel-3-fr-contact-requested")

    # Then the German investigator is notified, with the French agency named
    de.goto("/notifications/")
    expect(de.locator("body")).to_contain_text(
        "Office anti-cybercriminalité holds the same indicator and asks for contact"
    )
    snap(de, screenshot_dir, "intel-4-de-notification")

    # ... and shares her incident with the French agency
    de.goto(german.get_absolute_url())
    with htmx_update(de, "/agency-options/", "country=FR"):
        de.locator("#id_invite_country").select_option("FR")
    de.locator("#id_invite_agency").select_option(str(cases["ofac"].pk))
    de.get_by_role("button", name="Invite", exact=True).click()
    expect(de.locator("#participants")).to_contain_text("Office anti-cybercriminalité")

    # Then the French investigator now sees the German case as a link
    fr.goto(french.get_absolute_url())
    fr_panel = fr.locator("#indicators")
    expect(fr_panel).to_contain_text("In 1 other case you see")
    fr_panel.get_by_text("In 1 other case you see").click()
    link = fr_panel.get_by_role("link", name=re.compile(german.reference))
    expect(link).to_be_visible()
    snap(fr, screenshot_dir, "intel-5-fr-link")
    link.click()
    expect(fr.locator("h1")).to_contain_text("Invoice fraud against a Hamburg shipyard")

    # And the intel search finds the address in both cases he may now see
    fr.get_by_role("link", name="Intel", exact=True).click()
    fr.get_by_label("Value").fill("203.0.113[.]77")
    fr.get_by_role("button", name="Search").click()
    results = fr.locator("#results")
    expect(results).to_contain_text("2 indicators")
    expect(results).to_contain_text(german.reference)
    expect(results).to_contain_text(french.reference)
    snap(fr, screenshot_dir, "intel-6-fr-search")

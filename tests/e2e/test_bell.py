"""The bell in the header: a counterpart acts, the open page shows it without a reload."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from tests.e2e.test_journey import htmx_update, sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_bell_shows_a_share_by_a_counterpart_abroad_while_the_page_is_open(
    new_page, settings, screenshot_dir
):
    settings.NOTIFICATION_BELL_POLL_SECONDS = 1
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(
        name="Office anti-cybercriminalité", short_name="OFAC", country="FR", kind=AgencyKind.POLICE
    )
    anna = UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR)
    louis = UserFactory(username="louis.fr", agency=ofac, role=Role.INVESTIGATOR, language="en")
    incident = make_incident(anna, title="Phishing kit targeting two banks")

    # The French investigator has Concord open, nothing unread
    fr = new_page()
    sign_in(fr, louis)
    expect(fr.locator(".bell")).to_have_attribute("aria-label", "0 unread notifications")

    # The German investigator shares her incident with the French agency
    de = new_page()
    sign_in(de, anna)
    de.goto(incident.get_absolute_url())
    with htmx_update(de, "/agency-options/"):
        de.locator("#id_invite_country").select_option("FR")
    de.locator("#id_invite_agency").select_option(str(ofac.pk))
    de.get_by_role("button", name="Invite", exact=True).click()
    expect(de.locator("#participants")).to_contain_text("Office anti-cybercriminalité")

    # The French page's bell shows it without a reload, and leads to the incident
    expect(fr.locator(".bell__count")).to_have_text("1", timeout=15_000)
    snap(fr, screenshot_dir, "bell-1-unread")
    fr.locator(".bell").click()
    expect(fr.locator("main")).to_contain_text(incident.reference)
    snap(fr, screenshot_dir, "bell-2-inbox")
    fr.get_by_role("button", name=re.compile(re.escape(incident.reference))).first.click()
    expect(fr.locator("h1")).to_contain_text("Phishing kit targeting two banks")
    fr.goto("/")
    expect(fr.locator(".bell")).to_have_attribute("aria-label", "0 unread notifications")

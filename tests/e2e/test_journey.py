"""The spine's journey in a real browser: file, log, share across a border, and no leak."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from tests.factories import TEST_PASSWORD, AgencyFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu__agency")).to_contain_text(user.agency.short_name)


@contextmanager
def htmx_update(page, *url_parts):
    """Wait for the partial update the block's action triggers, and for htmx to settle:
    the swapped-in controls only listen for changes once it has."""
    with page.expect_response(lambda r: all(part in r.url for part in url_parts)):
        yield
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def snap(page, screenshot_dir, name):
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/{name}.png", full_page=True)


@pytest.fixture
def people():
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(
        name="Office anti-cybercriminalité", short_name="OFAC", country="FR", kind=AgencyKind.POLICE
    )
    ccn = AgencyFactory(name="CCN-CERT", short_name="CCN", country="ES", kind=AgencyKind.CERT)
    return {
        "de": UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR),
        "fr": UserFactory(username="louis.fr", agency=ofac, role=Role.INVESTIGATOR),
        "es": UserFactory(username="lucia.es", agency=ccn, role=Role.INVESTIGATOR),
        "ofac": ofac,
    }


def test_incident_filed_in_germany_is_shared_with_france_and_hidden_from_spain(
    new_page, people, screenshot_dir
):
    # Given an investigator of the German unit, signed in
    de = new_page()
    sign_in(de, people["de"])

    # When she files an incident
    de.get_by_role("link", name=re.compile("File an incident|New incident")).first.click()
    de.get_by_label("Title").fill("Ransomware at a Rhine port operator")
    de.get_by_label("Summary").fill("Terminal systems encrypted overnight; ransom note in German.")
    de.get_by_role("button", name="File incident").click()
    expect(de.locator("h1")).to_contain_text("Ransomware at a Rhine port operator")
    reference = re.search(r"CC-\d{4}-\d{6}", de.content()).group(0)
    detail_url = f"/incidents/{reference}/"

    # ... adds a timeline entry
    de.get_by_text("Add an entry").click()
    de.locator("textarea[name=body]").fill("Ransom wallet **bc1q-port-42** seen in the note.")
    de.get_by_role("button", name="Add to timeline").click()
    expect(de.locator("#timeline")).to_contain_text("bc1q-port-42")

    # ... and invites the French agency (the country menu narrows the agency menu)
    with htmx_update(de, "/agency-options/", "country=FR"):
        de.locator("#id_invite_country").select_option("FR")
    expect(de.locator("#id_invite_agency option", has_text="CCN")).to_have_count(0)
    de.locator("#id_invite_agency").select_option(str(people["ofac"].pk))
    de.get_by_role("button", name="Invite", exact=True).click()
    expect(de.locator("body")).to_contain_text("Office anti-cybercriminalité")
    snap(de, screenshot_dir, "journey-1-de-detail")

    # Then the French investigator finds it in her list and reads the timeline
    fr = new_page()
    sign_in(fr, people["fr"])
    fr.goto("/incidents/")
    fr.get_by_role("link", name=reference).click()
    expect(fr.locator("h1")).to_contain_text("Ransomware at a Rhine port operator")
    expect(fr.locator("#timeline")).to_contain_text("bc1q-port-42")
    snap(fr, screenshot_dir, "journey-2-fr-detail")

    # And the Spanish investigator finds it neither by list, nor by search, nor by URL
    es = new_page()
    sign_in(es, people["es"])
    es.goto("/incidents/")
    expect(es.locator("body")).not_to_contain_text(reference)
    es.goto(f"/incidents/?q={reference}")
    expect(es.locator("#results")).not_to_contain_text(reference)
    es.goto("/incidents/?q=Rhine")
    expect(es.locator("#results")).not_to_contain_text("Rhine")
    response = es.goto(detail_url)
    assert response.status == 404
    expect(es.locator("body")).not_to_contain_text("Rhine")
    snap(es, screenshot_dir, "journey-3-es-not-found")

"""Keyboard only: file an incident, add entries, invite an agency, approve a request; after each
partial update, focus is on the new content or on the first error, never dropped to the page.

Controls are reached with focus() (what Tab does) and worked with keys; nothing is clicked.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from incidents import actions
from incidents.models import Incident
from tests.factories import TEST_PASSWORD, AgencyFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def press(page, selector_or_locator, key="Enter"):
    target = (
        page.locator(selector_or_locator)
        if isinstance(selector_or_locator, str)
        else selector_or_locator
    )
    target.focus()
    page.keyboard.press(key)


def focused(page):
    return page.locator("*:focus")


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").focus()
    page.keyboard.type(user.username)
    page.locator("#id_password").focus()
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".usermenu")).to_be_attached()


def focus_not_on_body(page):
    assert page.evaluate("() => document.activeElement && document.activeElement !== document.body")


@pytest.fixture
def cast():
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(
        name="Office anti-cybercriminalité", short_name="OFAC", country="FR", kind=AgencyKind.POLICE
    )
    return {
        "bka": bka,
        "ofac": ofac,
        "anna": UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR),
    }


def test_keyboard_user_files_an_incident_and_focus_follows_each_partial_update(
    new_page, cast, settings
):
    settings.NOTIFICATION_BELL_POLL_SECONDS = 1
    page = new_page()
    sign_in(page, cast["anna"])

    # The user menu closes on Escape and gives focus back to its button
    press(page, ".usermenu summary")
    expect(page.locator(".usermenu")).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(page.locator(".usermenu")).not_to_have_attribute("open", "")
    expect(page.locator(".usermenu summary")).to_be_focused()
    # ... and closes when focus moves on
    page.keyboard.press("Enter")
    page.locator(".usermenu__panel a").last.focus()
    page.locator("a.brand").focus()
    expect(page.locator(".usermenu")).not_to_have_attribute("open", "")

    # The bell refreshes its count in place: focus held on it stays there
    page.locator(".bell").focus()
    with page.expect_response(lambda r: "/notifications/bell/" in r.url):
        pass
    with page.expect_response(lambda r: "/notifications/bell/" in r.url):
        pass
    expect(page.locator(".bell")).to_be_focused()

    # File an incident (the title field has focus when the form opens)
    page.goto("/incidents/new/")
    expect(page.locator("#id_title")).to_be_focused()
    page.keyboard.type("Ransomware at a Rhine port operator")
    page.locator("#id_summary").focus()
    page.keyboard.type("Terminal systems encrypted overnight.")
    press(page, page.get_by_role("button", name="File incident"))
    expect(page.locator("h1")).to_contain_text("Ransomware at a Rhine port operator")
    reference = re.search(r"CC-\d{4}-\d{6}", page.url).group(0)

    # Add an indicator with an error: focus lands on the field in error
    expect(page.locator("#add-indicator")).to_be_attached()
    press(page, "#add-indicator summary")
    page.locator("#id_one-value").focus()
    page.keyboard.type("not an indicator at all")
    press(page, page.get_by_role("button", name="Add indicator"))
    expect(focused(page)).to_have_attribute("aria-invalid", "true")
    # ... then corrected: focus lands on the confirmation, announced in the live region
    page.keyboard.press("Control+A")
    page.keyboard.type("203.0.113.7")
    press(page, page.get_by_role("button", name="Add indicator"))
    expect(page.locator("#indicators")).to_contain_text("203.0.113.7")
    expect(page.locator("#indicators .messages")).to_be_focused()
    expect(page.locator("#live-status")).not_to_be_empty()

    # Many entries: "Load older entries" puts focus on the first older one
    incident = Incident.objects.get(reference=reference)
    for number in range(25):
        actions.add_timeline_entry(incident, cast["anna"], f"Log line {number} reviewed.")
    page.reload()
    press(page, page.get_by_role("link", name="Load older entries"))
    expect(focused(page)).to_have_class(re.compile("timeline__item"))
    focus_not_on_body(page)

    # Invite an agency without choosing one: the page opens on the error, focused
    page.locator("#id_invite_country").focus()
    press(page, page.get_by_role("button", name="Invite", exact=True))
    expect(focused(page)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").first).to_be_visible()

    # Sorting the incident list keeps focus on the sorted column's header
    page.goto("/incidents/")
    press(page, "#results th a[href*='sort=title']")
    expect(page.locator("#results th[aria-sort] a")).to_be_focused()
    expect(page.locator("#results th[aria-sort]")).to_contain_text("Title")


def test_keyboard_user_adds_a_data_row_and_filters_without_reloading_on_each_arrow(new_page, cast):
    page = new_page()
    sign_in(page, cast["anna"])

    # "Add a row" on the request form: focus lands in the new row
    page.goto("/requests/new/")
    rows = page.locator("#data-sought tbody tr")
    before = rows.count()
    press(page, page.get_by_role("button", name="Add a row"))
    expect(rows).to_have_count(before + 1)
    expect(page.locator("#data-sought tbody tr:last-child select")).to_be_focused()

    # Arrow keys in a filter menu do not reload the results; leaving the menu does
    page.goto("/incidents/")
    requests_made = []
    page.on("request", lambda r: requests_made.append(r.url) if "/incidents/?" in r.url else None)
    page.locator("#id_tlp").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(600)
    assert requests_made == []
    with page.expect_response(lambda r: "/incidents/?" in r.url):
        page.keyboard.press("Tab")
    assert len(requests_made) == 1


def test_keyboard_liaison_officer_approves_a_request(new_page):
    from io import StringIO

    from django.core.management import call_command

    from coordination.assistance.models import AssistanceRequest

    # Given the demo's European Production Order waiting for judicial validation
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    pending = AssistanceRequest.objects.get(status="pending_approval")
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/accounts/login/")
    page.locator("#id_username").focus()
    page.keyboard.type("de-judge")
    page.locator("#id_password").focus()
    page.keyboard.type("concord-demo")
    page.keyboard.press("Enter")
    expect(page.locator(".usermenu")).to_be_attached()
    page.goto(f"/requests/{pending.reference}/")

    # When the judge opens "Validate and send" with the keyboard and submits it
    action = page.locator("#actions details.request-action").filter(
        has=page.locator("summary[data-action=approve]")
    )
    press(page, action.locator("summary"))
    expect(action).to_have_attribute("open", "")
    press(page, action.locator("[type=submit]"))

    # Then the request has left the approval step, and the page says so
    expect(page.locator(".messages")).to_be_visible()
    pending.refresh_from_db()
    assert pending.status != "pending_approval"

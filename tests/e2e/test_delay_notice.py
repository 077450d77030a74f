"""A late request in a real browser: the requested side sees it escalated and sends a delay
notice; the requesting side reads it on the request and hears of it through the bell."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from coordination.assistance import actions, escalation
from coordination.assistance.choices import LegalBasis, Measure
from coordination.assistance.transitions import transition_request
from tests.e2e.test_journey import sign_in, snap
from tests.factories import AgencyFactory, UserFactory

OVERDUE = re.compile("overdue", re.IGNORECASE)
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_requested_side_announces_a_delay_on_an_overdue_request(new_page, settings, screenshot_dir):
    settings.NOTIFICATION_BELL_POLL_SECONDS = 1
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    htc = AgencyFactory(
        name="Team High Tech Crime", short_name="NL-HTC", country="NL", kind=AgencyKind.POLICE
    )
    anna = UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR)
    dirk = UserFactory(username="dirk.de", agency=bka, role=Role.LIAISON_OFFICER)
    noor = UserFactory(username="noor.nl", agency=htc, role=Role.LIAISON_OFFICER)

    # A police-to-police request sent three days ago and never answered (due within 24 h)
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        req = actions.create_request(
            anna,
            legal_basis=LegalBasis.POLICE,
            measures=[Measure.SUBSCRIBER],
            requested_country="NL",
            receiving_agency=htc,
            facts="Phishing kit hosted in Amsterdam.",
            offences="Computer fraud.",
            dual_criminality="Fraud is an offence in both countries.",
            data_sought=[{"kind": "domain", "value": "login-bank.example"}],
        )
        transition_request(req, "submit", anna)
        transition_request(req, "approve", dirk)
    assert len(escalation.sweep()) >= 2  # reminder, overdue (maybe long overdue)

    # The Dutch liaison officer sees it escalated on the desk and on the request
    nl = new_page()
    sign_in(nl, noor)
    nl.goto("/requests/desk/")
    badge = nl.locator(f"tr:has-text('{req.reference}') .badge[class*=escalation]")
    expect(badge).to_contain_text(OVERDUE)
    nl.goto(req.get_absolute_url())
    panel = nl.locator("#escalation")
    expect(panel).to_contain_text(OVERDUE)
    snap(nl, screenshot_dir, "delay-1-escalated")

    # ... opens the prepared delay notice, gives the reasons and sends it
    panel.get_by_role("link", name="Announce a delay…").click()
    reasons = nl.get_by_label("Reasons for the delay")
    expect(reasons).to_contain_text(req.reference)
    reasons.fill("The hosting provider asks for a court order before disclosing the subscriber.")
    nl.once("dialog", lambda dialog: dialog.accept())
    nl.get_by_role("button", name="Send the delay notice").click()
    expect(nl.locator("body")).to_contain_text("Delay notice sent")
    expect(nl.locator("#escalation")).to_contain_text("court order")
    snap(nl, screenshot_dir, "delay-2-sent")

    # The German liaison officer hears of it and reads it on the request
    de = new_page()
    sign_in(de, dirk)
    expect(de.locator(".bell__count")).not_to_have_count(0)
    de.goto(req.get_absolute_url())
    expect(de.locator("#escalation")).to_contain_text("court order")
    expect(de.locator("#escalation")).not_to_contain_text("Announce a delay")
    snap(de, screenshot_dir, "delay-3-requesting-side")

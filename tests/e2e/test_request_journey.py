"""A cross-border request in a real browser: an EIO from Germany to the Netherlands.

Drafted from an incident by a German police investigator, validated by a German prosecutor
(Directive 2014/41/EU Art. 2(c)(ii): the police unit's liaison officer cannot send it, nor
approve a request he drafted himself), who confirms sending it to a Dutch police unit,
acknowledged, accepted and questioned by the Dutch liaison officer, answered in Germany and
fulfilled. Each due date on screen is checked against the law: Regulation 1182/71 days in
the executing authority's zone and holidays.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from coordination.assistance import actions
from coordination.assistance.choices import LegalBasis, Measure
from coordination.assistance.models import AssistanceRequest
from coordination.assistance.transitions import transition_request
from tests.e2e.law import dutch_days_due
from tests.e2e.test_journey import htmx_update, sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(cross_border_cast):
    zit = AgencyFactory(
        name="Generalstaatsanwaltschaft Frankfurt am Main – ZIT",
        short_name="GStA-ZIT",
        country="DE",
        kind=AgencyKind.PROSECUTOR,
    )
    return {
        "petra": UserFactory(username="petra.de", agency=zit, role=Role.LIAISON_OFFICER),
        **cross_border_cast,
    }


def expect_due(page, req, kind, days, clock):
    """The page shows the deadline ``kind`` due ``days`` after ``clock`` as the law counts
    them, in the executing authority's time zone."""
    req.refresh_from_db()
    due = dutch_days_due(getattr(req, clock), days)
    row = req.clocks.get(kind=kind)
    assert row.due_at == due
    entry = page.locator(f'.deadline[data-kind="{kind}"]')
    expect(entry.locator(".deadline__due")).to_contain_text(due.strftime("%Y-%m-%d 23:59"))
    expect(entry.locator(".deadline__due time").first).to_have_attribute(
        "title", "Europe/Amsterdam"
    )
    expect(entry).to_contain_text("2014/41/EU")
    return due


ACTIONS = {
    "Submit for approval": "submit",
    "Approve and send": "approve",
    "Validate and send": "approve",
    "Acknowledge receipt": "acknowledge",
    "Accept (recognise)": "accept",
    "Ask for information": "ask_information",
    "Answer the questions": "answer",
    "Fulfil": "fulfil",
    "Close": "close",
}


def act(page, label, comment=None, confirm_addressee=False):
    """Open an action's form, fill the comment if asked, confirm and submit."""
    page.once("dialog", lambda dialog: dialog.accept())
    trigger = page.locator(f'#actions [data-action="{ACTIONS[label]}"]')
    if trigger.evaluate("el => el.tagName") == "SUMMARY":
        trigger.click()
        form = trigger.locator("xpath=..").locator("form")
        if comment is not None:
            form.locator("textarea[name=comment]").fill(comment)
        if confirm_addressee:
            form.get_by_label("I confirm sending this EIO to a police authority").check()
        form.get_by_role("button", name=label, exact=True).click()
    else:
        trigger.click()
    expect(page.locator(".message--success")).to_contain_text(label)


def test_eio_request_from_germany_to_the_netherlands(new_page, people, screenshot_dir):
    anna, dirk, noor = people["anna"], people["dirk"], people["noor"]
    incident = make_incident(anna, affected_countries=["DE", "NL"])

    # The German investigator drafts an EIO from the incident page.
    de = new_page()
    sign_in(de, anna)
    de.goto(incident.get_absolute_url())
    de.locator("#requests").get_by_role("link", name="Request assistance").click()
    expect(de.locator("h1")).to_contain_text("Request assistance")
    expect(de.locator("#id_facts")).to_have_value(re.compile("Encrypted file servers"))
    with htmx_update(de, "/requests/new/adapt/"):
        de.locator("#id_legal_basis").select_option("eio")
    expect(de.locator("#rules-heading + ul")).to_contain_text("Directive 2014/41/EU Art. 12(3)")
    with htmx_update(de, "/requests/new/adapt/"):
        de.locator("#id_receiving_agency").select_option(str(people["htc"].pk))
    # A police unit is not an executing judicial authority: the form says so beside it.
    expect(de.locator("#addressee-warning")).to_contain_text("not an executing judicial")
    expect(de.locator("#validation-hint")).to_contain_text("Directive 2014/41/EU Art. 2(c)(ii)")
    with htmx_update(de, "/requests/new/adapt/"):
        de.get_by_label("Subscriber information").check()
    de.locator("#id_offences").fill("§ 303b StGB (computer sabotage), § 253 StGB (extortion).")
    de.locator("#id_dual_criminality").fill("Art. 138b and 317 Sr criminalise the same conduct.")
    de.locator("#id_data-0-kind").select_option("ip_time")
    de.locator("#id_data-0-value").fill("203.0.113.7")
    de.locator("#id_data-0-observed_at").fill("2026-02-28T00:14")
    de.locator("#id_data-0-provider").fill("Example Hosting B.V.")
    snap(de, screenshot_dir, "request-1-draft-form")
    de.get_by_role("button", name="Save as draft").click()
    expect(de.locator("#request-status")).to_have_text("Draft")
    reference = re.search(r"MLA-\d{4}-\d{4}", de.locator("h1").inner_text()).group(0)
    req = AssistanceRequest.objects.get(reference=reference)
    assert req.incident == incident
    act(de, "Submit for approval")
    expect(de.locator("#request-status")).to_have_text("Pending approval")
    expect(de.locator("#actions")).not_to_contain_text("Approve")

    # A German liaison officer cannot approve a request he drafted himself ...
    own = actions.create_request(
        dirk,
        data_sought=[{"kind": "domain", "value": "leak.example", "provider": "Registrar"}],
        legal_basis=LegalBasis.POLICE,
        measures=[Measure.SUBSCRIBER],
        requested_country="NL",
        receiving_agency=people["htc"],
        facts="Leak site hosted in the Netherlands.",
    )
    transition_request(own, "submit", dirk)
    liaison = new_page()
    sign_in(liaison, dirk)
    liaison.goto(own.get_absolute_url())
    expect(liaison.locator("#actions")).not_to_contain_text("Approve")

    # ... nor send the police unit's EIO: a prosecutor must validate it.
    liaison.goto(req.get_absolute_url())
    expect(liaison.locator("#validation")).to_contain_text("Awaiting validation by")
    expect(liaison.locator("#actions")).not_to_contain_text("Validate")
    expect(liaison.locator("#actions")).not_to_contain_text("Approve")

    # The prosecutor finds it on her desk, sees the warning and validates it.
    petra = people["petra"]
    prosecutor = new_page()
    sign_in(prosecutor, petra)
    prosecutor.goto("/requests/desk/")
    expect(prosecutor.locator("#desk-table")).to_contain_text(reference)
    prosecutor.get_by_role("link", name=reference).click()
    expect(prosecutor.locator("#addressee-warning")).to_be_visible()
    expect(prosecutor.locator("body")).not_to_contain_text(incident.reference)
    act(prosecutor, "Validate and send", confirm_addressee=True)
    expect(prosecutor.locator("#request-status")).to_have_text("Sent")
    expect(prosecutor.locator("#validation")).to_contain_text(
        f"Validated by {petra.display_name} (Generalstaatsanwaltschaft Frankfurt am Main – ZIT)"
    )
    expect_due(prosecutor, req, "acknowledge", 7, "sent_at")
    snap(prosecutor, screenshot_dir, "request-2-sent")

    # The Dutch liaison officer acknowledges, accepts and asks a question.
    nl = new_page()
    sign_in(nl, noor)
    nl.goto("/requests/desk/")
    expect(nl.locator("#desk-table")).to_contain_text(reference)
    nl.get_by_role("link", name=reference).click()
    expect(nl.locator("body")).not_to_contain_text("Encrypted file servers on the incident")
    act(nl, "Acknowledge receipt")
    expect(nl.locator("#request-status")).to_have_text("Received")
    expect_due(nl, req, "decide", 30, "received_at")
    # The acknowledgement of receipt is the Directive's Annex B form.
    nl.get_by_role("link", name="Acknowledgement of receipt (Annex B)").click()
    expect(nl.locator("h1")).to_contain_text("Acknowledgement of receipt")
    expect(nl.locator("body")).to_contain_text("Team High Tech Crime")
    expect(nl.locator("body")).to_contain_text("All times: Europe/Berlin")  # the issuer's
    snap(nl, screenshot_dir, "request-2b-annex-b")
    nl.go_back()
    act(nl, "Accept (recognise)")
    expect(nl.locator("#request-status")).to_have_text("In execution")
    execute_due = expect_due(nl, req, "execute", 90, "accepted_at")
    act(nl, "Ask for information", "In which time zone are the log times given?")
    expect(nl.locator("#request-status")).to_have_text("Awaiting information")
    # Directive 2014/41/EU has no suspension: the 90 days keep running.
    expect_due(nl, req, "execute", 90, "accepted_at")
    expect(nl.locator('.deadline[data-kind="execute"]')).to_contain_text(
        "Keeps running during questions"
    )
    snap(nl, screenshot_dir, "request-3-questions")
    # The incident itself stays out of the Dutch officer's sight.
    assert nl.goto(incident.get_absolute_url()).status == 404

    # Germany answers; the execution clock restarts from the answer.
    de.goto(req.get_absolute_url())
    expect(de.locator("#history")).to_contain_text("In which time zone")
    act(de, "Answer the questions", "All times are UTC.")
    expect(de.locator("#request-status")).to_have_text("In execution")
    # The answer does not restart the clock: still 90 days from recognition.
    assert expect_due(de, req, "execute", 90, "accepted_at") == execute_due
    req.refresh_from_db()
    assert req.due_clock_started_at == req.accepted_at

    # The Netherlands fulfils the request.
    nl.goto(req.get_absolute_url())
    act(nl, "Fulfil", "Subscriber data sent through the secure channel.")
    expect(nl.locator("#request-status")).to_have_text("Fulfilled")
    expect(nl.locator(".deadline-panel")).to_contain_text("No clock is running")
    snap(nl, screenshot_dir, "request-4-fulfilled")

    # The incident's timeline tells the German side every step.
    de.goto(incident.get_absolute_url())
    expect(de.locator("#timeline")).to_contain_text(f"Request {reference}")
    expect(de.locator("#requests")).to_contain_text(reference)
    snap(de, screenshot_dir, "request-5-incident")
    de.goto(f"/requests/{reference}/print/")
    expect(de.locator("h1")).to_contain_text("European Investigation Order")
    snap(de, screenshot_dir, "request-6-print")

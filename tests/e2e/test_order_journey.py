"""A European Production Order in a real browser: drafted by a German police investigator,
validated by a German investigating judge (traffic data: Regulation (EU) 2023/1543 Art.
4(2)), addressed to a service provider's legal representative in the Netherlands, notified
to the Dutch enforcing authority (Art. 7 and 8), which confirms it raises no ground for
refusal within its 10 days (Art. 12); the German side records the provider's receipt, from
which its 10 days run (Art. 10), and the data received. Each due date on screen is checked
against the law: Regulation 1182/71 days in the acting party's zone and holidays."""

import re

import pytest
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from coordination.assistance.choices import ProviderRole, Status
from coordination.assistance.models import AssistanceRequest, ProviderEstablishment, ServiceProvider
from tests.e2e.law import dutch_days_due
from tests.e2e.test_journey import htmx_update, sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(cross_border_cast):
    cloud = ServiceProvider.objects.create(name="Example Cloud Ltd")
    representative = ProviderEstablishment.objects.create(
        provider=cloud,
        role=ProviderRole.LEGAL_REPRESENTATIVE,
        country="NL",
        name="Example Cloud Legal Representative B.V.",
        email="lawful-requests@cloud.example",
        timezone="Europe/Amsterdam",
    )
    court = AgencyFactory(
        name="Amtsgericht Wiesbaden", short_name="AG-WI", country="DE", kind=AgencyKind.COURT
    )
    return {
        "judge": UserFactory(username="jakob.de", agency=court, role=Role.LIAISON_OFFICER),
        "representative": representative,
        **cross_border_cast,
    }


def expect_due(page, req, kind, start, days):
    due = dutch_days_due(start, days)
    assert req.clocks.get(kind=kind).due_at == due
    entry = page.locator(f'.deadline[data-kind="{kind}"]')
    expect(entry.locator(".deadline__due")).to_contain_text(due.strftime("%Y-%m-%d 23:59"))
    expect(entry).to_contain_text("2023/1543")


def act(page, action, label, *, comment=None, fields=None):
    """Open an action's form, fill what it asks for, confirm and submit."""
    page.once("dialog", lambda dialog: dialog.accept())
    trigger = page.locator(f'#actions [data-action="{action}"]')
    trigger.click()
    form = trigger.locator("xpath=..").locator("form")
    for name, value in (fields or {}).items():
        form.locator(f"[name={name}]").fill(value)
    if comment is not None:
        form.locator("textarea[name=comment]").fill(comment)
    form.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".message--success")).to_contain_text(label)


def test_production_order_to_a_provider_with_notification(new_page, people, screenshot_dir):
    anna, dirk, noor = people["anna"], people["dirk"], people["noor"]
    incident = make_incident(anna, affected_countries=["DE", "NL"])

    # The investigator drafts the order: addressee from the register, traffic data.
    de = new_page()
    sign_in(de, anna)
    de.goto(f"/requests/new/?incident={incident.reference}")
    with htmx_update(de, "/requests/new/adapt/"):
        de.locator("#id_legal_basis").select_option("epoc")
    expect(de.locator("#id_receiving_agency")).to_have_count(0)
    with htmx_update(de, "/requests/new/adapt/"):
        de.locator("#id_provider_addressee").select_option(str(people["representative"].pk))
    with htmx_update(de, "/requests/new/adapt/"):
        de.get_by_label("Traffic data").check()
    expect(de.locator("#notification-need")).to_contain_text("must be notified")
    de.locator("#id_enforcing_agency").select_option(str(people["htc"].pk))
    de.locator("#id_offences").fill("§ 303b StGB (computer sabotage).")
    de.locator("#id_data-0-kind").select_option("ip_time")
    de.locator("#id_data-0-value").fill("203.0.113.7")
    de.locator("#id_data-0-observed_at").fill("2026-02-28T00:14")
    de.locator("#id_data-0-provider").fill("Example Cloud Ltd")
    snap(de, screenshot_dir, "order-1-draft-form")
    de.get_by_role("button", name="Save as draft").click()
    expect(de.locator("#request-status")).to_have_text("Draft")
    reference = re.search(r"MLA-\d{4}-\d{4}", de.locator("h1").inner_text()).group(0)
    req = AssistanceRequest.objects.get(reference=reference)
    assert str(req.requested_country) == "NL" and req.receiving_agency is None
    de.locator('#actions [data-action="submit"]').click()
    expect(de.locator("#request-status")).to_have_text("Pending approval")

    # The police liaison officer may not send it: traffic data need a court's validation.
    liaison = new_page()
    sign_in(liaison, dirk)
    liaison.goto(req.get_absolute_url())
    expect(liaison.locator('#actions [data-action="approve"]')).to_have_count(0)
    expect(liaison.locator("#validation")).to_contain_text("Art. 4(2)")

    # The investigating judge validates and sends it, with the channel's identifier.
    judge = new_page()
    sign_in(judge, people["judge"])
    judge.goto("/requests/desk/")
    expect(judge.locator("#desk-table")).to_contain_text(reference)
    judge.get_by_role("link", name=reference).click()
    act(judge, "approve", "Validate and send", fields={"transmission_id": "EU-IT-2026-7"})
    expect(judge.locator("#request-status")).to_have_text("Sent")
    expect(judge.locator("#order-notification")).to_contain_text("Team High Tech Crime notified")
    expect(judge.locator("#order-transmission")).to_have_text("EU-IT-2026-7")
    req.refresh_from_db()
    assert req.validated_by == people["judge"]
    # The enforcing authority's 10 days run from the notification, in its days.
    expect_due(judge, req, "enforcing_review", req.enforcing_notified_at, 10)
    liaison.goto(req.get_absolute_url())
    expect(liaison.locator('.deadline[data-kind="produce"]')).to_contain_text("not started")

    # The Dutch enforcing authority finds it on its desk and raises no ground for refusal.
    nl = new_page()
    sign_in(nl, noor)
    nl.goto("/requests/desk/")
    expect(nl.locator("#desk-table")).to_contain_text(reference)
    nl.get_by_role("link", name=reference).click()
    expect(nl.locator("#order-enforcing-decision")).to_contain_text("Art. 12(1)")
    expect(nl.locator('#actions [data-action="acknowledge"]')).to_have_count(0)
    snap(nl, screenshot_dir, "order-2-enforcing-authority")
    act(nl, "confirm_no_grounds", "Confirm no ground for refusal", comment="")
    expect(nl.locator("#order-enforcing-decision")).to_contain_text("No ground for refusal")
    assert nl.goto(incident.get_absolute_url()).status == 404

    # The German side records the provider's receipt and the data received.
    liaison.goto(req.get_absolute_url())
    act(liaison, "record_receipt", "Record the provider's receipt")
    expect(liaison.locator("#request-status")).to_have_text("Received")
    req.refresh_from_db()
    expect_due(liaison, req, "produce", req.received_at, 10)
    expect(liaison.locator('.deadline[data-kind="enforcing_review"]')).to_contain_text("done")
    act(liaison, "record_data", "Record the data received", comment="Received by secure mail.")
    expect(liaison.locator("#request-status")).to_have_text("Fulfilled")
    expect(liaison.locator("#order-outcome")).to_contain_text("Data received")
    snap(liaison, screenshot_dir, "order-3-data-received")
    req.refresh_from_db()
    assert req.status == Status.FULFILLED and req.enforcing_decision == "no_grounds"

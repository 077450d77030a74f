"""A case and a request worked across two national nodes in the browser: each node its own
database, web server and worker. The French investigator files and shares a case on fr-node,
the German one works in the replica on de-node, and what each writes appears on the other's
pages; then a request for assistance goes from fr-node to the German unit, whose liaison
officer takes the requested side's steps on de-node while the French side sees them, with
the same deadline, and closes it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journey import htmx_update
from tests.e2e.test_request_journey import act
from tests.federation.live import add_peers, live_nodes, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.federation, pytest.mark.postgres]

SPECS = [
    ("fr-node", "Office anti-cybercriminalité", "OFAC", "FR"),
    ("de-node", "Bundeskriminalamt Cybercrime", "BKA-CC", "DE"),
]
PASSWORD = "concord-e2e-password"
PEOPLE = (
    "from accounts.models import Agency, User\n"
    "agency = Agency.objects.get(short_name={short!r}, node__isnull=True)\n"
    "for username, role in {people!r}:\n"
    "    User.objects.create_user(username, password={password!r}, agency=agency, role=role,\n"
    "                             first_name=username.title(), email=username + '@example.org')\n"
)


@pytest.fixture
def two_nodes(tmp_path, worker_id):
    with live_nodes(
        tmp_path, f"{worker_id}_journey", SPECS, what="The federation journey"
    ) as nodes:
        fr, de = nodes
        add_peers(fr, de)
        for node in nodes:
            wait_for(
                lambda node=node: node.query(
                    "SELECT count(*) FROM accounts_agency WHERE node_id IS NOT NULL"
                )[0][0],
                what=f"the other node's directory on {node.name}",
            )
        fr.manage("shell", "-c", PEOPLE.format(
            short="OFAC", password=PASSWORD,
            people=[("camille", "investigator"), ("hugo", "liaison_officer")],
        ))  # fmt: skip
        de.manage("shell", "-c", PEOPLE.format(
            short="BKA-CC", password=PASSWORD,
            people=[("lena", "investigator"), ("jonas", "liaison_officer")],
        ))  # fmt: skip
        yield fr, de


@pytest.fixture
def open_page(browser):
    contexts = []

    def _open(node, username):
        context = browser.new_context(
            base_url=node.base_url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".usermenu__agency")).to_be_visible()
        return page

    yield _open
    for context in contexts:
        context.close()


def reload_until(page, locator, text, what):
    """Reload until ``text`` shows: what another node writes arrives by its worker."""

    def shown():
        page.reload()
        return text in (locator.text_content() or "")

    wait_for(shown, limit=90, what=what)


def snap(page, screenshot_dir, name):
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/{name}.png", full_page=True)


def test_a_case_and_a_request_are_worked_across_two_nodes_in_the_browser(
    two_nodes, open_page, screenshot_dir
):
    fr_node, de_node = two_nodes

    # Given the French investigator files a case on fr-node and writes in it
    fr = open_page(fr_node, "camille")
    fr.get_by_role("link", name=re.compile("File an incident|New incident")).first.click()
    fr.get_by_label("Title").fill("Botnet command servers in Frankfurt")
    fr.get_by_label("Summary").fill("Bots in French hospitals reach servers hosted in Germany.")
    fr.get_by_role("button", name="File incident").click()
    expect(fr.locator("h1")).to_contain_text("Botnet command servers in Frankfurt")
    fr.wait_for_load_state()
    case_url = fr.url
    fr.get_by_text("Add an entry").click()
    fr.locator("textarea[name=body]").fill("Sinkhole data: **4,200 bots** in France.")
    fr.get_by_role("button", name="Add to timeline").click()
    expect(fr.locator("#timeline")).to_contain_text("4,200 bots")

    # When she invites the German unit, an agency of de-node, marked as remote
    with htmx_update(fr, "/agency-options/", "country=DE"):
        fr.locator("#id_invite_country").select_option("DE")
    option = fr.locator("#id_invite_agency option", has_text="BKA-CC")
    expect(option).to_contain_text("de-node")
    fr.locator("#id_invite_agency").select_option(option.get_attribute("value"))
    fr.get_by_role("button", name="Invite", exact=True).click()
    expect(fr.locator("body")).to_contain_text("Bundeskriminalamt Cybercrime")
    snap(fr, screenshot_dir, "federation-1-fr-shared")

    # Then the German investigator finds the case on her own node, with the French note
    de = open_page(de_node, "lena")
    reload_until(de, de.locator("main"), "Botnet command servers", "the case on de-node")
    de.goto("/incidents/")
    de.get_by_role("link", name="Botnet command servers in Frankfurt").first.click()
    expect(de.locator("h1")).to_contain_text("Botnet command servers in Frankfurt")
    reload_until(de, de.locator("#timeline"), "4,200 bots", "the French note on de-node")
    # the case is led on fr-node: she may write in it, not decide its status
    expect(de.locator("main")).to_contain_text("fr-node")

    # When she writes in the replica
    de.get_by_text("Add an entry").click()
    de.locator("textarea[name=body]").fill("Hosting provider in Frankfurt confirms two servers.")
    de.get_by_role("button", name="Add to timeline").click()
    expect(de.locator("#timeline")).to_contain_text("confirms two servers")
    snap(de, screenshot_dir, "federation-2-de-replica")

    # Then her note appears in the French investigator's case, named with her agency
    fr.goto(case_url)
    reload_until(fr, fr.locator("#timeline"), "confirms two servers", "de-node's note on fr-node")
    expect(fr.locator("#timeline")).to_contain_text("BKA-CC")
    snap(fr, screenshot_dir, "federation-3-fr-converged")

    # When the French investigator asks the German unit for assistance from the case
    fr.goto(case_url)
    fr.locator("#requests").get_by_role("link", name="Request assistance").click()
    expect(fr.locator("h1")).to_contain_text("Request assistance")
    fr.wait_for_load_state()  # htmx binds the form's controls once the page has loaded
    with htmx_update(fr, "/requests/new/adapt/"):
        fr.locator("#id_legal_basis").select_option("police")
    receiving = fr.locator("#id_receiving_agency option", has_text="node de-node")
    with htmx_update(fr, "/requests/new/adapt/"):
        fr.locator("#id_receiving_agency").select_option(receiving.get_attribute("value"))
    with htmx_update(fr, "/requests/new/adapt/"):
        fr.get_by_label("Subscriber information").check()
    fr.locator("#id_data-0-kind").select_option("ip_time")
    fr.locator("#id_data-0-value").fill("203.0.113.80")
    fr.locator("#id_data-0-observed_at").fill("2026-11-30T03:10")
    fr.locator("#id_data-0-provider").fill("Example Hosting GmbH")
    fr.get_by_role("button", name="Save as draft").click()
    expect(fr.locator("#request-status")).to_have_text("Draft")
    reference = re.search(r"MLA-\d{4}-\d{4}", fr.locator("h1").inner_text()).group(0)
    act(fr, "Submit for approval")
    request_url = fr.url

    # ... and the French liaison officer sends it to the other node
    liaison = open_page(fr_node, "hugo")
    liaison.goto(request_url)
    act(liaison, "Approve and send")
    expect(liaison.locator("#request-status")).to_have_text("Sent")
    expect(liaison.locator("#between-nodes")).to_contain_text("de-node")

    # Then the German liaison officer finds it on his node's desk, and takes his steps there
    de_liaison = open_page(de_node, "jonas")

    def on_desk():
        de_liaison.goto("/requests/desk/")
        return reference in (de_liaison.locator("main").text_content() or "")

    wait_for(on_desk, limit=90, what="the request on de-node's desk")
    de_liaison.get_by_role("link", name=re.compile(r"MLA-\d{4}-\d{4}")).first.click()
    expect(de_liaison.locator("#between-nodes")).to_contain_text(reference)
    act(de_liaison, "Acknowledge receipt")
    act(de_liaison, "Accept (recognise)")
    expect(de_liaison.locator("#request-status")).to_have_text("In execution")
    due_on_de = de_liaison.locator('.deadline[data-kind="answer"] .deadline__due').inner_text()
    snap(de_liaison, screenshot_dir, "federation-4-de-request")

    # And the French side sees each step, with the same deadline
    liaison.goto(request_url)
    reload_until(
        liaison, liaison.locator("#request-status"), "In execution", "the steps on fr-node"
    )
    due_on_fr = liaison.locator('.deadline[data-kind="answer"] .deadline__due').inner_text()
    assert due_on_fr == due_on_de
    expect(liaison.locator("#history")).to_contain_text("Jonas")

    # When the German side fulfils it, the French side closes it
    act(de_liaison, "Fulfil", "Subscriber data sent through the 24/7 channel.")
    expect(de_liaison.locator("#request-status")).to_have_text("Fulfilled")
    reload_until(liaison, liaison.locator("#request-status"), "Fulfilled", "the fulfilment")
    act(liaison, "Close")
    expect(liaison.locator("#request-status")).to_have_text("Closed")
    reload_until(
        de_liaison, de_liaison.locator("#request-status"), "Closed", "the closing on de-node"
    )
    snap(liaison, screenshot_dir, "federation-5-fr-request-closed")

"""A case worked across two national nodes in the browser: each node its own database, web
server and worker; the French investigator files and shares on fr-node, the German one works
in the replica on de-node, and what each writes appears on the other's pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import services_required
from tests.federation.live import (
    add_peers,
    drop_databases,
    postgres_settings,
    start_nodes,
    wait_for,
)

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
    db = postgres_settings()
    if db is None:
        if services_required():
            pytest.fail("The federation journey needs PostgreSQL (DATABASE_URL) in CI.")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    prefix = f"{db['NAME']}_{worker_id}_journey"
    nodes, names = [], [f"{prefix}_node_{n}" for n in range(len(SPECS))]
    try:
        nodes, names = start_nodes(db, prefix, tmp_path, SPECS)
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
    finally:
        for node in nodes:
            node.stop()
        drop_databases(db, names)


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


def test_a_case_filed_on_one_node_is_worked_on_the_other_in_the_browser(
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
    case_url = fr.url
    fr.get_by_text("Add an entry").click()
    fr.locator("textarea[name=body]").fill("Sinkhole data: **4,200 bots** in France.")
    fr.get_by_role("button", name="Add to timeline").click()
    expect(fr.locator("#timeline")).to_contain_text("4,200 bots")

    # When she invites the German unit, an agency of de-node, marked as remote
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

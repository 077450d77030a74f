"""Browser tests: Playwright driving Debian's headless Chromium against a live server."""

import os
import shutil

import pytest

from tests.conftest import services_required

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make between browser steps are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if services_required():
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing.")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, tmp_path):
    """``new_page()`` opens a fresh browser context (its own cookies) on the live server."""
    contexts = []

    def _open():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir():
    path = os.environ.get("E2E_SCREENSHOTS")
    if path:
        os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture
def cross_border_cast():
    """A German police unit asking a Dutch one: the investigator, the liaison officers."""
    from accounts.choices import Role
    from tests.factories import AgencyFactory, UserFactory

    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    htc = AgencyFactory(
        name="Team High Tech Crime",
        short_name="NL-HTC",
        country="NL",
        timezone="Europe/Amsterdam",
        mailbox="htc@politie.example.nl",
    )
    return {
        "bka": bka,
        "htc": htc,
        "anna": UserFactory(username="anna.de", agency=bka, role=Role.INVESTIGATOR),
        "dirk": UserFactory(username="dirk.de", agency=bka, role=Role.LIAISON_OFFICER),
        "noor": UserFactory(
            username="noor.nl", agency=htc, role=Role.LIAISON_OFFICER, timezone="Europe/Amsterdam"
        ),
    }

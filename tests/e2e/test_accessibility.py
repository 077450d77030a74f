"""WCAG 2.1 AA in a real browser: axe-core on every main page in English and French, with the
demo data set, and page reflow at phone widths (320 CSS px is 1280 px at 400 % zoom).

A page added to Concord joins the checks by adding its address to MAIN_PAGES.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.accessibility import axe_violations, describe_violations, horizontal_overflow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "concord-demo"

# (who, address): "who" is a demo user; {names} are filled from the demo data (demo_pages).
MAIN_PAGES = [
    ("de-investigator", "/"),
    ("de-investigator", "/incidents/"),
    ("de-investigator", "/incidents/?sort=title&status=open"),
    ("de-investigator", "/incidents/new/"),
    ("de-investigator", "/incidents/{incident}/"),
    ("de-investigator", "/incidents/{incident}/edit/"),
    ("de-investigator", "/evidence/"),
    ("de-investigator", "/evidence/{evidence}/"),
    ("de-investigator", "/evidence/{evidence}/report/"),
    ("de-investigator", "/requests/"),
    ("de-investigator", "/requests/new/"),
    ("de-investigator", "/requests/{request_draft}/"),
    ("de-investigator", "/requests/{request_sent}/"),
    ("de-investigator", "/requests/{request_pending}/"),
    ("de-investigator", "/requests/desk/"),
    ("de-investigator", "/intel/"),
    ("de-investigator", "/intel/?q=203.0.113"),
    ("de-investigator", "/notifications/"),
    ("de-investigator", "/notifications/preferences/"),
    ("de-investigator", "/accounts/profile/"),
    ("de-investigator", "/accounts/directory/"),
    ("de-investigator", "/accounts/security/"),
    ("de-investigator", "/accounts/security/app/"),
    ("de-investigator", "/accessibility/"),
    ("de-investigator", "/tasks/mine/"),
    ("de-admin", "/agency/case-templates/"),
    ("de-admin", "/agency/case-templates/new/"),
    ("de-admin", "/accounts/agency/users/"),
    ("de-admin", "/accounts/agency/users/new/"),
    ("de-admin", "/accounts/agency/users/{member}/"),
    ("de-admin", "/accounts/agency/security/"),
    ("de-admin", "/notifications/failed/"),
    ("de-admin", "/audit/"),
    ("de-admin", "/requests/policy/"),
    ("de-exercise", "/exercises/"),
    ("de-exercise", "/exercises/new/"),
    ("de-exercise", "/exercises/new/?scenario=hospital-ransomware"),
    ("de-exercise", "/exercises/{exercise}/"),
    ("de-exercise", "/exercises/{exercise}/report/"),
    ("de-investigator", "/exercises/{exercise}/play/"),
    (None, "/accounts/login/"),
    (None, "/accounts/password/reset/"),
    (None, "/accessibility/"),
]

# ARIA attributes that name other elements: each id must exist (axe reports only some).
DANGLING_REFERENCES = """() => {
    const missing = [];
    for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage"]) {
        for (const el of document.querySelectorAll(`[${attr}]`)) {
            for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) missing.push(`${el.id || el.tagName} ${attr}=${id}`);
            }
        }
    }
    return missing;
}"""


@pytest.fixture
def demo_pages(django_user_model):
    from coordination.assistance.models import AssistanceRequest
    from coordination.exercises.models import Exercise
    from incidents.models import Evidence

    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    requests = AssistanceRequest.objects.filter(requesting_agency__short_name="BKA-CC")
    evidence = Evidence.objects.filter(incident__lead_agency__short_name="BKA-CC").first()
    values = {
        "incident": evidence.incident.reference,
        "evidence": evidence.reference,
        "request_draft": requests.filter(status="draft").first().reference,
        "request_pending": requests.filter(status="pending_approval").first().reference,
        "request_sent": requests.exclude(status__in=["draft", "pending_approval"])
        .first()
        .reference,
        "member": django_user_model.objects.get(username="de-investigator").pk,
        "exercise": Exercise.objects.get().pk,
    }
    return [(who, path.format(**values)) for who, path in MAIN_PAGES]


def speak(django_user_model, language):
    django_user_model.objects.filter(username__startswith="de-").update(language=language)


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator(".usermenu")).to_be_attached()


def visit_as_each_user(new_page, pages, language, viewport=None):
    """Yield (address, page) for every page, signed in as its user, once it has settled;
    a page without a user is asked for in the language (the browser's preference)."""
    signed_in = {}
    for who, path in pages:
        if who not in signed_in:
            page = new_page()
            page.set_extra_http_headers({"Accept-Language": language})
            if viewport:
                page.set_viewport_size(viewport)
            if who:
                sign_in(page, who)
            signed_in[who] = page
        page = signed_in[who]
        page.goto(path)
        page.wait_for_load_state("networkidle")
        yield path, page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_main_page_has_no_axe_violation(new_page, demo_pages, django_user_model, language):
    # Given the demo data set, its German users reading Concord in this language
    speak(django_user_model, language)
    problems = []
    # When axe-core checks each main page as it is shown to them
    for path, page in visit_as_each_user(new_page, demo_pages, language):
        expect(page.locator("html")).to_have_attribute("lang", language)
        problems += describe_violations(path, axe_violations(page))
        problems += [
            f"{path}: no element with id {ref}" for ref in page.evaluate(DANGLING_REFERENCES)
        ]
    # Then no page breaks a WCAG 2.0/2.1 A or AA rule, at any impact
    assert not problems, "\n".join(problems)


def test_forms_with_errors_name_existing_ids_and_pass_axe(new_page, demo_pages):
    # Given the new-request form and the incident form, submitted empty
    page = new_page()
    sign_in(page, "de-investigator")
    problems = []
    for path, button in (("/requests/new/", "Save as draft"), ("/incidents/new/", "File incident")):
        page.goto(path)
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state("networkidle")
        # Then the errors are tied to their fields and axe finds nothing
        expect(page.locator("[aria-invalid=true]").first).to_be_attached()
        problems += describe_violations(path, axe_violations(page))
        problems += [
            f"{path}: no element with id {ref}" for ref in page.evaluate(DANGLING_REFERENCES)
        ]
    # And the login page's error is an alert
    anonymous = new_page()
    anonymous.goto("/accounts/login/")
    anonymous.locator("#id_username").fill("de-investigator")
    anonymous.locator("#id_password").fill("not the password")
    anonymous.locator("form button[type=submit]").click()
    expect(anonymous.get_by_role("alert")).to_be_visible()
    expect(anonymous.get_by_role("alert")).to_be_focused()
    problems += describe_violations("login error", axe_violations(anonymous))
    assert not problems, "\n".join(problems)


def test_second_factor_step_has_no_axe_violation(new_page, demo_pages, django_user_model):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # Given a user with an authenticator app, after the password step
    user = django_user_model.objects.get(username="de-supervisor")
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    page = new_page()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile("/accounts/login/verify/"))
    page.wait_for_load_state("networkidle")
    # Then the verify page passes axe
    problems = describe_violations("/accounts/login/verify/", axe_violations(page))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("width", "language"), [(320, "fr"), (390, "en")])
def test_main_pages_reflow_without_sideways_scrolling(
    new_page, demo_pages, django_user_model, width, language
):
    # Given a phone-wide window (320 px: 1280 px at 400 % zoom), in this language
    speak(django_user_model, language)
    problems = []
    for path, page in visit_as_each_user(
        new_page, demo_pages, language, {"width": width, "height": 844}
    ):
        # Then nothing reaches past the right edge, unless inside a box that scrolls
        result = horizontal_overflow(page)
        if result["overflow"] > 0 or result["culprits"]:
            problems.append(f"{path}: {result['overflow']} px too wide; {result['culprits']}")
    assert not problems, "\n".join(problems)

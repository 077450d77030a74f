"""The second sign-in factor in a real browser: an authenticator app whose codes the test
computes, and a security key played by Chromium's virtual authenticator (DevTools)."""

import re
from base64 import b32decode
from pathlib import Path

import pytest
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.choices import Role
from tests.factories import TEST_PASSWORD, AgencyFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def snap(page, screenshot_dir, name):
    if screenshot_dir:
        page.screenshot(path=f"{screenshot_dir}/{name}.png", full_page=True)


def password_step(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def app_code(secret, steps_ahead=0):
    """What an authenticator app holding ``secret`` shows (``steps_ahead`` x 30 s later)."""
    return str(totp(b32decode(secret), drift=steps_ahead)).zfill(6)


def code_after(secret, device):
    """The app's code for the step after the last one the device accepted: a used step
    never verifies twice, and this one is within the tolerance whatever the clock drift
    django-otp recorded at enrolment."""
    device.refresh_from_db()
    app = TOTP(b32decode(secret), step=device.step, t0=device.t0, digits=device.digits)
    app.time = device.t0 + (device.last_t + 1) * device.step
    return str(app.token()).zfill(6)


@pytest.fixture
def officer():
    agency = AgencyFactory(name="Politie Team High Tech Crime", short_name="THTC", country="NL")
    return UserFactory(username="noor.nl", agency=agency, role=Role.INVESTIGATOR)


def test_required_authenticator_app_is_enrolled_then_asked_at_sign_in(
    new_page, officer, settings, screenshot_dir
):
    # Given a platform that requires a second factor, and an officer who has none
    settings.MFA_REQUIRED = True
    page = new_page()

    # When she signs in with her password, she is sent to add one, and nothing else opens
    password_step(page, officer)
    expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Add a second factor to continue.")
    page.goto("/incidents/")
    expect(page).to_have_url(re.compile(r"/accounts/security/\?next=%2Fincidents%2F$"))
    snap(page, screenshot_dir, "mfa-1-must-enrol")

    # ... she adds an authenticator app: QR code, and the key in text for typing
    page.get_by_role("link", name="Add an authenticator app").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = "".join(page.locator("#totp-secret").inner_text().split())
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    snap(page, screenshot_dir, "mfa-2-totp-setup")

    # ... a mistyped code is refused beside the field
    page.get_by_label("Code shown by the app").fill(
        "000000" if app_code(secret) != "000000" else "111111"
    )
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.locator(".field--error")).to_contain_text("This code does not match")

    # ... the code her app shows turns it on, and Concord opens
    page.wait_for_timeout(1100)  # django-otp's throttle: 1 s after a wrong code
    page.get_by_label("Code shown by the app").fill(app_code(secret))
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.locator(".message--success")).to_contain_text("Your authenticator app is set up")
    expect(page.locator("table")).to_contain_text("Authenticator app")

    # ... she makes recovery codes, sees them once and downloads them
    page.get_by_role("button", name="Make recovery codes").click()
    codes = page.locator(".mfa-codes code").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a text file").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert all(code in text for code in codes)
    snap(page, screenshot_dir, "mfa-3-recovery-codes")
    page.get_by_role("link", name="I have put them away").click()
    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/incidents/$"))
    sign_out(page)

    # Then her next sign-in asks for the app's code after the password
    password_step(page, officer)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    snap(page, screenshot_dir, "mfa-4-verify")
    # (The code used at enrolment works once: take the next 30-second step's.)
    device = TOTPDevice.objects.get(user=officer)
    page.get_by_role("textbox", name="Code").fill(code_after(secret, device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".usermenu__agency")).to_contain_text("THTC")

    # ... and a recovery code does it too, once
    sign_out(page)
    password_step(page, officer)
    page.get_by_role("textbox", name="Code").fill(codes[0].upper())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".usermenu__agency")).to_contain_text("THTC")


@pytest.fixture
def virtual_key(settings, live_server):
    """Chromium's virtual authenticator on a page: a USB security key with PIN (CTAP2)."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url.replace("127.0.0.1", "localhost")]

    def _attach(page):
        session = page.context.new_cdp_session(page)
        session.send("WebAuthn.enable")
        authenticator = session.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                }
            },
        )
        return session, authenticator["authenticatorId"]

    return _attach


def test_security_key_is_registered_then_signs_in(new_page, officer, virtual_key, screenshot_dir):
    # Given an officer signed in with her password alone (no factor, none required)
    page = new_page()
    session, authenticator_id = virtual_key(page)
    password_step(page, officer)
    expect(page.locator(".usermenu__agency")).to_contain_text("THTC")

    # When she registers a security key from her sign-in security page
    page.locator(".usermenu summary").click()
    page.get_by_role("link", name="Sign-in security").click()
    page.get_by_role("button", name="Add a security key or passkey").click()
    # The ceremony, then the page drawn again with the new key.
    expect(page.locator("table")).to_contain_text("Security key", timeout=15_000)
    credentials = session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    snap(page, screenshot_dir, "mfa-5-key-registered")
    sign_out(page)

    # Then her next sign-in asks for the key after the password, and the key opens Concord
    password_step(page, officer)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.goto("/incidents/")  # where she was going is kept through the step
    expect(page).to_have_url(re.compile(r"/accounts/login/verify/\?next=%2Fincidents%2F$"))
    snap(page, screenshot_dir, "mfa-6-verify-with-key")
    page.get_by_role("button", name="Use my security key or passkey").click()
    expect(page).to_have_url(re.compile(r"/incidents/$"), timeout=15_000)
    expect(page.locator(".usermenu__agency")).to_contain_text("THTC")
    signed = session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert signed["credentials"][0]["signCount"] >= 2


def test_agency_admin_resets_the_factors_of_a_user_who_lost_their_phone(
    new_page, officer, settings, screenshot_dir, mailoutbox
):
    # Given a required second factor, an officer whose phone is lost, and her agency's admin
    settings.MFA_REQUIRED = True
    lost = TOTPDevice.objects.create(user=officer, name="Old phone")
    admin = UserFactory(username="admin.nl", agency=officer.agency, role=Role.AGENCY_ADMIN)
    admin_app = TOTPDevice.objects.create(user=admin, name="Admin phone")

    # When the admin signs in with both steps and resets the officer's factors
    page = new_page()
    password_step(page, admin)
    page.get_by_role("textbox", name="Code").fill(str(totp(admin_app.bin_key)).zfill(6))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="My agency").click()
    page.get_by_role("link", name="Sign-in security").click()
    expect(page.get_by_role("checkbox", name="Require a second factor")).to_be_visible()
    snap(page, screenshot_dir, "mfa-7-agency-security")
    page.goto(f"/accounts/agency/users/{officer.pk}/")
    page.get_by_role("link", name="Reset second factors…").click()
    expect(page.locator("h1")).to_contain_text("Reset the second factors of")
    expect(page.locator("main")).to_contain_text("Old phone")
    snap(page, screenshot_dir, "mfa-8-reset-confirm")
    page.get_by_role("button", name="Reset second factors").click()

    # Then the officer is told by email, her old phone is gone, and she enrols anew
    expect(page.locator(".message--success")).to_contain_text("were removed")
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()
    assert [m.to for m in mailoutbox] == [[officer.email]]
    officer_page = new_page()
    password_step(officer_page, officer)
    expect(officer_page.get_by_role("alert")).to_contain_text("Add a second factor to continue.")

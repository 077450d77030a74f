"""Attacks on the second sign-in factor (issue #13): a stolen password alone opens nothing,
a user who must enrol cannot skip it, and a reset stays within the admin's agency.

The URL walks go through the resolver, not a hand-kept list: a new page is covered the
day it is added."""

import uuid

import pytest
import time_machine
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.choices import Role
from accounts.middleware import SecondFactorMiddleware, _is_api_view
from accounts.models import ApiToken
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from incidents.models import Incident
from tests.factories import TEST_PASSWORD, UserFactory
from tests.mfa import current_code, give_totp, verified_login

pytestmark = pytest.mark.django_db

VERIFY = reverse("accounts:mfa_verify")
SECURITY = reverse("accounts:mfa_security")
# Values for URL arguments whose pattern refuses the generic ones.
ARGUMENTS = {"app_label": "accounts", "action_name": "approve", "format": "json"}


def _view_names(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from _view_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def _url_of(name):
    """A concrete URL of ``name``, its arguments filled with placeholders."""
    resolver = get_resolver()
    *namespaces, view = name.split(":")
    for namespace in namespaces:
        resolver = resolver.namespace_dict[namespace][1]
    for possibility, _pattern, _defaults, converters in resolver.reverse_dict.getlist(view):
        for _result, params in possibility:
            kwargs = {}
            for param in params:
                converter = converters.get(param)
                if isinstance(converter, UUIDConverter):
                    kwargs[param] = str(uuid.UUID(int=1))
                elif isinstance(converter, IntConverter):
                    kwargs[param] = 1
                else:
                    kwargs[param] = ARGUMENTS.get(param, "1")
            try:
                return reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
    raise AssertionError(f"cannot build a URL for {name}")


def every_url():
    return sorted({(name, _url_of(name)) for name in _view_names()})


def test_the_walk_covers_the_whole_site():
    names = {name for name, _url in every_url()}
    assert len(names) > 150
    assert {"incidents:detail", "admin:index", "taxii:objects", "audit:records"} <= names


def _password_only(client, user):
    """What an attacker who stole ``user``'s password gets: the password step, passed."""
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    return client


def _walk(session, anonymous, allowed, step):
    """Every URL answers the half-signed-in session with the step, or refuses it as it
    refuses a caller without a session."""
    leaks = []
    for name, url in every_url():
        if name in allowed:
            continue
        response = session.get(url)
        if _is_api_view(resolve(url).func):
            # The API refuses the session: nothing that a caller without one is refused.
            expected = anonymous.get(url).status_code
            if response.status_code < 400 <= expected:
                leaks.append((name, url, response.status_code, expected))
        elif response.status_code != 302 or not response["Location"].startswith(step):
            leaks.append((name, url, response.status_code, response.get("Location")))
    return leaks


def test_a_stolen_password_alone_opens_no_page_and_no_api_call(client, lead_user, incident):
    # Given a user with an authenticator app whose password was stolen
    give_totp(lead_user)
    attacker = _password_only(client, lead_user)
    anonymous = type(client)()

    # When the attacker asks for every page and API operation with that session
    allowed = SecondFactorMiddleware.ALWAYS | SecondFactorMiddleware.ALLOWED["verify"]
    leaks = _walk(attacker, anonymous, allowed, VERIFY)

    # Then each page sends them to the second step and the API treats them as a stranger
    assert leaks == []
    assert not AuditRecord.objects.filter(action=AuditAction.VIEWED).exists()


def test_a_stolen_password_writes_nothing_through_pages_or_the_api(client, lead_user):
    give_totp(lead_user)
    attacker = _password_only(client, lead_user)
    form = {"title": "Planted", "summary": "x", "category": "malware", "severity": "low"}

    page = attacker.post(reverse("incidents:create"), form)
    api = attacker.post("/api/v1/incidents/", form, content_type="application/json")

    assert page.status_code == 302 and page["Location"].startswith(VERIFY)
    assert api.status_code in (401, 403)
    assert not Incident.objects.filter(title="Planted").exists()


def test_a_stolen_superuser_password_opens_no_admin_page(client):
    root = UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)
    give_totp(root)
    attacker = _password_only(client, root)
    for url in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{root.pk}/change/"):
        response = attacker.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY)


def test_the_django_admin_cannot_make_a_factor_for_someone(client, lead_user):
    # A factor made for a user by someone else would pass that user's second step.
    root = UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)
    verified_login(client, root)
    device = give_totp(lead_user)
    for name in ("admin:otp_totp_totpdevice_add", "admin:otp_static_staticdevice_add"):
        assert client.get(reverse(name)).status_code == 403, name
    change = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    client.post(change, {"user": root.pk, "name": "taken", "confirmed": "on"})
    device.refresh_from_db()
    assert (device.user_id, device.name) == (lead_user.pk, "Test app")


def test_even_without_a_factor_a_staff_session_gets_no_admin_page(client):
    # The admin needs the second factor whatever the platform requires of other pages.
    root = UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)
    _password_only(client, root)
    response = client.get("/admin/accounts/user/", follow=True)
    assert response.redirect_chain[-1][0].startswith(SECURITY)
    assert b"The administration asks for a second factor" in response.content


def test_a_stolen_password_cannot_add_the_attackers_own_factor(client, lead_user):
    give_totp(lead_user)
    attacker = _password_only(client, lead_user)
    for url in (
        reverse("accounts:mfa_totp_add"),
        reverse("accounts:mfa_recovery_codes_new"),
        reverse("otp_webauthn:credential-registration-begin"),
    ):
        response = attacker.post(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), url
    assert TOTPDevice.objects.filter(user=lead_user).count() == 1


@pytest.mark.parametrize("why", ["has an app", "must have one"])
def test_a_stolen_password_gets_no_api_token(client, settings, lead_user, why):
    if why == "has an app":
        give_totp(lead_user)
    else:
        settings.MFA_REQUIRED = True
    response = client.post(
        reverse("accounts-api:token"),
        {"username": lead_user.username, "password": TEST_PASSWORD, "name": "loot"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()

    attacker = _password_only(client, lead_user)
    response = attacker.post(
        reverse("exchange:api_token"),
        {"action": "create", "name": "loot", "scope": "read", "days": "30"},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_the_token_page_creates_tokens_once_the_session_passed(client, lead_user):
    verified_login(client, lead_user)
    response = client.post(
        reverse("exchange:api_token"),
        {"action": "create", "name": "MISP", "scope": "read", "days": "30"},
    )
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=lead_user).count() == 1


def test_the_attackers_own_app_does_not_pass_the_victims_step(client, lead_user, outsider):
    give_totp(lead_user)
    attackers_app = give_totp(outsider)
    attacker = _password_only(client, lead_user)
    attacker.post(VERIFY, {"code": current_code(attackers_app)})
    assert attacker.get("/incidents/")["Location"].startswith(VERIFY)


def test_guessing_codes_is_slowed_to_one_check_per_wait(client, lead_user):
    device = give_totp(lead_user)
    attacker = _password_only(client, lead_user)
    with time_machine.travel(timezone.now(), tick=False):
        for guess in range(30):
            attacker.post(VERIFY, {"code": f"{guess:06d}"})
    device.refresh_from_db()
    # The first guess was checked; the others came before the wait was over.
    assert device.throttling_failure_count == 1
    assert AuditRecord.objects.filter(action=AuditAction.MFA_FAILED).count() == 30


def test_a_borrowed_session_cannot_strip_the_factor_without_the_password(client, lead_user):
    device = give_totp(lead_user)
    verified_login(client, lead_user, device)
    client.post(reverse("accounts:mfa_remove", args=[f"totp-{device.pk}"]), {"password": "guess"})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


@pytest.mark.parametrize("rule", ["platform", "agency"])
def test_a_user_required_to_enrol_cannot_skip_it(client, settings, lead_user, incident, rule):
    # Given a user who must have a second factor and has none
    settings.MFA_REQUIRED = rule == "platform"
    lead_user.agency.require_mfa = rule == "agency"
    lead_user.agency.save()
    session = _password_only(client, lead_user)
    anonymous = type(client)()

    # When they ask for anything but the enrolment pages, they are sent back there
    allowed = SecondFactorMiddleware.ALWAYS | SecondFactorMiddleware.ALLOWED["enrol"]
    assert _walk(session, anonymous, allowed, SECURITY) == []

    # ... and recovery codes alone do not count as enrolling
    session.post(reverse("accounts:mfa_recovery_codes_new"))
    assert not mfa.has_second_factor(lead_user)
    assert session.get("/incidents/")["Location"].startswith(SECURITY)


def test_the_verify_page_never_opens_the_enrolment_pages_to_a_user_with_a_factor(
    client, settings, lead_user
):
    # A required user with a factor is asked for it, not offered to add another.
    settings.MFA_REQUIRED = True
    give_totp(lead_user)
    session = _password_only(client, lead_user)
    assert session.get(SECURITY)["Location"].startswith(VERIFY)
    assert session.get(reverse("accounts:mfa_totp_add"))["Location"].startswith(VERIFY)


def test_an_agency_admin_cannot_reset_a_user_of_another_agency(client, lead_agency, outsider):
    admin = UserFactory(username="adela", agency=lead_agency, role=Role.AGENCY_ADMIN)
    give_totp(outsider)
    verified_login(client, admin)
    url = reverse("accounts:agency_user_mfa_reset", args=[outsider.pk])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404

    assert mfa.has_second_factor(outsider)
    assert not AuditRecord.objects.filter(action=AuditAction.MFA_RESET).exists()


def test_an_agency_admin_cannot_reset_the_platforms_staff_in_their_agency(client, lead_agency):
    admin = UserFactory(username="adela", agency=lead_agency, role=Role.AGENCY_ADMIN)
    staff = UserFactory(username="ops", agency=lead_agency, is_staff=True)
    give_totp(staff)
    verified_login(client, admin)
    response = client.post(reverse("accounts:agency_user_mfa_reset", args=[staff.pk]))
    assert response.status_code == 404
    assert mfa.has_second_factor(staff)


def test_a_reset_is_a_post_an_image_or_link_cannot_trigger(client, lead_agency, lead_user):
    admin = UserFactory(username="adela", agency=lead_agency, role=Role.AGENCY_ADMIN)
    give_totp(lead_user)
    verified_login(client, admin)
    client.get(reverse("accounts:agency_user_mfa_reset", args=[lead_user.pk]))
    assert mfa.has_second_factor(lead_user)


def test_http_basic_with_a_stolen_password_is_refused_for_an_account_with_a_factor(
    client, lead_user
):
    import base64

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import TEST_PASSWORD

    TOTPDevice.objects.create(user=lead_user, name="phone", confirmed=True)
    raw = base64.b64encode(f"{lead_user.username}:{TEST_PASSWORD}".encode()).decode()

    response = client.get(
        "/taxii2/api/collections/",
        HTTP_AUTHORIZATION=f"Basic {raw}",
        HTTP_ACCEPT="application/taxii+json;version=2.1",
    )

    assert response.status_code == 401
    assert "second factor" in response.content.decode()


def test_http_basic_is_refused_when_the_platform_requires_a_factor(client, settings, lead_user):
    import base64

    from tests.factories import TEST_PASSWORD

    settings.MFA_REQUIRED = True
    raw = base64.b64encode(f"{lead_user.username}:{TEST_PASSWORD}".encode()).decode()

    response = client.get(
        "/taxii2/api/collections/",
        HTTP_AUTHORIZATION=f"Basic {raw}",
        HTTP_ACCEPT="application/taxii+json;version=2.1",
    )

    assert response.status_code == 401

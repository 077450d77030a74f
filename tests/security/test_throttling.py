"""Password guessing and password reset abuse (issue #13: "Throttling", findings on
unlimited guessing and finding 8), replayed as attacks that must now fail.

Addresses: the attacker at ATTACKER, the victim at VICTIM (their usual place), and, when
the deployment has one, the TLS proxy at PROXY in front of both.
"""

import base64
import re

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from accounts import throttle
from accounts.models import User
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from tests.factories import TEST_PASSWORD, UserFactory

ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.20"
PROXY = "10.0.0.2"
TAXII = "application/taxii+json;version=2.1"
LOCKOUT = b"Too many failed sign-in attempts"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Reset requests and API calls are counted in the cache: keep each test's counts its own.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s"},
    }
    from django.core.cache import cache

    cache.clear()


def sign_in(client, username, password, address=ATTACKER, **meta):
    """Post the sign-in form from ``address`` (or with the request ``meta`` given)."""
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        **{"REMOTE_ADDR": address, **meta},
    )


def basic(username, password):
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}", "HTTP_ACCEPT": TAXII}


def failures_counted(**where):
    total = AccessAttempt.objects.filter(**where).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


@pytest.fixture
def password_checks(monkeypatch):
    """The users whose password was checked, in order."""
    checked = []
    original = User.check_password

    def spy(user, raw):
        checked.append(user.username)
        return original(user, raw)

    monkeypatch.setattr(User, "check_password", spy)
    return checked


# --- Guessing on every entry point ------------------------------------------------------


def test_the_admin_login_checks_no_password_and_its_sign_in_is_throttled(client, superuser):
    # The admin signs in through accounts:login and the second factor
    # (accounts/admin_site.py): its own login form checks no password at all.
    url = reverse("admin:login")
    for n in range(50):
        client.post(url, {"username": "root", "password": f"guess-{n}"}, REMOTE_ADDR=ATTACKER)
    response = client.post(
        url, {"username": "root", "password": TEST_PASSWORD}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    assert failures_counted(username="root") == 0
    # Where it sends the admin, fifty guesses then the right password are refused.
    for n in range(50):
        sign_in(client, "root", f"guess-{n}")
    response = sign_in(client, "root", TEST_PASSWORD)
    assert LOCKOUT in response.content
    assert "_auth_user_id" not in client.session
    assert failures_counted(username="root") == 5
    # The admin at their own address is not locked out by the attacker.
    assert sign_in(client, "root", TEST_PASSWORD, address=VICTIM).status_code == 302


def test_fifty_wrong_basic_passwords_on_taxii_then_the_right_one_is_refused(client, lead_user):
    url = reverse("taxii:discovery")
    for n in range(50):
        client.get(url, REMOTE_ADDR=ATTACKER, **basic("lena", f"guess-{n}"))

    response = client.get(url, REMOTE_ADDR=ATTACKER, **basic("lena", TEST_PASSWORD))

    assert response.status_code == 401
    assert "Too many failed sign-in attempts" in response.json()["description"]
    assert failures_counted(username="lena") == 5
    assert client.get(url, REMOTE_ADDR=VICTIM, **basic("lena", TEST_PASSWORD)).status_code == 200


def test_fifty_wrong_basic_passwords_on_a_blocklist_then_the_right_one_is_refused(
    client, lead_user, incident
):
    url = reverse("exchange:incident_blocklist", args=[incident.reference]) + "?type=ipv4"
    for n in range(50):
        client.get(url, REMOTE_ADDR=ATTACKER, **basic("lena", f"guess-{n}"))

    response = client.get(url, REMOTE_ADDR=ATTACKER, **basic("lena", TEST_PASSWORD))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert failures_counted(username="lena") == 5
    assert client.get(url, REMOTE_ADDR=VICTIM, **basic("lena", TEST_PASSWORD)).status_code == 200


def test_fifty_wrong_passwords_on_the_token_endpoint_then_the_right_one_is_refused(
    api_client, lead_user
):
    url = reverse("accounts-api:token")
    for n in range(50):
        api_client.post(url, {"username": "lena", "password": f"guess-{n}"}, REMOTE_ADDR=ATTACKER)

    response = api_client.post(
        url, {"username": "lena", "password": TEST_PASSWORD}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 429
    assert "token" not in response.json()
    assert failures_counted(username="lena") == 5
    response = api_client.post(
        url, {"username": "lena", "password": TEST_PASSWORD}, REMOTE_ADDR=VICTIM
    )
    assert response.status_code == 201
    assert response.json()["token"]


def test_the_sign_in_form_says_why_it_refuses(client, lead_user):
    for _attempt in range(5):
        sign_in(client, "lena", "wrong")

    response = sign_in(client, "lena", TEST_PASSWORD)

    assert response.status_code == 200
    assert LOCKOUT in response.content
    assert response.context["form"].non_field_errors().as_data()[0].code == "throttled"
    assert "_auth_user_id" not in client.session


# --- Nobody locks out someone else ------------------------------------------------------


def test_a_lockout_from_the_attackers_address_does_not_stop_the_victim_elsewhere(client, lead_user):
    for _attempt in range(20):
        sign_in(client, "lena", "wrong", ATTACKER)
    assert LOCKOUT in sign_in(client, "lena", TEST_PASSWORD, ATTACKER).content

    response = sign_in(client, "lena", TEST_PASSWORD, VICTIM)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_spraying_one_password_over_forty_usernames_from_one_address_is_stopped(
    client, lead_agency, password_checks
):
    sprayed = "Winter-2026-Concord!"
    users = [UserFactory(username=f"user{n:02d}", agency=lead_agency) for n in range(40)]
    # The last one uses the sprayed password.
    users[-1].set_password(sprayed)
    users[-1].save()

    answers = [sign_in(client, user.username, sprayed) for user in users]

    assert LOCKOUT in answers[-1].content
    assert "_auth_user_id" not in client.session
    # From the 31st username on, no password was checked.
    assert len(password_checks) == throttle.ADDRESS_LIMIT
    assert failures_counted(ip_address=ATTACKER) == throttle.ADDRESS_LIMIT
    # The owner of the last account, at their own address, signs in.
    assert sign_in(client, "user39", sprayed, VICTIM).status_code == 302


def test_a_guess_spread_over_many_addresses_is_slowed_but_the_owner_signs_in_at_home(
    client, lead_user
):
    assert sign_in(client, "lena", TEST_PASSWORD, VICTIM).status_code == 302
    client.post(reverse("accounts:logout"))
    # One guess from each of 60 addresses: no address reaches its own limits.
    for n in range(60):
        sign_in(client, "lena", f"guess-{n}", f"192.0.2.{n}")

    assert failures_counted(username="lena") == throttle.USERNAME_LIMIT
    # A stranger's address is refused even with the right password...
    assert LOCKOUT in sign_in(client, "lena", TEST_PASSWORD, "192.0.2.200").content
    # ...but where she signed in before, she gets in.
    assert sign_in(client, "lena", TEST_PASSWORD, VICTIM).status_code == 302


def test_an_ipv6_attacker_cannot_escape_by_changing_addresses_in_its_network(client, lead_user):
    for n in range(10):
        sign_in(client, "lena", "wrong", f"2001:db8:66:1::{n + 1:x}")

    assert LOCKOUT in sign_in(client, "lena", TEST_PASSWORD, "2001:db8:66:1::ffff").content
    assert sign_in(client, "lena", TEST_PASSWORD, "2001:db8:20:1::1").status_code == 302


# --- The client address is never a raw header -------------------------------------------


def behind(proxies, client_address, forged):
    """Request headers as Django receives them from a client sending ``forged``."""
    if proxies == 0:
        return {"REMOTE_ADDR": client_address, "HTTP_X_FORWARDED_FOR": forged}
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{forged}, {client_address}"}


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_forged_forwarded_for_does_not_change_who_is_counted(
    client, lead_user, settings, proxies
):
    settings.TRUSTED_PROXY_COUNT = proxies
    # The attacker forges a new address each time, the victim's among them.
    forged = [VICTIM, *(f"192.0.2.{n}" for n in range(9))]
    for address in forged:
        sign_in(client, "lena", "wrong", **behind(proxies, ATTACKER, address))

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    response = sign_in(client, "lena", TEST_PASSWORD, **behind(proxies, ATTACKER, "192.0.2.99"))
    assert LOCKOUT in response.content
    if proxies:
        victim = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": VICTIM}
    else:
        victim = {"REMOTE_ADDR": VICTIM}
    assert sign_in(client, "lena", TEST_PASSWORD, **victim).status_code == 302


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_drf_throttles_identify_the_client_as_the_password_throttle_does(rf, settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    request = rf.get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {ATTACKER}, 10.0.0.1"
    )

    assert AnonRateThrottle().get_ident(Request(request)) == throttle.client_address(request)
    assert throttle.client_address(request) == [PROXY, "10.0.0.1", ATTACKER][proxies]


def test_drf_reads_the_number_of_proxies_from_the_same_setting(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT
    assert api_settings.NUM_PROXIES == settings.TRUSTED_PROXY_COUNT


def test_a_forwarded_for_entry_that_is_no_address_falls_back_to_the_connection(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address")
    assert throttle.client_address(request) == PROXY


# --- Basic auth for accounts that may not sign in ---------------------------------------


def test_basic_auth_is_refused_for_a_locked_out_user_without_checking_the_password(
    client, lead_user, password_checks
):
    for _attempt in range(5):
        sign_in(client, "lena", "wrong")
    password_checks.clear()

    response = client.get(
        reverse("taxii:discovery"), REMOTE_ADDR=ATTACKER, **basic("lena", TEST_PASSWORD)
    )

    assert response.status_code == 401
    assert password_checks == []


@pytest.mark.parametrize("deactivated", ["user", "agency"])
def test_basic_auth_is_refused_for_a_deactivated_account_without_checking_the_password(
    client, lead_user, password_checks, deactivated
):
    target = lead_user if deactivated == "user" else lead_user.agency
    target.is_active = False
    target.save()

    response = client.get(
        reverse("taxii:discovery"), REMOTE_ADDR=VICTIM, **basic("lena", TEST_PASSWORD)
    )
    sign_in(client, "lena", TEST_PASSWORD, VICTIM)

    assert response.status_code == 401
    assert "_auth_user_id" not in client.session
    assert password_checks == []


# --- Password reset (finding 8) ---------------------------------------------------------


def test_password_reset_answers_alike_for_known_and_unknown_addresses(
    client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
):
    url = reverse("accounts:password_reset")
    answers, queued = {}, []
    for email in (lead_user.email, "nobody@example.org"):
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.post(url, {"email": email}, REMOTE_ADDR=VICTIM)
        # Nothing is sent, and no account is even looked up, inside the request.
        assert mailoutbox == []
        assert not [q["sql"] for q in queries if "accounts_user" in q["sql"]]
        answers[email] = (response.status_code, response["Location"], response.content)
        assert len(callbacks) == 1
        queued.extend(callbacks)

    assert answers[lead_user.email] == answers["nobody@example.org"]
    for callback in queued:
        callback()
    assert [message.to for message in mailoutbox] == [[lead_user.email]]


def test_twenty_resets_for_one_address_send_at_most_the_limit(
    client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
):
    url = reverse("accounts:password_reset")
    with django_capture_on_commit_callbacks(execute=True):
        # From twenty addresses, so that only the limit per email address holds.
        answers = [
            client.post(url, {"email": lead_user.email}, REMOTE_ADDR=f"192.0.2.{n}")
            for n in range(20)
        ]

    assert {answer.status_code for answer in answers} == {302}
    assert len(mailoutbox) == throttle.RESET_PER_EMAIL == 3


def test_one_client_asking_for_many_addresses_is_told_to_wait(
    client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
):
    url = reverse("accounts:password_reset")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(throttle.RESET_PER_CLIENT):
            client.post(url, {"email": f"probe{n}@example.org"}, REMOTE_ADDR=ATTACKER)
        refused = client.post(url, {"email": lead_user.email}, REMOTE_ADDR=ATTACKER)
        assert refused.status_code == 429
        assert b"Too many reset requests" in refused.content
        assert mailoutbox == []
        # Another client is served.
        assert client.post(url, {"email": lead_user.email}, REMOTE_ADDR=VICTIM).status_code == 302
    assert len(mailoutbox) == 1


# --- What the audit trail keeps ---------------------------------------------------------


def test_a_lockout_is_recorded_once_when_it_begins(client, lead_user):
    for _attempt in range(8):
        sign_in(client, "lena", "wrong")

    lockouts = AuditRecord.objects.filter(action=AuditAction.LOCKED_OUT)
    assert lockouts.count() == 1
    record = lockouts.get()
    assert record.object_ref == "lena"
    assert record.agency_id == lead_user.agency_id
    assert record.client_address == ATTACKER
    assert record.details["locked"] == "pair"


def test_a_spraying_lockout_is_recorded_as_the_addresss(client, lead_agency):
    for n in range(throttle.ADDRESS_LIMIT + 5):
        sign_in(client, f"nobody{n}", "Winter-2026-Concord!")

    record = AuditRecord.objects.get(action=AuditAction.LOCKED_OUT)
    assert record.details["locked"] == "address"


@pytest.mark.parametrize("proxies", [0, 1])
def test_audit_records_name_the_real_client_not_a_forged_one(client, lead_user, settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    sign_in(client, "lena", "wrong", **behind(proxies, ATTACKER, VICTIM))

    record = AuditRecord.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert record.client_address == ATTACKER


def test_password_reset_request_and_completion_are_recorded(
    client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
):
    url = reverse("accounts:password_reset")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "nobody@example.org"}, REMOTE_ADDR=VICTIM)
        client.post(url, {"email": lead_user.email}, REMOTE_ADDR=VICTIM)

    requested = AuditRecord.objects.get(action=AuditAction.PASSWORD_RESET_REQUESTED)
    assert requested.object_ref == "lena"
    assert requested.agency_id == lead_user.agency_id
    assert requested.details == {"requested_from": VICTIM}

    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mailoutbox[0].body)[1]
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "quiet-lantern-orbit-7421", "new_password2": "quiet-lantern-orbit-7421"},
    )

    done = AuditRecord.objects.get(action=AuditAction.PASSWORD_RESET_DONE)
    assert done.actor_id == lead_user.pk
    assert done.agency_id == lead_user.agency_id

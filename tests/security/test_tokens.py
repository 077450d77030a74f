"""Issue #13, finding 6: API tokens were kept in clear, never expired, survived a password
change and a deactivation, and a token made for TAXII could write a timeline entry."""

import hashlib
import importlib

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import actions, mfa, tokens
from accounts.choices import Role, TokenRevocation, TokenScope
from accounts.models import ApiToken
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from incidents.models import TimelineEntry
from tests.factories import TEST_PASSWORD, UserFactory
from tests.mfa import give_totp, verified_login

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"
TOKEN_PAGE = "/exchange/token/"
NEW_PASSWORD = "a-new-and-long-passphrase-42"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # The token endpoint is throttled in the cache: keep each test's counters its own.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)


@pytest.fixture
def agency_admin(lead_agency):
    return UserFactory(username="adela", agency=lead_agency, role=Role.AGENCY_ADMIN)


def new_token(user, scope=TokenScope.READ, days=30):
    return actions.create_api_token(user, name="TAXII client", scope=scope, days=days)


def api_get(client, key, url="/api/v1/incidents/", scheme="Token"):
    return client.get(url, HTTP_AUTHORIZATION=f"{scheme} {key}")


def taxii_get(client, key):
    return client.get(
        reverse("taxii:collections"), HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT=TAXII
    )


def timeline_post(client, incident, key, body="Written by a tool"):
    return client.post(
        f"/api/v1/incidents/{incident.reference}/timeline/",
        {"body": body},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )


# Stored hashed, shown once


def test_key_is_not_in_the_database_in_clear(client, lead_user):
    client.force_login(lead_user)
    key = client.post(
        TOKEN_PAGE, {"action": "create", "name": "MISP", "scope": "read", "days": "30"}
    ).context["new_key"]

    token = ApiToken.objects.get(user=lead_user)
    stored = [str(value) for value in ApiToken.objects.values().get(pk=token.pk).values()]
    assert all(key not in value for value in stored)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.prefix) and len(token.prefix) < len(key) // 2
    assert api_get(client, key).status_code == 200


def test_django_admin_shows_token_metadata_only_and_read_only(client, superuser, lead_user):
    token, key = new_token(lead_user)
    verified_login(client, superuser)
    changelist = client.get(reverse("admin:accounts_apitoken_changelist"))
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))

    for page in (changelist, detail):
        html = page.content.decode()
        assert page.status_code == 200
        assert token.name in html and f"{token.prefix}…" in html
        assert key not in html and token.key_hash not in html
    assert 'name="name"' not in detail.content.decode()  # no editable field
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert client.get(reverse("admin:accounts_apitoken_delete", args=[token.pk])).status_code == 403


def test_django_admin_revokes_selected_tokens(client, superuser, lead_user):
    token, key = new_token(lead_user)
    verified_login(client, superuser)

    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_reason == TokenRevocation.PLATFORM_ADMIN
    assert api_get(client, key).status_code == 401


def test_drf_tokens_are_hashed_into_the_new_model_and_their_table_dropped(lead_user, settings):
    # Given the plain-text table rest_framework.authtoken left behind, with a tool's key
    legacy_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id bigint NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created datetime NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [legacy_key, timezone.now(), lead_user.pk],
        )
    migration = importlib.import_module("accounts.migrations.0002_api_tokens")

    # When the migration runs
    from django.apps import apps

    # (Not entered: SQLite's editor refuses to enter inside the test's transaction.)
    migration.hash_legacy_tokens(apps, connection.schema_editor())

    # Then the key works, read-write, expiring within API_TOKEN_MAX_DAYS, and is kept nowhere
    token = tokens.authenticate(legacy_key)
    assert token.user == lead_user
    assert token.scope == TokenScope.READ_WRITE
    assert token.prefix == legacy_key[:6]
    days = (token.expires_at - timezone.now()).days
    assert settings.API_TOKEN_MAX_DAYS - 1 <= days <= settings.API_TOKEN_MAX_DAYS
    assert "authtoken_token" not in connection.introspection.table_names()


# Expiry and revocation


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_token_and_bearer_are_one_check_for_the_api(client, lead_user, scheme):
    _token, key = new_token(lead_user)

    assert api_get(client, key, scheme=scheme).status_code == 200


def test_expired_token_is_refused_with_a_clear_message(client, lead_user):
    token, key = new_token(lead_user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    response = api_get(client, key)
    taxii = taxii_get(client, key)

    assert response.status_code == 401
    assert response.json()["detail"] == "Token expired."
    assert taxii.status_code == 401
    assert taxii.json()["description"] == "Token expired."


def test_revoked_token_is_refused_with_a_clear_message(client, lead_user):
    token, key = new_token(lead_user)
    actions.revoke_api_token(token, by=lead_user)

    response = api_get(client, key)

    assert response.status_code == 401
    assert response.json()["detail"] == "Token revoked."
    assert taxii_get(client, key).status_code == 401


def test_unknown_token_is_refused(client, lead_user):
    _token, key = new_token(lead_user)

    assert api_get(client, key[:-1] + ("A" if key[-1] != "A" else "B")).status_code == 401


def test_expiry_cannot_exceed_the_maximum(lead_user, settings):
    settings.API_TOKEN_MAX_DAYS = 90

    with pytest.raises(Exception, match="Between 1 and 90 days"):
        new_token(lead_user, days=91)
    assert not ApiToken.objects.exists()


# Password change revokes, by every path


def test_own_password_change_revokes_tokens(client, lead_user):
    _token, key = new_token(lead_user)
    client.force_login(lead_user)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    refused = api_get(client.__class__(), key)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Token revoked."
    assert ApiToken.objects.get().revoked_reason == TokenRevocation.PASSWORD_CHANGED
    changed = AuditRecord.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert changed.actor_id == lead_user.pk and changed.agency_id == lead_user.agency_id


def test_password_reset_link_revokes_tokens(client, lead_user):
    _token, key = new_token(lead_user)
    link = actions.password_link(lead_user, base_url="http://testserver")
    form_url = client.get(link).url  # Django swaps the token for a session marker

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert api_get(client, key).status_code == 401


def test_password_set_in_the_django_admin_revokes_tokens(client, superuser, lead_user):
    _token, key = new_token(lead_user)
    verified_login(client, superuser)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[lead_user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert api_get(client.__class__(), key).status_code == 401
    changed = AuditRecord.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert changed.actor_id == superuser.pk
    assert changed.agency_id == lead_user.agency_id


def test_set_password_anywhere_revokes_tokens(client, lead_user):
    _token, key = new_token(lead_user)

    form = SetPasswordForm(
        lead_user, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert form.is_valid()
    form.save()

    assert api_get(client, key).status_code == 401


def test_a_hash_upgrade_at_sign_in_is_no_password_change(client, lead_user, settings):
    _token, key = new_token(lead_user)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    assert lead_user.check_password(TEST_PASSWORD)  # re-hashed with scrypt and saved

    assert lead_user.password.startswith("scrypt")
    assert api_get(client, key).status_code == 200
    assert not AuditRecord.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


# Deactivation revokes; reactivation revives nothing


def test_deactivation_and_reactivation_do_not_revive_a_token(client, agency_admin, lead_user):
    _token, key = new_token(lead_user)

    actions.set_active(agency_admin, lead_user, False)
    actions.set_active(agency_admin, lead_user, True)

    response = api_get(client, key)
    assert response.status_code == 401
    assert response.json()["detail"] == "Token revoked."
    assert ApiToken.objects.get().revoked_reason == TokenRevocation.USER_DEACTIVATED


def test_deactivation_in_the_django_admin_revokes_tokens(client, superuser, lead_user):
    _token, key = new_token(lead_user)
    verified_login(client, superuser)
    url = reverse("admin:accounts_user_change", args=[lead_user.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data.update(
        {"is_active": "", "agency": lead_user.agency_id, "date_joined_0": "", "date_joined_1": ""}
    )
    data["date_joined_0"], data["date_joined_1"] = (
        timezone.localtime(lead_user.date_joined).strftime("%Y-%m-%d"),
        timezone.localtime(lead_user.date_joined).strftime("%H:%M:%S"),
    )
    data.pop("last_login", None)

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    lead_user.refresh_from_db()
    assert not lead_user.is_active
    assert api_get(client.__class__(), key).status_code == 401
    deactivated = AuditRecord.objects.get(action=AuditAction.USER_DEACTIVATED)
    assert deactivated.actor_id == superuser.pk


def test_inactive_user_token_is_refused_even_if_not_revoked(client, lead_user):
    # (A deactivation that bypassed every path above, e.g. raw SQL.)
    _token, key = new_token(lead_user)
    type(lead_user).objects.filter(pk=lead_user.pk).update(is_active=False)

    assert api_get(client, key).status_code == 401


# Scope


def test_token_made_for_taxii_cannot_write_timeline(client, lead_user, incident):
    _token, key = new_token(lead_user, scope=TokenScope.READ)
    before = TimelineEntry.objects.count()

    response = timeline_post(client, incident, key)

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert TimelineEntry.objects.count() == before


def test_read_only_token_cannot_use_any_unsafe_method(client, lead_user, incident):
    _token, key = new_token(lead_user, scope=TokenScope.READ)
    url = f"/api/v1/incidents/{incident.reference}/"

    for method in ("patch", "put", "delete"):
        response = getattr(client, method)(
            url, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
        )
        assert response.status_code == 403, method


def test_read_only_token_reads_taxii_blocklists_and_the_api(client, lead_user, incident):
    _token, key = new_token(lead_user, scope=TokenScope.READ)
    blocklist = reverse("exchange:incident_blocklist", args=[incident.reference]) + "?type=ipv4"

    assert taxii_get(client, key).status_code == 200
    assert client.get(blocklist, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert api_get(client, key, f"/api/v1/incidents/{incident.reference}/").status_code == 200


def test_read_write_token_may_write_timeline(client, lead_user, incident):
    _token, key = new_token(lead_user, scope=TokenScope.READ_WRITE)

    assert timeline_post(client, incident, key).status_code == 201


# Issuance needs the second factor


def test_token_page_refuses_issuance_without_the_second_factor(client, lead_user, monkeypatch):
    monkeypatch.setattr(mfa, "second_factor_passed", lambda request: False)
    client.force_login(lead_user)

    page = client.get(TOKEN_PAGE).content.decode()
    response = client.post(
        TOKEN_PAGE, {"action": "create", "name": "MISP", "scope": "read", "days": "30"}
    )

    assert 'value="create"' not in page
    assert "second factor" in page
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_token_endpoint_refuses_a_password_alone_when_a_second_factor_is_due(
    client, lead_user, monkeypatch
):
    monkeypatch.setattr(mfa, "second_factor_passed", lambda request: False)

    response = client.post(
        "/api/v1/auth/token/",
        {"username": lead_user.username, "password": TEST_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_token_endpoint_issues_read_only_expiring_tokens_by_default(client, lead_user):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": lead_user.username, "password": TEST_PASSWORD, "name": "cron"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    token = tokens.authenticate(body["token"])
    assert (token.name, token.scope, body["scope"]) == ("cron", "read", "read")
    assert token.expires_at <= timezone.now() + timezone.timedelta(days=30)


def test_second_factor_check_refuses_an_unverified_session_of_a_user_with_a_factor(rf, lead_user):
    give_totp(lead_user)
    request = rf.get("/")
    request.user = lead_user
    lead_user.is_verified = lambda: False

    assert mfa.second_factor_passed(request) is False


# Last use: written and audited at most once per interval


def test_use_is_noted_once_per_interval_not_on_every_call(client, lead_user):
    token, key = new_token(lead_user)

    for _ in range(3):
        assert api_get(client, key).status_code == 200
    token.refresh_from_db()
    first_use = token.last_used_at

    assert first_use is not None
    assert AuditRecord.objects.filter(action=AuditAction.TOKEN_USED).count() == 1

    # When the interval has passed, the next call notes the use again
    earlier = timezone.now() - tokens.LAST_USED_PRECISION - timezone.timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    api_get(client, key)

    token.refresh_from_db()
    assert token.last_used_at > earlier
    used = AuditRecord.objects.filter(action=AuditAction.TOKEN_USED)
    assert used.count() == 2
    assert {record.agency_id for record in used} == {lead_user.agency_id}


def test_steady_reads_with_a_token_cost_one_query_for_authentication(
    client, lead_user, django_assert_num_queries
):
    _token, key = new_token(lead_user)
    url = reverse("taxii:discovery")
    client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT=TAXII)

    with django_assert_num_queries(1):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT=TAXII)
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["0", "soon", "4000"])
def test_bad_token_lifetime_setting_names_the_variable(value):
    from tests.infra.test_settings import manage

    result = manage("check", DEBUG="true", API_TOKEN_MAX_DAYS=value)

    assert result.returncode != 0
    assert "API_TOKEN_MAX_DAYS" in result.stderr

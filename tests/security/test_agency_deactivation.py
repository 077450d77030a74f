"""Issue #13, finding 1: the users of a deactivated agency still read and wrote its cases."""

import base64

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import actions
from accounts.choices import Role, TokenRevocation, TokenScope
from accounts.models import Agency, ApiToken
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from incidents.models import TimelineEntry
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # The sign-in form counts failures in the cache: keep each test's count its own.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"},
    }


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)


@pytest.fixture
def agency_admin_of_lead(lead_agency):
    return UserFactory(username="adela", agency=lead_agency, role=Role.AGENCY_ADMIN)


def basic(user):
    raw = base64.b64encode(f"{user.username}:{TEST_PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}", "HTTP_ACCEPT": TAXII}


def deactivate(agency, by):
    actions.set_agency_active(agency, False, by=by)


def test_open_session_is_cut_off_at_the_next_request(client, lead_user, incident, superuser):
    client.force_login(lead_user)
    assert client.get(incident.get_absolute_url()).status_code == 200

    deactivate(lead_user.agency, superuser)

    page = client.get(incident.get_absolute_url())
    api = client.get(f"/api/v1/incidents/{incident.reference}/")
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert api.status_code in (401, 403)
    assert incident.title not in api.content.decode()


def test_session_cannot_write_the_agencys_cases(client, lead_user, incident, superuser):
    client.force_login(lead_user)
    deactivate(lead_user.agency, superuser)
    before = TimelineEntry.objects.count()

    response = client.post(
        f"/api/v1/incidents/{incident.reference}/timeline/",
        {"body": "Still here"},
        content_type="application/json",
    )

    assert response.status_code in (401, 403)
    assert TimelineEntry.objects.count() == before


def test_sign_in_form_refuses_the_users_of_an_inactive_agency(client, lead_user, superuser):
    deactivate(lead_user.agency, superuser)

    response = client.post(
        reverse("accounts:login"), {"username": lead_user.username, "password": TEST_PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_token_is_refused_and_revoked(incident, lead_user, superuser):
    token, key = actions.create_api_token(
        lead_user, name="sync", scope=TokenScope.READ_WRITE, days=30
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/incidents/").status_code == 200

    deactivate(lead_user.agency, superuser)

    assert api.get("/api/v1/incidents/").status_code == 401
    assert api.post(
        f"/api/v1/incidents/{incident.reference}/timeline/", {"body": "x"}, format="json"
    ).status_code in (401, 403)
    token.refresh_from_db()
    assert token.revoked_reason == TokenRevocation.AGENCY_DEACTIVATED


def test_basic_auth_is_refused_on_taxii_and_blocklists(client, incident, lead_user, superuser):
    blocklist = reverse("exchange:incident_blocklist", args=[incident.reference])
    assert client.get(reverse("taxii:discovery"), **basic(lead_user)).status_code == 200

    deactivate(lead_user.agency, superuser)

    assert client.get(reverse("taxii:discovery"), **basic(lead_user)).status_code == 401
    assert client.get(blocklist, **basic(lead_user)).status_code == 401


def test_reactivation_restores_sign_in_but_not_tokens(client, lead_user, incident, superuser):
    _token, key = actions.create_api_token(lead_user, name="sync", scope=TokenScope.READ, days=30)
    deactivate(lead_user.agency, superuser)

    actions.set_agency_active(lead_user.agency, True, by=superuser)

    client.force_login(lead_user)
    assert client.get(incident.get_absolute_url()).status_code == 200
    client.logout()
    refused = client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Token revoked."


def test_other_agencies_keep_working(client, lead_user, invited_user, incident, superuser):
    _token, key = actions.create_api_token(
        invited_user, name="sync", scope=TokenScope.READ, days=30
    )

    deactivate(lead_user.agency, superuser)

    client.force_login(invited_user)
    assert client.get(incident.get_absolute_url()).status_code == 200
    assert ApiToken.objects.get(user=invited_user).revoked_at is None
    assert client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_activation_changes_are_audited(lead_user, superuser):
    actions.create_api_token(lead_user, name="sync", scope=TokenScope.READ, days=30)

    deactivate(lead_user.agency, superuser)
    actions.set_agency_active(lead_user.agency, True, by=superuser)

    deactivated = AuditRecord.objects.get(action=AuditAction.AGENCY_DEACTIVATED)
    activated = AuditRecord.objects.get(action=AuditAction.AGENCY_ACTIVATED)
    revoked = AuditRecord.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert deactivated.actor_id == activated.actor_id == superuser.pk
    assert deactivated.agency_id == activated.agency_id == lead_user.agency_id
    assert revoked.agency_id == lead_user.agency_id
    assert revoked.details["reason"] == TokenRevocation.AGENCY_DEACTIVATED


def test_only_platform_admins_deactivate_agencies(lead_user, agency_admin_of_lead):
    for user in (lead_user, agency_admin_of_lead):
        with pytest.raises(PermissionDenied):
            deactivate(lead_user.agency, user)
    assert Agency.objects.get(pk=lead_user.agency_id).is_active


# The Django admin, where agencies are deactivated


def agency_form_data(agency, **changes):
    data = {
        "name": agency.name,
        "short_name": agency.short_name,
        "country": agency.country.code,
        "kind": agency.kind,
        "is_active": "on" if agency.is_active else "",
        "mailbox": agency.mailbox,
        "phone": agency.phone,
        "timezone": agency.timezone,
        "language": agency.language,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_django_admin_change_form_goes_through_the_action(client, lead_user, superuser):
    actions.create_api_token(lead_user, name="sync", scope=TokenScope.READ, days=30)
    agency = lead_user.agency
    client.force_login(superuser)

    response = client.post(
        reverse("admin:accounts_agency_change", args=[agency.pk]),
        agency_form_data(agency, is_active=""),
    )

    assert response.status_code == 302
    agency.refresh_from_db()
    assert not agency.is_active
    assert AuditRecord.objects.filter(
        action=AuditAction.AGENCY_DEACTIVATED, actor_id=superuser.pk
    ).exists()
    assert ApiToken.objects.get().revoked_reason == TokenRevocation.AGENCY_DEACTIVATED


def test_django_admin_bulk_actions_deactivate_and_reactivate(client, lead_user, superuser):
    agency = lead_user.agency
    client.force_login(superuser)
    url = reverse("admin:accounts_agency_changelist")

    client.post(url, {"action": "deactivate_agencies", "_selected_action": [agency.pk]})
    agency.refresh_from_db()
    assert not agency.is_active

    client.post(url, {"action": "activate_agencies", "_selected_action": [agency.pk]})
    agency.refresh_from_db()
    assert agency.is_active
    assert AuditRecord.objects.filter(action=AuditAction.AGENCY_ACTIVATED).count() == 1


def test_platform_admin_cannot_deactivate_their_own_agency(client, lead_agency):
    admin = UserFactory(username="root2", agency=lead_agency, is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        reverse("admin:accounts_agency_change", args=[lead_agency.pk]),
        agency_form_data(lead_agency, is_active=""),
    )

    assert response.status_code == 200
    assert "You cannot deactivate your own agency." in response.content.decode()
    lead_agency.refresh_from_db()
    assert lead_agency.is_active


def test_any_other_save_of_an_inactive_agency_still_revokes_tokens(lead_user):
    # (A path that bypassed the action, e.g. a shell: no live token survives it.)
    actions.create_api_token(lead_user, name="sync", scope=TokenScope.READ, days=30)
    agency = lead_user.agency
    agency.is_active = False
    agency.save()

    assert ApiToken.objects.get().revoked_reason == TokenRevocation.AGENCY_DEACTIVATED

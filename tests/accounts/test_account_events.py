"""Account events in the audit trail, and an agency admin's view of their users' API tokens."""

import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import actions
from accounts.choices import Role, TokenRevocation, TokenScope
from accounts.models import ApiToken
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def edit_url(user):
    return reverse("accounts:agency_user_edit", args=[user.pk])


def revoke_url(user, token):
    return reverse("accounts:agency_user_token_revoke", args=[user.pk, token.pk])


def new_token(user, name="MISP pull"):
    return actions.create_api_token(user, name=name, scope=TokenScope.READ, days=30)


# Events of the agency user pages


def test_adding_a_user_records_user_created(login, agency_admin, mailoutbox):
    login(agency_admin).post(
        reverse("accounts:agency_user_create"),
        {
            "username": "nadia",
            "first_name": "Nadia",
            "last_name": "Neumann",
            "email": "nadia@bka.example.de",
            "role": Role.LIAISON_OFFICER,
            "language": "en",
            "timezone": "Europe/Berlin",
        },
    )

    created = AuditRecord.objects.get(action=AuditAction.USER_CREATED)
    assert created.actor_id == agency_admin.pk
    assert created.object_ref == "nadia"
    assert created.agency_id == agency_admin.agency_id
    assert created.details == {"role": Role.LIAISON_OFFICER}


def test_changing_a_role_records_the_fields_and_both_roles(agency_admin, lead_user):
    actions.update_user(
        agency_admin, lead_user, role=Role.SUPERVISOR, email="lena@new.example", language="en"
    )

    changed = AuditRecord.objects.get(action=AuditAction.USER_CHANGED)
    assert changed.details == {
        "fields": ["email", "role"],  # names only, and only what changed
        "role": {"old": Role.INVESTIGATOR, "new": Role.SUPERVISOR},
    }
    assert changed.agency_id == lead_user.agency_id
    assert "lena@new.example" not in str(changed.details)


def test_saving_without_a_change_records_nothing(agency_admin, lead_user):
    actions.update_user(agency_admin, lead_user, role=lead_user.role)

    assert not AuditRecord.objects.filter(action=AuditAction.USER_CHANGED).exists()


def test_deactivation_and_reactivation_are_recorded_once_each(login, agency_admin, lead_user):
    client = login(agency_admin)
    client.post(reverse("accounts:agency_user_deactivate", args=[lead_user.pk]))
    client.post(reverse("accounts:agency_user_deactivate", args=[lead_user.pk]))
    client.post(reverse("accounts:agency_user_reactivate", args=[lead_user.pk]))

    actions_recorded = list(
        AuditRecord.objects.filter(
            action__in=[AuditAction.USER_DEACTIVATED, AuditAction.USER_REACTIVATED]
        )
        .order_by("seq")
        .values_list("action", "actor_id", "agency_id", "object_ref")
    )
    assert actions_recorded == [
        (AuditAction.USER_DEACTIVATED, agency_admin.pk, lead_user.agency_id, lead_user.username),
        (AuditAction.USER_REACTIVATED, agency_admin.pk, lead_user.agency_id, lead_user.username),
    ]


def test_token_creation_and_revocation_are_recorded(lead_user):
    token, key = new_token(lead_user)
    actions.revoke_api_token(token, by=lead_user)

    created = AuditRecord.objects.get(action=AuditAction.TOKEN_CREATED)
    revoked = AuditRecord.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert created.details["scope"] == "read" and created.details["token"] == token.prefix
    assert revoked.details["reason"] == TokenRevocation.OWNER
    assert {created.agency_id, revoked.agency_id} == {lead_user.agency_id}
    assert key not in str(created.details) + str(revoked.details)


def test_first_password_of_a_new_account_is_no_change(lead_agency):
    user = UserFactory(agency=lead_agency)  # created, then given a password, then saved

    assert user.has_usable_password()
    assert not AuditRecord.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


# An agency admin sees and revokes the tokens of their agency's users


def test_user_edit_page_lists_the_users_tokens(login, agency_admin, lead_user):
    token, key = new_token(lead_user)
    new_token(agency_admin, name="Admin's own")

    html = login(agency_admin).get(edit_url(lead_user)).content.decode()

    assert "MISP pull" in html and f"{token.prefix}…" in html
    assert "Admin's own" not in html
    assert key not in html and token.key_hash not in html
    assert revoke_url(lead_user, token) in html
    assert "data-confirm=" in html


def test_agency_admin_revokes_a_users_token(login, agency_admin, lead_user):
    token, _key = new_token(lead_user)

    response = login(agency_admin).post(revoke_url(lead_user, token))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_reason == TokenRevocation.AGENCY_ADMIN
    revoked = AuditRecord.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert revoked.actor_id == agency_admin.pk
    assert revoked.agency_id == lead_user.agency_id


@pytest.mark.parametrize(("persona", "status"), [("other_admin", 404), ("lead_user", 403)])
def test_others_cannot_revoke_a_users_token(client, request, lead_user, persona, status):
    token, _key = new_token(lead_user)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(revoke_url(lead_user, token))

    assert response.status_code == status
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_is_sent_to_sign_in(client, lead_user):
    token, _key = new_token(lead_user)

    response = client.post(revoke_url(lead_user, token))

    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is None


def test_token_of_another_user_is_404_under_this_users_url(login, agency_admin, lead_user):
    colleague = UserFactory(agency=lead_user.agency)
    theirs, _key = new_token(colleague)

    assert login(agency_admin).post(revoke_url(lead_user, theirs)).status_code == 404


def test_revoke_needs_post(login, agency_admin, lead_user):
    token, _key = new_token(lead_user)

    assert login(agency_admin).get(revoke_url(lead_user, token)).status_code == 405


def test_user_edit_page_query_budget(login, agency_admin, lead_user, django_assert_max_num_queries):
    for n in range(5):
        new_token(lead_user, name=f"tool {n}")
    client = login(agency_admin)

    with django_assert_max_num_queries(4):
        assert client.get(edit_url(lead_user)).status_code == 200


# The same events from the Django admin


def admin_user_form(client, admin, user, **changes):
    """POST the admin's change form as drawn, with ``changes``."""
    type(user).objects.filter(pk=user.pk).update(
        date_joined=user.date_joined.replace(microsecond=0)
    )
    user.refresh_from_db()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "user_permissions")
    }
    data["groups"] = [group.pk for group in user.groups.all()]
    joined = timezone.localtime(user.date_joined, zoneinfo.ZoneInfo(admin.timezone))
    data.update(
        {
            "agency": user.agency_id,
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("last_login", None)
    data = {name: ("on" if value is True else value) for name, value in data.items()}
    data = {name: value for name, value in data.items() if value is not False}
    data.update(changes)
    return client.post(url, data)


def test_role_change_in_the_django_admin_records_user_changed(client, superuser, lead_user):
    client.force_login(superuser)

    response = admin_user_form(client, superuser, lead_user, role=Role.SUPERVISOR)

    assert response.status_code == 302
    changed = AuditRecord.objects.get(action=AuditAction.USER_CHANGED)
    assert changed.actor_id == superuser.pk
    assert changed.agency_id == lead_user.agency_id
    assert changed.details == {
        "fields": ["role"],
        "role": {"old": Role.INVESTIGATOR, "new": Role.SUPERVISOR},
    }


def test_user_added_in_the_django_admin_records_user_created(client, superuser, lead_agency):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "password1": "a-long-enough-passphrase-7",
            "password2": "a-long-enough-passphrase-7",
            "usable_password": "true",
            "agency": lead_agency.pk,
            "role": Role.INVESTIGATOR,
            "language": "en",
            "timezone": "Europe/Berlin",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = AuditRecord.objects.get(action=AuditAction.USER_CREATED)
    assert (created.actor_id, created.object_ref, created.agency_id) == (
        superuser.pk,
        "newbie",
        lead_agency.pk,
    )
    assert not AuditRecord.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()

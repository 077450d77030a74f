"""The audit trail pages: who reads what, filters, CSV export."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.choices import Role
from coordination.audit import record
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from tests.factories import UserFactory


@pytest.fixture
def lead_admin(lead_agency):
    return UserFactory(username="ada", agency=lead_agency, role=Role.AGENCY_ADMIN)


@pytest.fixture
def other_admin(other_agency):
    return UserFactory(username="otto", agency=other_agency, role=Role.AGENCY_ADMIN)


def test_investigator_cannot_read_the_audit_trail(login, lead_user):
    assert login(lead_user).get(reverse("audit:records")).status_code == 403
    assert login(lead_user).get(reverse("audit:export")).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("audit:records"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_agency_admin_sees_own_agency_records_only(login, lead_admin, lead_user, outsider):
    record(AuditAction.PASSWORD_CHANGED, actor=lead_user, target=lead_user)
    record(AuditAction.PASSWORD_CHANGED, actor=outsider, target=outsider)

    response = login(lead_admin).get(reverse("audit:records"))

    assert response.status_code == 200
    shown = {item.actor_name for item in response.context["page"].object_list}
    assert "lena" in shown
    assert "olga" not in shown


def test_lead_agency_admin_sees_who_of_a_partner_consulted_its_case(
    login, lead_admin, incident, invited_user
):
    record(
        AuditAction.VIEWED,
        actor=invited_user,
        object_type="incident",
        object_ref=incident.reference,
    )
    response = login(lead_admin).get(reverse("audit:records"), {"action": "viewed"})
    rows = list(response.context["page"].object_list)
    assert [(row.actor_name, row.object_ref) for row in rows] == [("francois", incident.reference)]


def test_superuser_sees_the_whole_platform(login, lead_user, outsider):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, agency=None)
    record(AuditAction.PASSWORD_CHANGED, actor=lead_user, target=lead_user)
    record(AuditAction.PASSWORD_CHANGED, actor=outsider, target=outsider)

    response = login(admin).get(reverse("audit:records"), {"action": "password_changed"})

    assert {row.actor_name for row in response.context["page"].object_list} == {"lena", "olga"}


def test_filters_by_who_kind_and_dates(login, lead_admin, lead_user):
    record(AuditAction.SIGN_IN, actor=lead_user, target=lead_user)
    record(AuditAction.EXPORTED, actor=lead_admin, object_type="incident", object_ref="CC-1")

    client = login(lead_admin)
    by_who = client.get(reverse("audit:records"), {"who": "lena"}).context["page"].object_list
    assert {row.actor_name for row in by_who} == {"lena"}
    by_kind = client.get(reverse("audit:records"), {"category": "disclosure"})
    assert {row.action for row in by_kind.context["page"].object_list} == {"exported"}


def test_end_date_before_start_date_is_an_error_beside_the_field(login, lead_admin):
    response = login(lead_admin).get(
        reverse("audit:records"), {"since": "2026-12-03", "until": "2026-12-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_csv_export_holds_the_filtered_records_and_is_recorded(login, lead_admin, lead_user):
    record(AuditAction.SIGN_IN, actor=lead_user, target=lead_user)
    record(AuditAction.PASSWORD_CHANGED, actor=lead_user, target=lead_user, details={"x": "=1"})

    response = login(lead_admin).get(reverse("audit:export"), {"who": "lena"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["action"] for row in rows} == {"sign_in", "password_changed"}
    assert all(row["who"] == "lena" for row in rows)
    from coordination.audit import recorder

    recorder.flush()
    assert AuditRecord.objects.filter(
        action=AuditAction.EXPORTED, object_type="audit records", actor_id=lead_admin.pk
    ).exists()


def test_empty_trail_says_so(login, lead_admin):
    response = login(lead_admin).get(reverse("audit:records"), {"reference": "nothing-here"})
    assert "No record matches these filters." in response.content.decode()

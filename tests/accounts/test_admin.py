"""The Django admin for superusers: it administers agencies, users and configuration.

Case records (incidents, evidence, requests, indicators, the outbox) are listed by their
metadata alone; nothing of them can be opened, added, changed or deleted there.
tests/security/test_admin_content.py replays the attack of issue #13 in full.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Agency, User
from incidents import actions
from incidents.choices import TLP
from incidents.models import Incident, ReferenceSequence, TimelineEntry
from tests.mfa import verified_login


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client(client, superuser):
    return verified_login(client, superuser)


@pytest.fixture
def data(incident, lead_user):
    actions.add_timeline_entry(incident, lead_user, body="Seized server imaged.", tlp=TLP.AMBER)
    return incident


@pytest.mark.django_db
class TestAdminPagesLoad:
    @pytest.mark.parametrize("model", [Agency, User, ReferenceSequence])
    def test_changelist_and_change_form(self, admin_client, data, model):
        obj = model.objects.first()
        assert obj is not None
        assert admin_client.get(_url(model, "changelist")).status_code == 200
        assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200

    @pytest.mark.parametrize(("model", "q"), [(Agency, "BKA"), (User, "lena")])
    def test_search(self, admin_client, data, model, q):
        response = admin_client.get(_url(model, "changelist"), {"q": q})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1

    def test_incidents_are_listed_and_found_by_reference(self, admin_client, data):
        response = admin_client.get(_url(Incident, "changelist"), {"q": data.reference})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1

    def test_incidents_are_not_found_by_title(self, admin_client, data):
        response = admin_client.get(_url(Incident, "changelist"), {"q": "Ransomware"})
        assert response.context["cl"].result_count == 0

    def test_agency_and_user_add_forms_load(self, admin_client):
        assert admin_client.get(_url(Agency, "add")).status_code == 200
        assert admin_client.get(_url(User, "add")).status_code == 200

    def test_user_admin_shows_agency_role_language_timezone(self, admin_client, lead_user):
        form = admin_client.get(_url(User, "change", lead_user.pk)).context["adminform"].form
        assert {"agency", "role", "language", "timezone"} <= set(form.fields)

    def test_non_staff_user_cannot_open_the_admin(self, login, lead_user):
        response = login(lead_user).get(_url(Agency, "changelist"))
        assert response.status_code == 302

    def test_guardian_permission_rows_are_not_registered(self):
        from incidents.models import IncidentGroupObjectPermission

        assert not admin.site.is_registered(IncidentGroupObjectPermission)

    def test_timeline_entries_are_not_registered(self):
        assert not admin.site.is_registered(TimelineEntry)


@pytest.mark.django_db
class TestCasesAreReadOnlyMetadata:
    def test_incident_admin_offers_no_add_change_delete_or_bulk_action(self, rf, superuser, data):
        model_admin = admin.site._registry[Incident]
        request = rf.get("/")
        request.user = superuser
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, data)
        assert not model_admin.has_delete_permission(request, data)
        assert not model_admin.get_actions(request)

    def test_incident_cannot_be_opened_added_edited_or_deleted(self, admin_client, data):
        assert admin_client.get(_url(Incident, "change", data.pk)).status_code == 403
        assert admin_client.get(_url(Incident, "history", data.pk)).status_code == 403
        assert admin_client.get(_url(Incident, "add")).status_code == 403
        assert admin_client.get(_url(Incident, "delete", data.pk)).status_code == 403
        response = admin_client.post(
            _url(Incident, "change", data.pk), {"title": "Edited by the platform admin"}
        )
        assert response.status_code == 403
        data.refresh_from_db()
        assert data.title != "Edited by the platform admin"
        assert Incident.objects.filter(pk=data.pk).exists()

    def test_reference_sequence_is_read_only(self, admin_client, data):
        sequence = ReferenceSequence.objects.first()
        assert admin_client.get(_url(ReferenceSequence, "add")).status_code == 403
        assert admin_client.get(_url(ReferenceSequence, "delete", sequence.pk)).status_code == 403
        admin_client.post(_url(ReferenceSequence, "change", sequence.pk), {"last_value": 0})
        sequence.refresh_from_db()
        assert sequence.last_value == 1

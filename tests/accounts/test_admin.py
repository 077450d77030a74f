"""The Django admin for superusers: every registered model loads; history stays read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Agency, User
from incidents import actions
from incidents.choices import TLP, TimelineKind
from incidents.models import Incident, Participation, ReferenceSequence, TimelineEntry
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
    @pytest.mark.parametrize("model", [Agency, User, Incident, TimelineEntry, ReferenceSequence])
    def test_changelist_and_change_form(self, admin_client, data, model):
        obj = model.objects.first()
        assert obj is not None
        assert admin_client.get(_url(model, "changelist")).status_code == 200
        assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200

    @pytest.mark.parametrize(
        ("model", "q"), [(Agency, "BKA"), (User, "lena"), (Incident, "Ransomware")]
    )
    def test_search(self, admin_client, data, model, q):
        response = admin_client.get(_url(model, "changelist"), {"q": q})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1

    def test_search_incident_by_reference(self, admin_client, data):
        response = admin_client.get(_url(Incident, "changelist"), {"q": data.reference})
        assert response.context["cl"].result_count == 1

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


@pytest.mark.django_db
class TestHistoryIsReadOnly:
    def test_timeline_admin_offers_no_add_change_or_delete(self, rf, superuser, data):
        model_admin = admin.site._registry[TimelineEntry]
        request = rf.get("/")
        request.user = superuser
        entry = TimelineEntry.objects.first()
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, entry)
        assert not model_admin.has_delete_permission(request, entry)
        assert "delete_selected" not in model_admin.get_actions(request)

    def test_timeline_add_delete_and_edit_are_refused(self, admin_client, data):
        entry = TimelineEntry.objects.first()
        assert admin_client.get(_url(TimelineEntry, "add")).status_code == 403
        assert admin_client.get(_url(TimelineEntry, "delete", entry.pk)).status_code == 403
        response = admin_client.post(
            _url(TimelineEntry, "change", entry.pk), {"body": "rewritten history"}
        )
        assert response.status_code == 403
        entry.refresh_from_db()
        assert entry.body != "rewritten history"

    def test_red_timeline_text_is_withheld_from_the_platform_admin(
        self, admin_client, incident, lead_user
    ):
        actions.add_timeline_entry(
            incident, lead_user, body="Informant name: X", tlp=TLP.RED, audience=[lead_user]
        )
        entry = TimelineEntry.objects.get(tlp=TLP.RED)
        response = admin_client.get(_url(TimelineEntry, "change", entry.pk))
        assert response.status_code == 200
        assert b"Informant name" not in response.content
        assert b"Withheld" in response.content

    def test_reference_sequence_is_read_only(self, admin_client, data):
        sequence = ReferenceSequence.objects.first()
        assert admin_client.get(_url(ReferenceSequence, "add")).status_code == 403
        assert admin_client.get(_url(ReferenceSequence, "delete", sequence.pk)).status_code == 403
        admin_client.post(_url(ReferenceSequence, "change", sequence.pk), {"last_value": 0})
        sequence.refresh_from_db()
        assert sequence.last_value == 1

    def test_participation_inline_is_read_only(self, admin_client, data):
        response = admin_client.get(_url(Incident, "change", data.pk))
        formset = response.context["inline_admin_formsets"][0]
        assert formset.formset.model is Participation
        assert not formset.has_add_permission
        assert not formset.has_delete_permission
        assert not formset.has_change_permission


@pytest.mark.django_db
class TestIncidentAdmin:
    def test_incidents_cannot_be_added_or_deleted(self, admin_client, data):
        assert admin_client.get(_url(Incident, "add")).status_code == 403
        assert admin_client.get(_url(Incident, "delete", data.pk)).status_code == 403
        assert Incident.objects.filter(pk=data.pk).exists()

    def test_reference_lead_agency_and_status_are_read_only(self, admin_client, data):
        form = admin_client.get(_url(Incident, "change", data.pk)).context["adminform"].form
        assert not {"reference", "lead_agency", "status"} & set(form.fields)

    def test_an_edit_is_recorded_on_the_timeline(self, admin_client, data, other_agency):
        response = admin_client.get(_url(Incident, "change", data.pk))
        form = response.context["adminform"].form
        post = {
            name: value
            for name, value in form.initial.items()
            if name in form.fields and value is not None
        }
        post["affected_countries"] = ["DE"]
        post["title"] = "Ransomware attack on two hospital networks"
        post.update(
            {
                "participations-TOTAL_FORMS": "1",
                "participations-INITIAL_FORMS": "1",
                "participations-MIN_NUM_FORMS": "0",
                "participations-MAX_NUM_FORMS": "1000",
                "participations-0-id": str(data.participations.first().pk),
                "participations-0-incident": str(data.pk),
                "detected_at_0": data.detected_at.strftime("%Y-%m-%d"),
                "detected_at_1": data.detected_at.strftime("%H:%M:%S"),
            }
        )
        post.pop("detected_at", None)
        before = data.timeline.count()
        response = admin_client.post(_url(Incident, "change", data.pk), post)
        assert response.status_code == 302, response.context["adminform"].form.errors
        data.refresh_from_db()
        assert data.title == "Ransomware attack on two hospital networks"
        assert data.timeline.count() == before + 1
        latest = data.timeline.order_by("-recorded_at", "-pk").first()
        assert latest.kind == TimelineKind.SYSTEM
        assert "title" in latest.body

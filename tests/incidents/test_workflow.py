import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import Role
from incidents import actions
from incidents.choices import Status, TimelineKind
from incidents.exceptions import TransitionNotAllowed
from incidents.models import Incident
from tests.factories import UserFactory, make_incident


@pytest.mark.django_db
class TestStatusWorkflow:
    def test_incident_moves_along_the_workflow_writing_timeline_entries(self, lead_user):
        incident = make_incident(lead_user)
        for status in (Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED, Status.CLOSED):
            actions.change_status(incident, lead_user, status)
        incident.refresh_from_db()
        assert incident.status == Status.CLOSED
        changes = incident.timeline.filter(kind=TimelineKind.STATUS_CHANGE)
        assert changes.count() == 4
        assert "**Resolved** to **Closed**" in changes.first().body

    def test_skipping_a_step_is_refused_with_the_allowed_statuses(self, lead_user):
        incident = make_incident(lead_user)
        with pytest.raises(TransitionNotAllowed) as excinfo:
            actions.change_status(incident, lead_user, Status.CLOSED)
        assert excinfo.value.allowed == [Status.INVESTIGATING]
        assert "cannot become closed" in excinfo.value.message
        incident.refresh_from_db()
        assert incident.status == Status.OPEN

    def test_reopening_needs_a_reason(self, lead_user):
        incident = make_incident(lead_user)
        for status in (Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED, Status.CLOSED):
            actions.change_status(incident, lead_user, status)
        with pytest.raises(ValidationError) as excinfo:
            actions.change_status(incident, lead_user, Status.INVESTIGATING, reason="  ")
        assert "reason" in excinfo.value.message_dict
        actions.change_status(incident, lead_user, Status.INVESTIGATING, reason="New victim found")
        incident.refresh_from_db()
        assert incident.status == Status.INVESTIGATING
        assert "New victim found" in incident.timeline.first().body

    def test_stale_status_loses_to_the_concurrent_change(self, lead_user):
        from incidents.exceptions import ConcurrentChange

        incident = make_incident(lead_user)
        stale = Incident.objects.get(pk=incident.pk)
        actions.change_status(incident, lead_user, Status.INVESTIGATING)
        # The stale copy still believes the incident is open.
        with pytest.raises(ConcurrentChange):
            actions.change_status(stale, lead_user, Status.INVESTIGATING)

    def test_contributor_cannot_change_status(self, incident, invited_user):
        with pytest.raises(PermissionDenied):
            actions.change_status(incident, invited_user, Status.INVESTIGATING)

    def test_liaison_officer_cannot_file_an_incident(self, lead_agency):
        liaison = UserFactory(agency=lead_agency, role=Role.LIAISON_OFFICER)
        with pytest.raises(PermissionDenied):
            make_incident(liaison)


@pytest.mark.django_db
class TestReferences:
    def test_references_are_sequential_per_year(self, lead_user):
        first = make_incident(lead_user)
        second = make_incident(lead_user)
        year = first.created_at.year
        assert first.reference == f"CC-{year}-000001"
        assert second.reference == f"CC-{year}-000002"

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import Role
from incidents import actions
from incidents.choices import Action, ParticipationRole, TimelineKind
from incidents.models import Incident
from incidents.permissions import allowed_actions, grant_user
from tests.factories import UserFactory, make_incident


@pytest.mark.django_db
class TestRestrict:
    def test_lead_agency_sees_its_incident_and_outsider_does_not(
        self, incident, lead_user, invited_user, outsider
    ):
        assert incident in Incident.objects.restrict(lead_user)
        assert incident in Incident.objects.restrict(invited_user)
        assert incident not in Incident.objects.restrict(outsider)

    def test_anonymous_and_inactive_users_see_nothing(self, incident, lead_user):
        from django.contrib.auth.models import AnonymousUser

        assert not Incident.objects.restrict(AnonymousUser()).exists()
        lead_user.is_active = False
        lead_user.save()
        assert not Incident.objects.restrict(lead_user).exists()

    def test_contributor_may_contribute_but_not_change_or_share(self, incident, invited_user):
        assert allowed_actions(invited_user, incident) == {Action.VIEW, Action.CONTRIBUTE}
        assert incident in Incident.objects.restrict(invited_user, Action.CONTRIBUTE)
        assert incident not in Incident.objects.restrict(invited_user, Action.CHANGE)

    def test_lead_liaison_officer_may_view_and_contribute_but_not_edit(self, incident, lead_agency):
        liaison = UserFactory(agency=lead_agency, role=Role.LIAISON_OFFICER)
        assert allowed_actions(liaison, incident) == {Action.VIEW, Action.CONTRIBUTE}

    def test_named_user_grant_makes_one_incident_visible(self, incident, outsider):
        grant_user(incident, outsider, [Action.VIEW])
        assert list(Incident.objects.restrict(outsider)) == [incident]

    def test_guardian_backend_agrees_with_restrict(self, incident, invited_user, outsider):
        assert invited_user.has_perm("incidents.view_incident", incident)
        assert not outsider.has_perm("incidents.view_incident", incident)

    def test_restrict_is_one_query_without_distinct(self, incident, lead_user):
        sql = str(Incident.objects.restrict(lead_user).query)
        assert "EXISTS" in sql
        assert "DISTINCT" not in sql


@pytest.mark.django_db
class TestSharing:
    def test_invited_agency_sees_the_case_and_loses_it_when_removed(
        self, lead_user, invited_agency, invited_user
    ):
        incident = make_incident(lead_user)
        assert incident not in Incident.objects.restrict(invited_user)
        participation = actions.share_incident(
            incident, invited_agency, ParticipationRole.OBSERVER, lead_user
        )
        assert incident in Incident.objects.restrict(invited_user)
        actions.remove_participation(participation, lead_user, reason="Case closed in France")
        assert incident not in Incident.objects.restrict(invited_user)
        kinds = list(incident.timeline.values_list("kind", flat=True))
        assert kinds.count(TimelineKind.PARTICIPATION) == 2
        assert "Case closed in France" in incident.timeline.first().body

    def test_inviting_twice_is_refused_clearly(self, incident, lead_user, invited_agency):
        with pytest.raises(ValidationError) as excinfo:
            actions.share_incident(incident, invited_agency, ParticipationRole.OBSERVER, lead_user)
        assert "already takes part" in excinfo.value.message_dict["agency"][0]

    def test_only_the_lead_agency_may_share(self, incident, invited_user, other_agency):
        with pytest.raises(PermissionDenied):
            actions.share_incident(incident, other_agency, ParticipationRole.OBSERVER, invited_user)

    def test_lead_agency_cannot_be_removed(self, incident, lead_user):
        lead = incident.participations.get(role=ParticipationRole.LEAD)
        with pytest.raises(ValidationError):
            actions.remove_participation(lead, lead_user)

    def test_role_change_regrants_permissions(self, incident, lead_user, invited_user):
        participation = incident.participations.get(agency=invited_user.agency)
        actions.change_participation_role(participation, ParticipationRole.OBSERVER, lead_user)
        assert allowed_actions(invited_user, incident) == {Action.VIEW}

    def test_user_moved_to_another_agency_loses_the_old_agency_cases(
        self, incident, invited_user, other_agency
    ):
        invited_user.agency = other_agency
        invited_user.save()
        assert incident not in Incident.objects.restrict(invited_user)

"""Participants endpoints: who takes part, sharing, role changes and removal."""

import pytest

from incidents.choices import ParticipationRole, TimelineKind
from incidents.models import Participation
from tests.factories import AgencyFactory, make_incident

pytestmark = pytest.mark.django_db


def participants(incident):
    return f"/api/v1/incidents/{incident.reference}/participants/"


@pytest.fixture
def ncsc(db):
    return AgencyFactory(name="NCSC-NL", short_name="NCSC-NL", country="NL")


class TestList:
    def test_lists_lead_and_invited_agencies(self, api_login, invited_user, incident, lead_user):
        response = api_login(invited_user).get(participants(incident))

        assert response.status_code == 200
        rows = response.json()["results"]
        assert [(r["agency"]["short_name"], r["role"]) for r in rows] == [
            ("BKA-CC", "lead"),
            ("OFAC", "contributor"),
        ]
        assert rows[1]["invited_by"] == lead_user.display_name
        assert rows[1]["created_at"].endswith("Z")

    def test_query_count_does_not_grow_with_rows(
        self, api_login, lead_user, django_assert_max_num_queries
    ):
        client = api_login(lead_user)
        incident = make_incident(lead_user)
        # a constant number, the caller's group ids included
        with django_assert_max_num_queries(4):
            assert client.get(participants(incident)).json()["count"] == 1
        for n in range(8):
            agency = AgencyFactory(short_name=f"AG{n}", country="BE")
            client.post(participants(incident), {"agency": agency.pk, "role": "observer"})
        with django_assert_max_num_queries(4):
            assert client.get(participants(incident)).json()["count"] == 9


class TestShare:
    def test_lead_shares_with_an_agency(self, api_login, lead_user, incident, ncsc):
        response = api_login(lead_user).post(
            participants(incident), {"agency": ncsc.pk, "role": "observer"}, format="json"
        )

        assert response.status_code == 201, response.content
        assert response.json()["agency"]["country"] == "NL"
        assert response.json()["role"] == "observer"
        assert Participation.objects.get(incident=incident, agency=ncsc).role == "observer"
        assert incident.timeline.first().kind == TimelineKind.PARTICIPATION

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"role": "observer"}, "agency"),
            ({"agency": 999999, "role": "observer"}, "agency"),
            ({"agency": "{ncsc}", "role": "owner"}, "role"),
            ({"agency": "{ncsc}", "role": "lead"}, "role"),
            ({"agency": "{invited}", "role": "observer"}, "agency"),  # already takes part
        ],
    )
    def test_bad_input_answers_400_and_stores_nothing(
        self, api_login, lead_user, incident, ncsc, invited_agency, payload, field
    ):
        ids = {"{ncsc}": ncsc.pk, "{invited}": invited_agency.pk}
        payload = {key: ids.get(value, value) for key, value in payload.items()}
        before = Participation.objects.count()

        response = api_login(lead_user).post(participants(incident), payload, format="json")

        assert response.status_code == 400
        assert field in response.json(), response.json()
        assert Participation.objects.count() == before

    def test_inactive_agency_is_refused(self, api_login, lead_user, incident, ncsc):
        ncsc.is_active = False
        ncsc.save()
        response = api_login(lead_user).post(
            participants(incident), {"agency": ncsc.pk, "role": "observer"}, format="json"
        )
        assert response.status_code == 400
        assert "agency" in response.json()

    def test_contributor_cannot_share(self, api_login, invited_user, incident, ncsc):
        response = api_login(invited_user).post(
            participants(incident), {"agency": ncsc.pk, "role": "observer"}, format="json"
        )
        assert response.status_code == 403
        assert not Participation.objects.filter(agency=ncsc).exists()


class TestRoleAndRemoval:
    def test_lead_demotes_a_contributor(self, api_login, lead_user, invited_user, incident):
        path = f"{participants(incident)}{invited_user.agency_id}/"
        response = api_login(lead_user).patch(path, {"role": "observer"}, format="json")

        assert response.status_code == 200
        assert response.json()["role"] == "observer"
        # Then the demoted agency can no longer write to the timeline
        response = api_login(invited_user).post(
            f"/api/v1/incidents/{incident.reference}/timeline/", {"body": "x"}, format="json"
        )
        assert response.status_code == 403

    def test_lead_role_cannot_change(self, api_login, lead_user, incident):
        path = f"{participants(incident)}{lead_user.agency_id}/"
        response = api_login(lead_user).patch(path, {"role": "observer"}, format="json")
        assert response.status_code == 400
        assert "role" in response.json()
        participation = Participation.objects.get(incident=incident, agency=lead_user.agency)
        assert participation.role == ParticipationRole.LEAD

    def test_lead_agency_cannot_be_removed(self, api_login, lead_user, incident):
        response = api_login(lead_user).delete(f"{participants(incident)}{lead_user.agency_id}/")
        assert response.status_code == 400
        assert "agency" in response.json()
        assert Participation.objects.filter(incident=incident, agency=lead_user.agency).exists()

    def test_removal_is_written_with_its_reason(self, api_login, lead_user, incident):
        path = f"{participants(incident)}{incident.participations.last().agency_id}/"
        response = api_login(lead_user).delete(f"{path}?reason=Case+closed+in+France")
        assert response.status_code == 204
        assert "Case closed in France" in incident.timeline.first().body

    def test_agency_not_taking_part_answers_404(self, api_login, lead_user, incident, ncsc):
        response = api_login(lead_user).delete(f"{participants(incident)}{ncsc.pk}/")
        assert response.status_code == 404

    def test_put_is_not_offered(self, api_login, lead_user, invited_agency, incident):
        path = f"{participants(incident)}{invited_agency.pk}/"
        response = api_login(lead_user).put(path, {"role": "observer"}, format="json")
        assert response.status_code == 405

"""Incident endpoints: list, filters, detail, filing, editing and status changes."""

from unittest import mock

import pytest
from django.utils import timezone

from incidents.choices import Status, TimelineKind
from incidents.exceptions import ConcurrentChange
from incidents.models import Incident, TimelineEntry
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

LIST = "/api/v1/incidents/"


def detail(incident):
    return f"/api/v1/incidents/{incident.reference}/"


class TestList:
    def test_lists_incidents_shared_with_my_agency(self, api_login, incident, invited_user):
        response = api_login(invited_user).get(LIST)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        row = body["results"][0]
        assert row["reference"] == incident.reference
        assert row["tlp"] == "amber"
        assert row["status"] == "open"
        assert row["lead_agency"] == {
            "id": incident.lead_agency_id,
            "short_name": "BKA-CC",
            "name": "Bundeskriminalamt Cybercrime",
            "country": "DE",
        }
        assert row["affected_countries"] == ["DE"]
        assert row["url"].endswith(detail(incident))

    def test_outsider_list_leaks_nothing(self, api_login, incident, outsider):
        client = api_login(outsider)

        assert client.get(LIST).json()["count"] == 0
        for q in (incident.reference, incident.title, "Ransomware"):
            response = client.get(LIST, {"q": q})
            assert response.status_code == 200
            assert response.json()["count"] == 0
            assert incident.reference not in response.content.decode()

    def test_filters_and_search(self, api_login, lead_user):
        # Given two incidents of different severity, country and exercise flag
        ransomware = make_incident(lead_user, severity="high", affected_countries=["DE", "FR"])
        exercise = make_incident(
            lead_user,
            title="Cyber Europe exercise: DDoS on a grid operator",
            severity="low",
            category="availability",
            is_exercise=True,
            affected_countries=["NL"],
        )
        client = api_login(lead_user)

        def refs(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200, response.content
            return {row["reference"] for row in response.json()["results"]}

        # Exercises stay out of the real list unless asked for.
        assert refs(severity="low") == set()
        assert refs(severity="low", is_exercise="true") == {exercise.reference}
        assert refs(country="FR") == {ransomware.reference}
        assert refs(is_exercise="true") == {exercise.reference}
        assert refs(is_exercise="false") == {ransomware.reference}
        assert refs(category="availability", is_exercise="true") == {exercise.reference}
        assert refs(q="grid", is_exercise="true") == {exercise.reference}
        assert refs(q=ransomware.reference) == {ransomware.reference}
        assert refs(status="open", tlp="amber") == {ransomware.reference}
        response = client.get(LIST, {"sort": "title", "is_exercise": "true"})
        assert [r["reference"] for r in response.json()["results"]] == [exercise.reference]
        response = client.get(LIST)
        assert response.json()["count"] == 1

    def test_unknown_filter_value_answers_400(self, api_login, lead_user, incident):
        response = api_login(lead_user).get(LIST, {"severity": "apocalyptic"})
        assert response.status_code == 400
        assert "severity" in response.json()

    def test_paginates(self, api_login, lead_user):
        for n in range(3):
            make_incident(lead_user, title=f"Incident {n}")
        response = api_login(lead_user).get(LIST, {"page_size": 2})
        body = response.json()
        assert body["count"] == 3
        assert len(body["results"]) == 2
        assert body["next"]

    def test_a_filtered_list_is_counted_so_far_and_says_so(self, settings, api_login, lead_user):
        settings.API_COUNT_LIMIT = 3
        for n in range(6):
            make_incident(lead_user, title=f"Incident {n}")
        client = api_login(lead_user)
        first = client.get(LIST, {"status": "open", "page_size": 1}).json()
        assert (first["count"], first["count_capped"]) == (3, True)
        # Deeper pages move the limit: a next page is offered while there is one.
        fifth = client.get(LIST, {"status": "open", "page_size": 1, "page": 5}).json()
        assert (fifth["count"], fifth["count_capped"], bool(fifth["next"])) == (6, False, True)
        last = client.get(LIST, {"status": "open", "page_size": 1, "page": 6}).json()
        assert (last["count"], last["count_capped"], last["next"]) == (6, False, None)
        whole = client.get(LIST).json()  # unfiltered: counted from the grants, exactly
        assert (whole["count"], whole["count_capped"]) == (6, False)

    def test_query_count_does_not_grow_with_rows(
        self, api_login, lead_user, invited_agency, django_assert_max_num_queries
    ):
        client = api_login(lead_user)
        make_incident(lead_user)
        with django_assert_max_num_queries(4):  # the page's tags: one query
            assert client.get(LIST).json()["count"] == 1
        for n in range(12):
            make_incident(
                lead_user, title=f"Case {n}", shared_with=[(invited_agency, "contributor")]
            )
        with django_assert_max_num_queries(4):  # the page's tags: one query
            assert client.get(LIST).json()["count"] == 13


class TestDetail:
    def test_times_are_utc_whatever_my_time_zone(self, client, lead_user, incident):
        # Given a session in Berlin time (the browser session's middleware activates it)
        client.force_login(lead_user)

        response = client.get(detail(incident))

        assert response.status_code == 200
        body = response.json()
        for field in ("detected_at", "created_at", "updated_at"):
            assert body[field].endswith("Z"), body[field]
        assert body["allowed_actions"] == ["view", "contribute", "change", "share"]

    def test_contributor_sees_what_it_may_do(self, api_login, invited_user, incident):
        body = api_login(invited_user).get(detail(incident)).json()
        assert body["allowed_actions"] == ["view", "contribute"]

    def test_query_count(self, api_login, lead_user, incident, django_assert_max_num_queries):
        client = api_login(lead_user)
        with django_assert_max_num_queries(3):  # the incident, its rights; its tags
            assert client.get(detail(incident)).status_code == 200


class TestCreate:
    def test_files_an_incident_led_by_my_agency(self, api_login, lead_user):
        payload = {
            "title": "Business email compromise at a port authority",
            "summary": "Invoices diverted to a mule account.",
            "category": "fraud",
            "severity": "high",
            "tlp": "amber+strict",
            "affected_countries": ["nl", "DE", "NL"],
            "detected_at": "2026-01-10T08:30:00+01:00",
            "is_exercise": False,
        }

        response = api_login(lead_user).post(LIST, payload, format="json")

        assert response.status_code == 201, response.content
        body = response.json()
        incident = Incident.objects.get(reference=body["reference"])
        assert response["Location"].endswith(detail(incident))
        assert incident.lead_agency == lead_user.agency
        assert incident.created_by == lead_user
        assert [c.code for c in incident.affected_countries] == ["DE", "NL"]
        assert body["affected_countries"] == ["DE", "NL"]
        assert body["detected_at"] == "2026-01-10T07:30:00Z"
        assert body["status"] == "open"
        assert incident.timeline.filter(kind=TimelineKind.SYSTEM).exists()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({}, "title"),
            ({"title": "x", "severity": "apocalyptic"}, "severity"),
            ({"title": "x", "tlp": "purple"}, "tlp"),
            ({"title": "x", "affected_countries": ["XX"]}, "affected_countries"),
            ({"title": "x", "detected_at": "yesterday"}, "detected_at"),
            ({"title": "x" * 201}, "title"),
        ],
    )
    def test_bad_input_answers_400_with_field_errors(self, api_login, lead_user, payload, field):
        response = api_login(lead_user).post(LIST, payload, format="json")

        assert response.status_code == 400
        assert field in response.json()
        assert not Incident.objects.exists()

    def test_rule_broken_in_the_action_answers_400_on_its_field(self, api_login, lead_user):
        # Given a detection time in the future: the action refuses it
        future = (timezone.now() + timezone.timedelta(days=1)).isoformat()

        response = api_login(lead_user).post(
            LIST, {"title": "Time traveller", "detected_at": future}, format="json"
        )

        assert response.status_code == 400
        assert "detected_at" in response.json()
        assert not Incident.objects.exists()

    def test_read_only_fields_are_ignored(self, api_login, lead_user, other_agency):
        response = api_login(lead_user).post(
            LIST,
            {"title": "Defacement", "status": "closed", "lead_agency": other_agency.pk},
            format="json",
        )
        assert response.status_code == 201
        incident = Incident.objects.get()
        assert incident.status == Status.OPEN
        assert incident.lead_agency == lead_user.agency

    def test_user_without_agency_cannot_file(self, api_login, django_user_model):
        admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
        response = api_login(admin).post(LIST, {"title": "x"}, format="json")
        assert response.status_code == 403
        assert not Incident.objects.exists()


class TestUpdate:
    def test_lead_edits_some_fields(self, api_login, lead_user, incident):
        response = api_login(lead_user).patch(
            detail(incident),
            {"severity": "critical", "affected_countries": ["FR", "DE"]},
            format="json",
        )

        assert response.status_code == 200, response.content
        assert response.json()["severity"] == "critical"
        incident.refresh_from_db()
        assert incident.severity == "critical"
        assert [c.code for c in incident.affected_countries] == ["DE", "FR"]
        assert "Details edited" in incident.timeline.first().body

    def test_bad_patch_answers_400_and_changes_nothing(self, api_login, lead_user, incident):
        response = api_login(lead_user).patch(
            detail(incident), {"severity": "apocalyptic", "title": ""}, format="json"
        )

        assert response.status_code == 400
        assert set(response.json()) == {"severity", "title"}
        incident.refresh_from_db()
        assert incident.severity == "high"

    def test_put_needs_the_title(self, api_login, lead_user, incident):
        response = api_login(lead_user).put(detail(incident), {"severity": "low"}, format="json")
        assert response.status_code == 400
        assert "title" in response.json()

    def test_contributor_cannot_edit(self, api_login, invited_user, incident):
        response = api_login(invited_user).patch(
            detail(incident), {"title": "Hijacked"}, format="json"
        )
        assert response.status_code == 403
        incident.refresh_from_db()
        assert incident.title != "Hijacked"


class TestStatus:
    def status(self, incident):
        return f"{detail(incident)}status/"

    def test_lead_moves_the_incident_on(self, api_login, lead_user, incident):
        response = api_login(lead_user).post(
            self.status(incident), {"status": "investigating"}, format="json"
        )

        assert response.status_code == 200
        assert response.json()["status"] == "investigating"
        incident.refresh_from_db()
        assert incident.status == Status.INVESTIGATING

    def test_skipping_a_step_answers_409_with_the_allowed_statuses(
        self, api_login, lead_user, incident
    ):
        response = api_login(lead_user).post(
            self.status(incident), {"status": "closed"}, format="json"
        )

        assert response.status_code == 409
        assert response.json()["allowed"] == ["investigating"]
        assert "cannot become closed" in response.json()["detail"]
        incident.refresh_from_db()
        assert incident.status == Status.OPEN

    def test_reopening_without_reason_answers_400(self, api_login, lead_user, incident):
        client = api_login(lead_user)
        for status in ("investigating", "contained", "resolved"):
            assert client.post(self.status(incident), {"status": status}).status_code == 200
        entries = TimelineEntry.objects.count()

        response = client.post(self.status(incident), {"status": "investigating"}, format="json")

        assert response.status_code == 400
        assert "reason" in response.json()
        assert TimelineEntry.objects.count() == entries
        response = client.post(
            self.status(incident),
            {"status": "investigating", "reason": "A second hospital was hit"},
            format="json",
        )
        assert response.status_code == 200

    def test_unknown_status_answers_400(self, api_login, lead_user, incident):
        response = api_login(lead_user).post(
            self.status(incident), {"status": "forgotten"}, format="json"
        )
        assert response.status_code == 400
        assert "status" in response.json()

    def test_lost_race_answers_409(self, api_login, lead_user, incident):
        with mock.patch("incidents.actions.change_status", side_effect=ConcurrentChange()):
            response = api_login(lead_user).post(
                self.status(incident), {"status": "investigating"}, format="json"
            )
        assert response.status_code == 409
        assert "Reload" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-3.5e+154", "1.5", "0", "99999999999999999999", "x"])
def test_lead_agency_filter_refuses_what_no_id_can_be(api_client, lead_user, value):
    api_client.force_authenticate(lead_user)
    response = api_client.get("/api/v1/incidents/", {"lead_agency": value})
    assert response.status_code == 400
    assert "lead_agency" in response.json()

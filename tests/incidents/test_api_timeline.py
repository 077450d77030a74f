"""Timeline endpoints: newest first, the TLP rule, append-only, corrections."""

import pytest
from django.utils import timezone

from accounts.choices import Role
from incidents import actions
from incidents.choices import TLP, ParticipationRole
from incidents.models import TimelineEntry
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def timeline(incident):
    return f"/api/v1/incidents/{incident.reference}/timeline/"


@pytest.fixture
def observer(incident, lead_user):
    agency = AgencyFactory(name="Polizia Postale", short_name="POLPOST", country="IT")
    actions.share_incident(incident, agency, ParticipationRole.OBSERVER, lead_user)
    return UserFactory(agency=agency, role=Role.INVESTIGATOR)


class TestList:
    def test_newest_first_with_authors_and_rendered_body(
        self, api_login, lead_user, invited_user, incident
    ):
        # Given a note from each agency, the older one written second
        earlier = timezone.now() - timezone.timedelta(hours=1)
        actions.add_timeline_entry(incident, lead_user, "Servers **isolated**.")
        actions.add_timeline_entry(
            incident, invited_user, "<script>x()</script>Mule account in Lyon.", occurred_at=earlier
        )

        response = api_login(invited_user).get(timeline(incident))

        assert response.status_code == 200
        rows = response.json()["results"]
        occurred = [row["occurred_at"] for row in rows]
        assert occurred == sorted(occurred, reverse=True)
        isolated = next(r for r in rows if "isolated" in r["body"])
        assert isolated["body_html"] == "<p>Servers <strong>isolated</strong>.</p>"
        assert isolated["author_name"] == lead_user.display_name
        assert isolated["author_agency"]["short_name"] == "BKA-CC"
        assert isolated["kind"] == "note"
        assert isolated["tlp"] == "amber"
        assert isolated["recorded_at"].endswith("Z")
        lyon = next(r for r in rows if "Lyon" in r["body"])
        assert "<script>" not in lyon["body_html"]
        assert lyon["author_agency"]["country"] == "FR"

    def test_tlp_rule_hides_strict_and_red_entries(
        self, api_login, lead_user, invited_user, lead_agency, incident
    ):
        # Given an AMBER+STRICT note, a RED note for a colleague and a RED note for the contributor
        colleague = UserFactory(agency=lead_agency)
        actions.add_timeline_entry(incident, lead_user, "Internal only", tlp=TLP.AMBER_STRICT)
        actions.add_timeline_entry(
            incident, lead_user, "Source name", tlp=TLP.RED, audience=[colleague]
        )
        actions.add_timeline_entry(
            incident, lead_user, "For Francois", tlp=TLP.RED, audience=[invited_user]
        )

        def bodies(user):
            response = api_login(user).get(timeline(incident))
            return {row["body"] for row in response.json()["results"]}

        # Then the contributor sees neither the strict nor the other RED note
        seen = bodies(invited_user)
        assert "For Francois" in seen
        assert not {"Internal only", "Source name"} & seen
        # And the author's colleague sees the strict note and their RED note only
        seen = bodies(colleague)
        assert {"Internal only", "Source name"} <= seen
        assert "For Francois" not in seen

    def test_hidden_entry_answers_404(self, api_login, lead_user, invited_user, incident):
        entry = actions.add_timeline_entry(incident, lead_user, "Strict", tlp=TLP.AMBER_STRICT)
        response = api_login(invited_user).get(f"{timeline(incident)}{entry.pk}/")
        assert response.status_code == 404

    def test_entry_of_another_incident_answers_404(self, api_login, lead_user, incident):
        from tests.factories import make_incident

        other = make_incident(lead_user, title="Another case")
        entry = other.timeline.first()
        response = api_login(lead_user).get(f"{timeline(incident)}{entry.pk}/")
        assert response.status_code == 404

    def test_query_count_does_not_grow_with_rows(
        self, api_login, lead_user, invited_user, incident, django_assert_max_num_queries
    ):
        client = api_login(invited_user)
        # a constant number, the caller's group ids included
        with django_assert_max_num_queries(6):
            assert client.get(timeline(incident)).status_code == 200
        for n in range(10):
            actions.add_timeline_entry(incident, lead_user, f"Note {n}")
            actions.add_timeline_entry(
                incident, lead_user, f"Red {n}", tlp=TLP.RED, audience=[invited_user]
            )
        with django_assert_max_num_queries(6):
            response = client.get(timeline(incident))
        assert response.json()["count"] >= 20


class TestAdd:
    def test_contributor_adds_a_note(self, api_login, invited_user, incident):
        response = api_login(invited_user).post(
            timeline(incident),
            {"body": "Ransom wallet seen in *two* other cases.", "tlp": "amber+strict"},
            format="json",
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["body_html"] == "<p>Ransom wallet seen in <em>two</em> other cases.</p>"
        assert body["tlp"] == "amber+strict"
        assert body["author_agency"]["short_name"] == "OFAC"
        entry = TimelineEntry.objects.get(pk=body["id"])
        assert entry.author == invited_user

    def test_red_note_for_named_users(self, api_login, lead_user, invited_user, incident):
        response = api_login(lead_user).post(
            timeline(incident),
            {"body": "Informant's name", "tlp": "red", "audience": [invited_user.pk]},
            format="json",
        )

        assert response.status_code == 201, response.content
        assert response.json()["audience"] == [invited_user.pk]

    def test_correction_points_at_the_corrected_entry(self, api_login, lead_user, incident):
        wrong = actions.add_timeline_entry(incident, lead_user, "Wallet bc1qxx")
        response = api_login(lead_user).post(
            timeline(incident),
            {"body": "Wallet is bc1qyy", "corrects": wrong.pk},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["corrects"] == wrong.pk
        assert TimelineEntry.objects.get(pk=wrong.pk).body == "Wallet bc1qxx"

    def test_observer_cannot_add(self, api_login, observer, incident):
        before = TimelineEntry.objects.count()
        response = api_login(observer).post(timeline(incident), {"body": "Hi"}, format="json")
        assert response.status_code == 403
        assert TimelineEntry.objects.count() == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({}, "body"),
            ({"body": "   "}, "body"),
            ({"body": "x", "tlp": "green"}, "tlp"),  # lower than the incident's AMBER
            ({"body": "x", "tlp": "purple"}, "tlp"),
            ({"body": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
            ({"body": "x", "corrects": 999999}, "corrects"),
            ({"body": "x", "audience": [999999], "tlp": "red"}, "audience"),
        ],
    )
    def test_bad_input_answers_400_and_stores_nothing(
        self, api_login, invited_user, incident, payload, field
    ):
        before = TimelineEntry.objects.count()
        response = api_login(invited_user).post(timeline(incident), payload, format="json")
        assert response.status_code == 400
        assert field in response.json(), response.json()
        assert TimelineEntry.objects.count() == before

    def test_audience_only_for_red(self, api_login, lead_user, invited_user, incident):
        response = api_login(lead_user).post(
            timeline(incident),
            {"body": "x", "tlp": "amber", "audience": [invited_user.pk]},
            format="json",
        )
        assert response.status_code == 400
        assert "audience" in response.json()

    def test_outsider_cannot_be_named_recipient(self, api_login, lead_user, outsider, incident):
        # An outsider's id is refused like an unknown id: nothing is said about them.
        response = api_login(lead_user).post(
            timeline(incident),
            {"body": "x", "tlp": "red", "audience": [outsider.pk]},
            format="json",
        )
        assert response.status_code == 400
        assert "audience" in response.json()

    def test_cannot_correct_an_entry_i_do_not_see(
        self, api_login, lead_user, invited_user, incident
    ):
        strict = actions.add_timeline_entry(incident, lead_user, "Internal", tlp=TLP.AMBER_STRICT)
        response = api_login(invited_user).post(
            timeline(incident), {"body": "x", "corrects": strict.pk}, format="json"
        )
        assert response.status_code == 400
        assert "corrects" in response.json()

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_entries_are_append_only(self, api_login, lead_user, incident, method):
        entry = incident.timeline.first()
        response = getattr(api_login(lead_user), method)(
            f"{timeline(incident)}{entry.pk}/", {"body": "rewritten"}, format="json"
        )
        assert response.status_code == 405
        assert TimelineEntry.objects.get(pk=entry.pk).body == entry.body

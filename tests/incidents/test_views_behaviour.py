"""What the incident pages do: filters, forms that keep input, status, TLP, sanitising."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from incidents import actions
from incidents.choices import TLP, ParticipationRole, Severity, Status
from incidents.models import Incident, Participation, TimelineEntry
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db


def _results(response):
    """The HTML of the list's results section (the search box echoes the query)."""
    body = response.content.decode()
    return body[body.index('id="results"') :]


class TestList:
    def test_filters_and_search_narrow_the_list(self, client, lead_user):
        # Given three incidents of different status, severity and kind
        phishing = make_incident(lead_user, title="Phishing wave", severity=Severity.LOW)
        ddos = make_incident(lead_user, title="DDoS on tax portal", severity=Severity.CRITICAL)
        drill = make_incident(lead_user, title="Cyber Europe drill", is_exercise=True)
        actions.change_status(ddos, lead_user, Status.INVESTIGATING)
        client.force_login(lead_user)
        url = reverse("incidents:list")

        # When filtering by severity, status, exercise and searching
        critical = _results(client.get(url, {"severity": "critical"}))
        investigating = _results(client.get(url, {"status": "investigating"}))
        exercises = _results(client.get(url, {"is_exercise": "true"}))
        searched = _results(client.get(url, {"q": "phishing"}))
        by_ref = _results(client.get(url, {"q": drill.reference, "is_exercise": "true"}))
        everyday = _results(client.get(url))

        # Then each shows only what matches
        assert ddos.title in critical and phishing.title not in critical
        assert ddos.title in investigating and drill.title not in investigating
        assert drill.title in exercises and ddos.title not in exercises
        assert phishing.title in searched and ddos.title not in searched
        assert drill.title in by_ref and phishing.title not in by_ref
        assert phishing.title in everyday and drill.title not in everyday  # real cases only

    def test_no_match_offers_to_clear_filters(self, client, lead_user):
        make_incident(lead_user)
        client.force_login(lead_user)
        body = _results(client.get(reverse("incidents:list"), {"q": "nothing-like-this"}))
        assert "No incident matches these filters" in body
        assert f'href="{reverse("incidents:list")}"' in body

    def test_no_incidents_at_all_invites_to_file_one(self, client, lead_user):
        client.force_login(lead_user)
        body = _results(client.get(reverse("incidents:list")))
        assert "No incidents yet" in body
        assert reverse("incidents:create") in body

    def test_pages_keep_the_filters_and_sort(self, client, lead_user):
        for n in range(27):
            make_incident(lead_user, title=f"Botnet node {n:02d}", severity=Severity.HIGH)
        client.force_login(lead_user)
        response = client.get(reverse("incidents:list"), {"severity": "high", "sort": "title"})
        body = _results(response)
        assert "27 incidents" in body
        assert "page=2" in body and "severity=high" in body and "sort=title" in body
        page2 = _results(
            client.get(reverse("incidents:list"), {"severity": "high", "sort": "title", "page": 2})
        )
        assert "Botnet node 26" in page2 and "Botnet node 00" not in page2

    def test_htmx_request_gets_only_the_results(self, client, lead_user):
        make_incident(lead_user, title="Phishing wave")
        client.force_login(lead_user)
        response = client.get(
            reverse("incidents:list"),
            {"q": "phish"},
            headers={"HX-Request": "true", "HX-Target": "results"},
        )
        body = response.content.decode()
        assert body.lstrip().startswith("<section") and "<html" not in body
        assert "Phishing wave" in body


class TestCreateAndEdit:
    def test_create_files_the_incident_in_the_users_time_zone(self, client, lead_user):
        client.force_login(lead_user)  # Europe/Berlin
        response = client.post(
            reverse("incidents:create"),
            {
                "title": "Supply-chain compromise",
                "summary": "Backdoored update",
                "category": "intrusions",
                "severity": "high",
                "tlp": "amber",
                "affected_countries": ["DE", "AT"],
                "detected_at": "2026-01-10T09:30",
            },
        )
        incident = Incident.objects.get(title="Supply-chain compromise")
        assert response.status_code == 302
        assert response["Location"] == incident.get_absolute_url()
        assert incident.lead_agency == lead_user.agency
        assert [c.code for c in incident.affected_countries] == ["AT", "DE"]
        # 09:30 in Berlin (CET, UTC+1) is 08:30 UTC
        assert incident.detected_at.astimezone(datetime.UTC).strftime("%H:%M") == "08:30"

    def test_create_keeps_input_and_shows_field_errors(self, client, lead_user):
        client.force_login(lead_user)
        future = (timezone.localtime(timezone.now()) + timezone.timedelta(days=3)).strftime(
            "%Y-%m-%dT%H:%M"
        )
        response = client.post(
            reverse("incidents:create"),
            {
                "title": "Data leak of a ministry",
                "category": "information-content-security",
                "severity": "medium",
                "tlp": "amber",
                "detected_at": future,
            },
        )
        body = response.content.decode()
        # The action's ValidationError lands beside the field, the input is kept
        assert response.status_code == 400
        assert "The detection time cannot be in the future." in body
        assert 'id="id_detected_at_error"' in body
        assert 'value="Data leak of a ministry"' in body
        assert not Incident.objects.filter(title="Data leak of a ministry").exists()

    def test_create_shows_required_field_errors(self, client, lead_user):
        client.force_login(lead_user)
        response = client.post(reverse("incidents:create"), {"summary": "keep me"})
        body = response.content.decode()
        assert response.status_code == 400
        assert 'id="id_title_error"' in body
        assert "keep me" in body

    def test_edit_saves_only_what_changed(self, client, lead_user, incident):
        client.force_login(lead_user)
        form = client.get(reverse("incidents:edit", args=[incident.reference])).context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        data["detected_at"] = form["detected_at"].value().strftime("%Y-%m-%dT%H:%M")
        data["affected_countries"] = [c.code for c in incident.affected_countries]
        data["severity"] = "critical"
        data["is_exercise"] = ""
        response = client.post(reverse("incidents:edit", args=[incident.reference]), data)
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.severity == Severity.CRITICAL
        entry = incident.timeline.first()
        assert entry.body == "Details edited: severity."

    def test_edit_keeps_input_on_error(self, client, lead_user, incident):
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:edit", args=[incident.reference]),
            {"title": "", "summary": "New summary text", "severity": "nonsense"},
        )
        body = response.content.decode()
        assert response.status_code == 400
        assert "New summary text" in body
        assert 'id="id_severity_error"' in body and 'id="id_title_error"' in body


class TestStatus:
    def test_lead_moves_the_status_along(self, client, lead_user, incident):
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:status_change", args=[incident.reference]),
            {"status": "investigating"},
            follow=True,
        )
        incident.refresh_from_db()
        assert incident.status == Status.INVESTIGATING
        assert "Status changed to Investigating." in response.content.decode()

    def test_detail_offers_only_the_allowed_next_statuses(self, client, lead_user, incident):
        client.force_login(lead_user)
        body = client.get(incident.get_absolute_url()).content.decode()
        assert 'name="status" value="investigating"' in body
        assert 'name="status" value="closed"' not in body
        assert 'name="status" value="resolved"' not in body

    def test_illegal_status_change_answers_409_with_a_clear_message(
        self, client, lead_user, incident
    ):
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:status_change", args=[incident.reference]), {"status": "closed"}
        )
        body = response.content.decode()
        assert response.status_code == 409
        assert "An incident that is open cannot become closed." in body
        assert "Possible next status: Investigating." in body
        incident.refresh_from_db()
        assert incident.status == Status.OPEN

    def test_stale_page_loses_to_a_concurrent_change(self, client, lead_user, incident):
        # Someone else moved the incident on while the page was open
        actions.change_status(incident, lead_user, Status.INVESTIGATING)
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:status_change", args=[incident.reference]),
            {"status": "investigating"},
        )
        assert response.status_code == 409
        assert "cannot become investigating" in response.content.decode()

    def test_reopening_without_reason_shows_the_error_beside_the_field(
        self, client, lead_user, incident
    ):
        for status in (Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED):
            actions.change_status(incident, lead_user, status)
        client.force_login(lead_user)
        url = reverse("incidents:status_change", args=[incident.reference])
        response = client.post(url, {"status": "investigating", "reason": " "})
        body = response.content.decode()
        assert response.status_code == 400
        assert "Give a reason for reopening the incident." in body
        response = client.post(url, {"status": "investigating", "reason": "New victim"})
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.status == Status.INVESTIGATING


class TestTimeline:
    def test_tlp_red_entry_is_shown_to_author_and_named_recipients_only(
        self, client, lead_user, invited_user, incident, lead_agency
    ):
        colleague = UserFactory(agency=lead_agency, role=Role.INVESTIGATOR)
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {"body": "Informant name: REDSECRET", "tlp": "red", "audience": [invited_user.pk]},
        )
        assert response.status_code == 302
        entry = TimelineEntry.objects.get(body__contains="REDSECRET")
        assert list(entry.audience.all()) == [invited_user]
        for user, sees in ((lead_user, True), (invited_user, True), (colleague, False)):
            client.force_login(user)
            body = client.get(incident.get_absolute_url()).content.decode()
            assert ("REDSECRET" in body) is sees, user
            dashboard = client.get(reverse("incidents:dashboard")).content.decode()
            assert ("REDSECRET" in dashboard) is sees, user

    def test_red_recipients_must_belong_to_a_participating_agency(
        self, client, lead_user, incident, outsider
    ):
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {"body": "Hidden", "tlp": "red", "audience": [outsider.pk]},
        )
        assert response.status_code == 400
        assert 'id="id_audience_error"' in response.content.decode()
        assert not TimelineEntry.objects.filter(body="Hidden").exists()

    def test_amber_strict_entry_stays_inside_the_authors_agency(
        self, client, lead_user, invited_user, incident, lead_agency
    ):
        colleague = UserFactory(agency=lead_agency, role=Role.SUPERVISOR)
        actions.add_timeline_entry(incident, lead_user, "STRICTSECRET", tlp=TLP.AMBER_STRICT)
        for user, sees in ((lead_user, True), (colleague, True), (invited_user, False)):
            client.force_login(user)
            body = client.get(incident.get_absolute_url()).content.decode()
            assert ("STRICTSECRET" in body) is sees, user

    def test_entry_cannot_be_marked_lower_than_the_incident(self, client, lead_user, incident):
        client.force_login(lead_user)
        body = client.get(incident.get_absolute_url()).content.decode()
        assert '<option value="green"' not in body  # incident is AMBER
        response = client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {"body": "Lower please", "tlp": "green"},
        )
        assert response.status_code == 400
        assert 'id="id_tlp_error"' in response.content.decode()
        assert "Lower please" in response.content.decode()

    def test_script_in_an_entry_is_never_rendered(self, client, lead_user, incident):
        client.force_login(lead_user)
        client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {"body": "Payload <script>alert('x')</script> and [link](javascript:alert(1))"},
        )
        body = client.get(incident.get_absolute_url()).content.decode()
        assert "<script>alert" not in body
        # No javascript: link; the author's message names the removed target as text.
        assert 'href="javascript:' not in body.lower()
        assert "Removed: javascript:alert(1)" in body
        assert "Payload" in body

    def test_correction_points_to_the_corrected_entry(self, client, lead_user, incident):
        wrong = actions.add_timeline_entry(incident, lead_user, "C2 at 203.0.113.5")
        client.force_login(lead_user)
        page = client.get(incident.get_absolute_url(), {"corrects": wrong.pk}).content.decode()
        assert f'name="corrects" value="{wrong.pk}"' in page
        response = client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {"body": "C2 at 203.0.113.6 (typo)", "corrects": wrong.pk, "tlp": "amber"},
        )
        assert response.status_code == 302
        correction = TimelineEntry.objects.get(corrects=wrong)
        body = client.get(incident.get_absolute_url()).content.decode()
        assert "Corrected by" in body and f'href="#entry-{correction.pk}"' in body
        assert f'href="#entry-{wrong.pk}"' in body

    def test_no_edit_or_delete_controls_for_entries(self, client, lead_user, incident):
        client.force_login(lead_user)
        body = client.get(incident.get_absolute_url()).content.decode().lower()
        assert "delete" not in body
        assert "edit entry" not in body

    def test_load_more_returns_the_next_entries(self, client, lead_user, incident):
        for n in range(25):
            actions.add_timeline_entry(
                incident,
                lead_user,
                f"Note {n:02d}",
                occurred_at=timezone.now() - timezone.timedelta(minutes=100 - n),
            )
        client.force_login(lead_user)
        first = client.get(incident.get_absolute_url()).content.decode()
        assert "Note 24" in first and "Note 00" not in first
        assert "Load older entries" in first
        more = client.get(
            reverse("incidents:timeline", args=[incident.reference]),
            {"page": 2},
            headers={"HX-Request": "true"},
        ).content.decode()
        assert "Note 00" in more and "<html" not in more

    def test_times_show_the_users_zone(self, client, lead_user, incident):
        client.force_login(lead_user)
        body = client.get(incident.get_absolute_url()).content.decode()
        assert 'title="Europe/Berlin"' in body
        assert (" CET</time>" in body) or (" CEST</time>" in body)


class TestParticipants:
    def test_lead_invites_changes_role_and_removes_an_agency(self, client, lead_user, incident):
        dutch = AgencyFactory(name="Politie THTC", short_name="NL-THTC", country="NL")
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:invite", args=[incident.reference]),
            {"country": "NL", "agency": dutch.pk, "role": "observer"},
        )
        assert response.status_code == 302
        participation = Participation.objects.get(incident=incident, agency=dutch)
        assert participation.role == ParticipationRole.OBSERVER

        client.post(
            reverse("incidents:participant_role", args=[incident.reference, participation.pk]),
            {"role": "contributor"},
        )
        participation.refresh_from_db()
        assert participation.role == ParticipationRole.CONTRIBUTOR

        body = client.get(incident.get_absolute_url()).content.decode()
        assert "data-confirm=" in body and "Politie THTC" in body

        client.post(
            reverse("incidents:participant_remove", args=[incident.reference, participation.pk]),
            {"reason": "Not competent"},
        )
        assert not Participation.objects.filter(pk=participation.pk).exists()
        assert "Not competent" in incident.timeline.first().body

    def test_invite_of_agency_from_another_country_is_refused(self, client, lead_user, incident):
        dutch = AgencyFactory(short_name="NL-X", country="NL")
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:invite", args=[incident.reference]),
            {"country": "BE", "agency": dutch.pk, "role": "observer"},
        )
        assert response.status_code == 400
        assert "This agency is not in the chosen country." in response.content.decode()

    def test_lead_agency_cannot_be_removed(self, client, lead_user, incident):
        lead = Participation.objects.get(incident=incident, role=ParticipationRole.LEAD)
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:participant_remove", args=[incident.reference, lead.pk])
        )
        assert response.status_code == 400
        assert "The lead agency cannot be removed" in response.content.decode()
        assert Participation.objects.filter(pk=lead.pk).exists()

    def test_agency_options_list_only_agencies_still_invitable(
        self, client, lead_user, incident, invited_agency
    ):
        other_french = AgencyFactory(name="ANSSI CERT-FR", short_name="CERT-FR", country="FR")
        client.force_login(lead_user)
        body = client.get(
            reverse("incidents:agency_options", args=[incident.reference]), {"country": "FR"}
        ).content.decode()
        assert "ANSSI CERT-FR" in body
        assert invited_agency.name not in body  # already takes part
        assert "<option" in body and "<html" not in body
        assert str(other_french.pk) in body

    def test_detail_lists_all_invitable_agencies_without_javascript(
        self, client, lead_user, incident
    ):
        AgencyFactory(name="ANSSI CERT-FR", short_name="CERT-FR", country="FR")
        AgencyFactory(name="Politie THTC", short_name="NL-THTC", country="NL")
        client.force_login(lead_user)
        body = client.get(incident.get_absolute_url()).content.decode()
        assert "<optgroup" in body and "ANSSI CERT-FR" in body and "Politie THTC" in body


class TestDashboard:
    def test_dashboard_shows_open_shared_and_activity(
        self, client, lead_user, invited_user, incident
    ):
        closed = make_incident(lead_user, title="Old closed case")
        for status in (Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED, Status.CLOSED):
            actions.change_status(closed, lead_user, status)
        client.force_login(invited_user)
        body = client.get(reverse("incidents:dashboard")).content.decode()
        open_panel = body[body.index('id="open-heading"') : body.index('id="activity-heading"')]
        shared_panel = body[body.index('id="shared-heading"') :]
        assert incident.reference in open_panel
        assert incident.reference in shared_panel
        assert "Old closed case" not in body

        client.force_login(lead_user)
        body = client.get(reverse("incidents:dashboard")).content.decode()
        open_panel = body[body.index('id="open-heading"') : body.index('id="activity-heading"')]
        assert incident.reference in open_panel and closed.reference not in open_panel
        shared_panel = body[body.index('id="shared-heading"') :]
        assert "No new invitations" in shared_panel

    def test_empty_dashboard_invites_to_file(self, client, outsider):
        client.force_login(outsider)
        body = client.get(reverse("incidents:dashboard")).content.decode()
        assert "No open incidents" in body
        assert reverse("incidents:create") in body


class TestDetailPresentation:
    def test_tlp_and_exercise_banners(self, client, lead_user):
        drill = make_incident(lead_user, tlp=TLP.AMBER_STRICT, is_exercise=True)
        real = make_incident(lead_user, tlp=TLP.CLEAR)
        client.force_login(lead_user)
        body = client.get(drill.get_absolute_url()).content.decode()
        assert 'class="tlp-banner tlp-banner--amber+strict"' in body
        assert '<span class="tlp tlp--amber+strict">TLP:AMBER+STRICT</span>' in body
        assert 'class="exercise-banner"' in body
        body = client.get(real.get_absolute_url()).content.decode()
        assert "tlp-banner--clear" in body and 'class="exercise-banner"' not in body

    def test_forbidden_action_shows_the_403_page(self, client, invited_user, incident):
        client.force_login(invited_user)
        response = client.get(reverse("incidents:edit", args=[incident.reference]))
        assert response.status_code == 403
        assert "You may not do this" in response.content.decode()


@pytest.mark.parametrize(
    ("url_name", "title"),
    [("incidents:dashboard", "Dashboard"), ("incidents:list", "Incidents")],
)
def test_page_title_names_the_page_then_concord(client, lead_user, url_name, title):
    client.force_login(lead_user)
    assert f"<title>{title} · Concord</title>" in client.get(reverse(url_name)).content.decode()


def test_sign_in_page_title_names_the_page_then_concord(client):
    assert (
        "<title>Sign in · Concord</title>" in client.get(reverse("accounts:login")).content.decode()
    )

"""Concord's timeline entries are events drawn in the reader's language; notes stay as written."""

import pytest
from django.urls import reverse
from django.utils import translation

from incidents import actions, events
from incidents.choices import Status, TimelineKind
from incidents.models import TimelineEntry
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def _detail(client, incident):
    return client.get(reverse("incidents:detail", kwargs={"reference": incident.reference}))


class TestEventsAreStoredWithTheirParameters:
    def test_a_status_change_keeps_its_code_and_parameters(self, lead_user, incident):
        actions.change_status(incident, lead_user, Status.INVESTIGATING)

        entry = TimelineEntry.objects.get(event=events.STATUS_CHANGED)
        assert entry.params == {"old": "open", "new": "investigating", "reason": ""}
        assert entry.kind == TimelineKind.STATUS_CHANGE
        assert entry.body == "Status changed from **Open** to **Investigating**."

    def test_the_stored_text_is_english_whoever_acts(self, lead_user, incident):
        with translation.override("fr"):
            actions.change_status(incident, lead_user, Status.INVESTIGATING)

        assert TimelineEntry.objects.get(event=events.STATUS_CHANGED).body.startswith(
            "Status changed"
        )

    def test_a_note_has_no_event(self, lead_user, incident):
        entry = actions.add_timeline_entry(incident, lead_user, "Seized the server")

        assert entry.event == "" and entry.params == {}
        assert entry.html() == "<p>Seized the server</p>"

    def test_an_unknown_code_cannot_be_written(self, lead_user, incident):
        with pytest.raises(KeyError):
            events.write_event(incident, lead_user, "no.such.event", {})

    def test_a_code_cannot_be_registered_twice(self):
        with pytest.raises(ValueError, match="registered twice"):
            events.register(events.STATUS_CHANGED, TimelineKind.SYSTEM, "x")

    def test_other_apps_register_their_codes_at_start_up(self):
        for code in ("evidence.logged", "indicator.added", "request.transition"):
            assert code in events.EVENTS


class TestReadersLanguage:
    def test_a_french_reader_reads_system_entries_in_french(self, client, lead_user, incident):
        actions.change_status(incident, lead_user, Status.INVESTIGATING, reason="")
        reader = UserFactory(agency=lead_user.agency, language="fr")
        client.force_login(reader)

        html = _detail(client, incident).content.decode()

        assert (
            "Statut passé de <strong>Ouvert</strong> à <strong>En cours d'enquête</strong>" in html
        )
        assert f"Incident <strong>{incident.reference}</strong> déclaré par" in html
        assert "Status changed from" not in html

    def test_an_english_reader_reads_them_in_english(self, client, lead_user, incident):
        actions.change_status(incident, lead_user, Status.INVESTIGATING)
        client.force_login(lead_user)

        html = _detail(client, incident).content.decode()

        assert "Status changed from <strong>Open</strong> to <strong>Investigating</strong>" in html

    def test_an_officers_note_is_not_translated(self, client, lead_user, incident):
        actions.add_timeline_entry(incident, lead_user, "Status changed from open, says the ISP")
        client.force_login(UserFactory(agency=lead_user.agency, language="fr"))

        assert (
            "Status changed from open, says the ISP" in _detail(client, incident).content.decode()
        )

    def test_the_dashboard_feed_speaks_the_readers_language(self, client, lead_user, incident):
        actions.change_status(incident, lead_user, Status.INVESTIGATING)
        client.force_login(UserFactory(agency=lead_user.agency, language="fr"))

        html = client.get(reverse("incidents:dashboard")).content.decode()

        assert "Statut passé de Ouvert à En cours d&#39;enquête" in html

    def test_the_api_gives_code_parameters_and_text_in_the_requested_language(
        self, api_login, lead_user, incident
    ):
        actions.change_status(incident, lead_user, Status.INVESTIGATING)
        api = api_login(lead_user)

        url = f"/api/v1/incidents/{incident.reference}/timeline/"
        rows = api.get(url, HTTP_ACCEPT_LANGUAGE="fr").json()["results"]

        row = next(r for r in rows if r["event"] == events.STATUS_CHANGED)
        assert row["params"]["new"] == "investigating"
        assert row["body"].startswith("Status changed")
        assert "Statut passé de <strong>Ouvert</strong>" in row["body_html"]

    def test_a_country_and_a_role_follow_the_readers_language(self, lead_user, incident):
        entry = TimelineEntry.objects.get(event=events.AGENCY_INVITED)

        with translation.override("fr"):
            html = entry.html()

        assert "(France)" in html and "contributeur" in html


class TestAuthorsAgency:
    def test_an_entry_filed_under_another_agency_names_the_authors_own(
        self, client, lead_user, invited_user, lead_agency, incident
    ):
        # A request's entry is filed under the requesting agency, whoever acted.
        events.write_event(
            incident,
            invited_user,
            events.STATUS_CHANGED,
            {"old": "open", "new": "investigating"},
            author_agency_id=lead_agency.pk,
        )
        client.force_login(lead_user)

        html = _detail(client, incident).content.decode()
        feed = client.get(reverse("incidents:dashboard")).content.decode()

        assert f'{invited_user.display_name}</strong> · <span title="OFAC' in html
        assert f"{invited_user.display_name} · OFAC" in feed
        assert f"{invited_user.display_name} · BKA-CC" not in feed


class TestCorrections:
    def test_correct_this_is_offered_on_notes_only(self, client, lead_user, incident):
        note = actions.add_timeline_entry(incident, lead_user, "Wrong IP")
        system = TimelineEntry.objects.get(event=events.INCIDENT_FILED)
        client.force_login(lead_user)

        html = _detail(client, incident).content.decode()

        assert f"?corrects={note.pk}#add-entry" in html
        assert f"?corrects={system.pk}#add-entry" not in html

    def test_a_system_entry_cannot_be_corrected(self, lead_user, incident):
        system = TimelineEntry.objects.get(event=events.INCIDENT_FILED)

        with pytest.raises(actions.ValidationError) as raised:
            actions.add_timeline_entry(incident, lead_user, "No", corrects=system)

        assert "corrects" in raised.value.message_dict

    def test_posting_a_correction_of_a_system_entry_answers_400(self, client, lead_user, incident):
        system = TimelineEntry.objects.get(event=events.INCIDENT_FILED)
        client.force_login(lead_user)

        response = client.post(
            reverse("incidents:timeline_add", kwargs={"reference": incident.reference}),
            {"body": "No", "tlp": incident.tlp, "corrects": system.pk},
        )

        assert response.status_code == 400
        assert not TimelineEntry.objects.filter(corrects=system).exists()


class TestEscaping:
    def test_hostile_author_and_title_stay_escaped_on_the_pages(self, client, lead_agency):
        author = UserFactory(agency=lead_agency, first_name=HOSTILE, last_name="<b>x</b>")
        incident = make_incident(author, title=HOSTILE)
        actions.change_status(incident, author, Status.INVESTIGATING, reason=HOSTILE)
        client.force_login(author)

        for url in (
            reverse("incidents:detail", kwargs={"reference": incident.reference}),
            reverse("incidents:dashboard"),
            reverse("incidents:list"),
        ):
            html = client.get(url).content.decode()
            assert "<script>alert" not in html, url
            assert "&lt;script&gt;alert" in html, url


class TestQueryCounts:
    def _queries(self, client, url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(url)  # the session and caches warmed
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def test_detail_and_dashboard_read_as_many_queries_for_many_entries_as_for_few(
        self, client, lead_user, invited_user, incident, django_assert_max_num_queries
    ):
        client.force_login(lead_user)
        detail = reverse("incidents:detail", kwargs={"reference": incident.reference})
        dashboard = reverse("incidents:dashboard")
        # One of each first: what no entry needs (corrections, attachments) is not asked for.
        note = actions.add_timeline_entry(incident, invited_user, "Note")
        actions.add_timeline_entry(incident, lead_user, "Fix", corrects=note)
        few = self._queries(client, detail), self._queries(client, dashboard)
        for n in range(6):
            note = actions.add_timeline_entry(incident, invited_user, f"Note {n}")
            actions.add_timeline_entry(incident, lead_user, f"Fix {n}", corrects=note)
            events.write_event(
                incident, invited_user, events.STATUS_CHANGED, {"old": "open", "new": "contained"}
            )

        many = self._queries(client, detail), self._queries(client, dashboard)

        assert many == few
        # The detail page's budget (tests/incidents/test_views_queries.py MAX_QUERIES).
        with django_assert_max_num_queries(13):
            client.get(detail)

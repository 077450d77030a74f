"""Rows and options drawn through Jinja2 (incidents.rendering): escaped, labelled, localised."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Agency
from incidents import actions
from incidents.models import Incident, TimelineEntry
from incidents.rendering import (
    activity_items,
    agency_options,
    incident_list_rows,
    my_open_rows,
    timeline_entries,
)
from tests.factories import AgencyFactory, make_incident

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & <b>'


def _rows(*incidents):
    listed = Incident.objects.select_related("lead_agency").filter(pk__in=[i.pk for i in incidents])
    return str(incident_list_rows(listed.order_by("pk")))


def test_free_text_is_escaped_in_rows(lead_user, lead_agency):
    lead_agency.name = HOSTILE
    lead_agency.short_name = "A&B"
    lead_agency.save()
    incident = make_incident(lead_user, title=HOSTILE)

    html = _rows(incident)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert "A&amp;B" in html


def test_a_row_links_labels_and_places_the_incident(lead_user):
    incident = make_incident(lead_user, affected_countries=["FR", "DE"], is_exercise=True)

    html = _rows(incident)

    url = reverse("incidents:detail", kwargs={"reference": incident.reference})
    assert html.count(f'href="{url}"') == 2
    assert f">{incident.reference}</a>" in html
    assert '<span class="badge badge--exercise">Exercise</span>' in html
    assert '<abbr class="cc" title="France">FR</abbr>' in html
    assert '<abbr class="cc" title="Germany">DE</abbr>' in html
    assert '<span class="badge badge--open">Open</span>' in html
    assert '<span class="tlp tlp--amber">TLP:AMBER</span>' in html


def test_row_times_are_in_the_active_zone_with_the_zone_named(lead_user):
    incident = make_incident(lead_user, detected_at=dt.datetime(2026, 1, 15, 12, 30, tzinfo=dt.UTC))

    with timezone.override("Asia/Tokyo"):
        html = _rows(incident)

    assert (
        '<time class="when" datetime="2026-01-15T12:30:00+00:00" title="Asia/Tokyo">'
        "2026-01-15 21:30 JST</time>"
    ) in html


def test_a_row_without_detection_time_shows_a_dash(lead_user):
    incident = make_incident(lead_user, detected_at=None)

    assert 'data-label="Detected">—</td>' in _rows(incident)


def test_row_labels_follow_the_active_language(lead_user):
    incident = make_incident(lead_user, affected_countries=["DE"])

    with translation.override("fr"):
        html = _rows(incident)

    assert 'title="Allemagne"' in html
    assert "Ouvert" in html


def test_no_rows_draw_nothing():
    assert str(incident_list_rows([])) == ""


class TestAgencyOptions:
    def test_agencies_are_grouped_by_country_name_with_the_chosen_one_selected(self, db):
        belgian = AgencyFactory(name="Federal Computer Crime Unit", short_name="FCCU", country="BE")
        austrian = AgencyFactory(name="CERT.at", short_name="CERT-AT", country="AT")

        html = str(
            agency_options([belgian, austrian], one_country=False, selected=str(austrian.pk))
        )

        assert html.index('<optgroup label="Austria">') < html.index('<optgroup label="Belgium">')
        assert f'<option value="{austrian.pk}" selected>CERT.at (CERT-AT)</option>' in html
        assert f'<option value="{belgian.pk}">Federal Computer Crime Unit (FCCU)</option>' in html

    def test_names_are_escaped(self, db):
        agency = AgencyFactory(name=HOSTILE, short_name="X&Y", country="BE")

        for one_country in (True, False):
            html = str(agency_options([agency], one_country=one_country))
            assert "<script>" not in html
            assert "(X&amp;Y)" in html

    def test_empty_states_say_why_nothing_can_be_chosen(self):
        assert "No agency of this country left to invite" in agency_options([], one_country=True)
        assert "Every agency already takes part" in agency_options([], one_country=False)

    def test_group_labels_follow_the_active_language(self, db):
        agency = AgencyFactory(country="DE")

        with translation.override("fr"):
            html = str(agency_options(list(Agency.objects.filter(pk=agency.pk)), one_country=False))

        assert '<optgroup label="Allemagne">' in html
        assert '<option value="">Choisissez un service…</option>' in html


class TestTimelineEntries:
    def _draw(self, incident, user, *, may_contribute=True):
        from incidents.views import _attach_related, _timeline_entries

        return str(
            timeline_entries(
                _attach_related(list(_timeline_entries(incident, user)), user),
                incident=incident,
                may_contribute=may_contribute,
            )
        )

    def test_author_and_agency_are_escaped_and_the_body_is_the_sanitised_html(
        self, lead_user, lead_agency, incident
    ):
        lead_user.first_name, lead_user.last_name = "<b>Lena</b>", "O'Hara"
        lead_user.save()
        lead_agency.name = HOSTILE
        lead_agency.save()
        entry = actions.add_timeline_entry(incident, lead_user, "**Seized** <script>x</script>")

        html = self._draw(incident, lead_user)

        assert "<script>" not in html
        assert "&lt;b&gt;Lena&lt;/b&gt; O&#39;Hara" in html
        assert f'id="entry-{entry.pk}"' in html
        assert "<strong>Seized</strong>" in html

    def test_red_entries_name_their_audience(self, lead_user, invited_user, incident):
        from incidents.choices import TLP

        actions.add_timeline_entry(
            incident, lead_user, "Source name", tlp=TLP.RED, audience=[invited_user]
        )

        html = self._draw(incident, invited_user)

        assert f"For: {lead_user.display_name}, {invited_user.display_name}</p>" in html

    def test_a_correction_is_linked_both_ways(self, lead_user, incident):
        first = actions.add_timeline_entry(incident, lead_user, "Wrong IP")
        fix = actions.add_timeline_entry(incident, lead_user, "Right IP", corrects=first)

        html = self._draw(incident, lead_user)

        assert f'<a href="#entry-{first.pk}">an earlier entry</a>' in html
        assert f'<a href="#entry-{fix.pk}">{lead_user.display_name} (BKA-CC), <time' in html
        assert "timeline__item--corrected" in html

    def test_only_contributors_are_offered_to_correct(self, lead_user, incident):
        entry = actions.add_timeline_entry(incident, lead_user, "Note")

        assert f"?corrects={entry.pk}#add-entry" in self._draw(incident, lead_user)
        assert "corrects=" not in self._draw(incident, lead_user, may_contribute=False)


class TestDashboard:
    def test_open_rows_escape_titles_and_show_our_role(self, lead_user):
        incident = make_incident(lead_user, title=HOSTILE, is_exercise=True)
        incident = Incident.objects.select_related("lead_agency").get(pk=incident.pk)
        incident.my_role = "lead"

        html = str(my_open_rows([incident]))

        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert '<span class="badge badge--role badge--role-lead">Lead</span>' in html
        assert '<span class="badge badge--exercise">Exercise</span>' in html
        assert f'href="/incidents/{incident.reference}/"' in html

    def test_activity_links_each_entry_and_names_its_author(self, lead_user, incident):
        entry = actions.add_timeline_entry(incident, lead_user, "Seized **server**")
        entry = TimelineEntry.objects.select_related("incident", "author_agency").get(pk=entry.pk)

        html = str(activity_items([entry]))

        assert f'href="/incidents/{incident.reference}/#entry-{entry.pk}"' in html
        assert f"<span>{lead_user.display_name} · BKA-CC</span>" in html
        assert '<div class="activity__text">Seized server</div>' in html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from incidents import actions
from incidents.choices import TLP, ParticipationRole
from incidents.markdown import render_markdown
from incidents.models import TimelineEntry
from tests.factories import UserFactory, make_incident


class TestSanitising:
    def test_script_tags_are_never_stored(self):
        html = render_markdown("Hello <script>alert(1)</script> **world**")
        assert "<script" not in html
        assert "<strong>world</strong>" in html

    def test_event_handlers_and_javascript_links_are_stripped(self):
        html = render_markdown(
            '<img src=x onerror="alert(1)"> [click](javascript:alert(1)) <a href="https://ok.example">ok</a>'
        )
        assert "onerror" not in html
        assert "javascript:" not in html
        assert 'href="https://ok.example"' in html

    def test_markdown_lists_and_code_survive(self):
        html = render_markdown("- one\n- two\n\n`1.2.3.4`")
        assert "<li>one</li>" in html
        assert "<code>1.2.3.4</code>" in html


@pytest.mark.django_db
class TestAppendOnly:
    def test_saving_an_existing_entry_is_refused(self, incident, lead_user):
        entry = actions.add_timeline_entry(incident, lead_user, "First observation")
        entry.body = "Rewritten history"
        with pytest.raises(PermissionDenied):
            entry.save()

    def test_deleting_an_entry_is_refused(self, incident, lead_user):
        entry = actions.add_timeline_entry(incident, lead_user, "First observation")
        with pytest.raises(PermissionDenied):
            entry.delete()

    def test_bulk_update_and_delete_are_refused(self, incident):
        with pytest.raises(TypeError):
            TimelineEntry.objects.filter(incident=incident).update(body="x")
        with pytest.raises(TypeError):
            TimelineEntry.objects.filter(incident=incident).delete()

    def test_database_refuses_raw_update_and_delete(self, require_postgres, incident, lead_user):
        entry = actions.add_timeline_entry(incident, lead_user, "First observation")
        for sql in (
            "UPDATE incidents_timelineentry SET body = 'forged' WHERE id = %s",
            "DELETE FROM incidents_timelineentry WHERE id = %s",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql, [entry.pk])
        entry.refresh_from_db()
        assert entry.body == "First observation"

    def test_a_correction_is_a_new_entry_pointing_to_the_old_one(self, incident, lead_user):
        wrong = actions.add_timeline_entry(incident, lead_user, "Server in Lyon")
        fix = actions.add_timeline_entry(incident, lead_user, "Server in Lille", corrects=wrong)
        wrong.refresh_from_db()
        assert wrong.body == "Server in Lyon"
        assert list(wrong.corrections.all()) == [fix]

    def test_correcting_an_entry_of_another_incident_is_refused(self, incident, lead_user):
        other = make_incident(lead_user, title="Other case")
        foreign = actions.add_timeline_entry(other, lead_user, "Elsewhere")
        with pytest.raises(ValidationError) as excinfo:
            actions.add_timeline_entry(incident, lead_user, "Fix", corrects=foreign)
        assert "corrects" in excinfo.value.message_dict


@pytest.mark.django_db
class TestEntryValidation:
    def test_empty_body_is_refused_with_a_field_message(self, incident, lead_user):
        with pytest.raises(ValidationError) as excinfo:
            actions.add_timeline_entry(incident, lead_user, "   ")
        assert "body" in excinfo.value.message_dict

    def test_entry_cannot_be_marked_below_the_incident_tlp(self, incident, lead_user):
        with pytest.raises(ValidationError) as excinfo:
            actions.add_timeline_entry(incident, lead_user, "note", tlp=TLP.CLEAR)
        assert "tlp" in excinfo.value.message_dict

    def test_observer_cannot_add_entries(self, incident, lead_user, other_agency, outsider):
        actions.share_incident(incident, other_agency, ParticipationRole.OBSERVER, lead_user)
        with pytest.raises(PermissionDenied):
            actions.add_timeline_entry(incident, outsider, "I only watch")


@pytest.mark.django_db
class TestTlpVisibility:
    def test_red_entry_is_seen_by_author_and_named_recipients_alone(
        self, incident, lead_user, invited_user, invited_agency
    ):
        colleague = UserFactory(agency=invited_agency)
        entry = actions.add_timeline_entry(
            incident, lead_user, "Source identity", tlp=TLP.RED, audience=[invited_user]
        )
        visible = TimelineEntry.objects.filter(incident=incident)
        assert entry in visible.visible_to(lead_user)
        assert entry in visible.visible_to(invited_user)
        assert entry not in visible.visible_to(colleague)

    def test_amber_strict_entry_stays_inside_the_author_agency(
        self, incident, lead_user, lead_agency, invited_user
    ):
        entry = actions.add_timeline_entry(
            incident, lead_user, "Internal only", tlp=TLP.AMBER_STRICT
        )
        colleague = UserFactory(agency=lead_agency)
        visible = TimelineEntry.objects.filter(incident=incident)
        assert entry in visible.visible_to(colleague)
        assert entry not in visible.visible_to(invited_user)

    def test_red_recipients_must_belong_to_a_participating_agency(
        self, incident, lead_user, outsider
    ):
        with pytest.raises(ValidationError) as excinfo:
            actions.add_timeline_entry(
                incident, lead_user, "Secret", tlp=TLP.RED, audience=[outsider]
            )
        assert "audience" in excinfo.value.message_dict

    def test_restrict_hides_entries_of_incidents_not_shared(self, incident, lead_user, outsider):
        actions.add_timeline_entry(incident, lead_user, "Shared only with France")
        assert not TimelineEntry.objects.restrict(outsider).exists()
        assert TimelineEntry.objects.restrict(lead_user).filter(incident=incident).exists()

"""Adding indicators one by one and by bulk paste; asking for contact."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coordination.intel import actions
from coordination.intel.actions import Outcome
from coordination.intel.choices import IndicatorType
from coordination.intel.models import ContactRequest, Indicator
from coordination.notifications.choices import Channel, Event
from coordination.notifications.models import Notification
from incidents.choices import TLP, TimelineKind
from incidents.models import TimelineEntry
from tests.factories import make_incident

PASTE = """\
# indicators from the ransom note
hxxp://evil[.]example/pay
198.51.100[.]23
d41d8cd98f00b204e9800998ecf8427e

bad value here
EVIL.example
"""


def test_add_detects_type_normalises_and_writes_a_timeline_entry(incident, lead_user):
    indicator, created = actions.add_indicator(incident, lead_user, value="hxxp://Evil[.]Example")
    assert created
    assert (indicator.type, indicator.value) == (IndicatorType.URL, "http://evil.example/")
    assert indicator.tlp == incident.tlp
    assert indicator.added_by == lead_user
    assert indicator.added_by_agency_id == lead_user.agency_id
    entry = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.INDICATOR).get()
    assert "http://evil.example/" in entry.body
    assert entry.subject_id == str(indicator.pk)


def test_add_with_explicit_type_validates_against_that_type(incident, lead_user):
    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(incident, lead_user, type=IndicatorType.MD5, value="abc")
    assert "value" in excinfo.value.message_dict
    assert not Indicator.objects.exists()


def test_tlp_below_the_incident_is_refused(incident, lead_user):
    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(incident, lead_user, value="192.0.2.1", tlp=TLP.GREEN)
    assert "cannot be marked lower" in excinfo.value.message_dict["tlp"][0]
    assert not Indicator.objects.exists()


def test_seen_times_and_confidence_are_checked(incident, lead_user):
    now = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(
            incident,
            lead_user,
            value="192.0.2.1",
            first_seen=now,
            last_seen=now - timezone.timedelta(days=1),
            confidence=150,
        )
    errors = excinfo.value.message_dict
    assert set(errors) == {"last_seen", "confidence"}
    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(
            incident, lead_user, value="192.0.2.1", first_seen=now + timezone.timedelta(days=2)
        )
    assert "future" in excinfo.value.message_dict["first_seen"][0]


def test_adding_the_same_value_again_merges(incident, lead_user):
    early = timezone.now() - timezone.timedelta(days=5)
    late = timezone.now() - timezone.timedelta(days=1)
    first, _ = actions.add_indicator(
        incident, lead_user, value="192.0.2.1", last_seen=early, confidence=40, note="C2"
    )
    again, created = actions.add_indicator(
        incident,
        lead_user,
        value="192.0.2[.]1",
        tlp=TLP.RED,
        first_seen=early,
        last_seen=late,
        confidence=20,
        note="Seen in proxy logs",
    )
    assert not created and again.pk == first.pk
    again.refresh_from_db()
    assert again.tlp == TLP.RED  # the stricter label wins
    assert again.first_seen == early and again.last_seen == late
    assert again.confidence == 40
    assert again.note == "C2\n\nSeen in proxy logs"
    assert Indicator.objects.count() == 1


def test_observer_and_outsider_may_not_add(
    incident, invited_agency, invited_user, outsider, lead_user
):
    from incidents.actions import change_participation_role

    with pytest.raises(PermissionDenied):
        actions.add_indicator(incident, outsider, value="192.0.2.1")
    participation = incident.participations.get(agency=invited_agency)
    change_participation_role(participation, "observer", lead_user)
    observer = invited_user
    with pytest.raises(PermissionDenied):
        actions.add_indicator(incident, observer, value="192.0.2.1")


def test_invited_contributor_may_add(incident, invited_user):
    indicator, _ = actions.add_indicator(incident, invited_user, value="evil.example")
    assert indicator.added_by_agency_id == invited_user.agency_id


# Bulk paste ---------------------------------------------------------------------------


def test_paste_with_a_refused_line_stores_nothing_and_says_why(incident, lead_user):
    report = actions.paste_indicators(incident, lead_user, PASTE)
    assert not report.stored
    assert not Indicator.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineKind.INDICATOR).exists()
    outcomes = [(line.line, line.outcome) for line in report.lines]
    assert outcomes == [
        (2, Outcome.ADDED),
        (3, Outcome.ADDED),
        (4, Outcome.ADDED),
        (6, Outcome.REFUSED),
        (7, Outcome.ADDED),
    ]
    refused = report.lines[3]
    assert refused.raw == "bad value here"
    assert "not a recognised indicator" in refused.reason


def test_paste_skipping_refused_lines_stores_the_rest_in_one_entry(incident, lead_user):
    report = actions.paste_indicators(incident, lead_user, PASTE, skip_refused=True)
    assert report.stored
    assert (report.added, report.merged, report.refused) == (4, 0, 1)
    values = set(Indicator.objects.values_list("type", "value"))
    assert values == {
        ("url", "http://evil.example/pay"),
        ("ipv4", "198.51.100.23"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("domain", "evil.example"),
    }
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.INDICATOR)
    assert entry.body.startswith("4 indicators added by bulk paste.")


def test_paste_merges_duplicates_in_the_paste_and_on_the_incident(incident, lead_user):
    actions.add_indicator(incident, lead_user, value="192.0.2.1")
    report = actions.paste_indicators(
        incident, lead_user, "192.0.2[.]1\nevil.example\nEVIL.EXAMPLE.\n", tlp=TLP.AMBER_STRICT
    )
    assert report.stored
    assert [(line.outcome, line.duplicate_of_line) for line in report.lines] == [
        (Outcome.MERGED, None),
        (Outcome.ADDED, None),
        (Outcome.MERGED, 2),
    ]
    assert Indicator.objects.count() == 2
    assert Indicator.objects.get(value="192.0.2.1").tlp == TLP.AMBER_STRICT


def test_paste_preview_stores_nothing(incident, lead_user):
    report = actions.paste_indicators(incident, lead_user, "192.0.2.1", preview=True)
    assert report.added == 1 and not report.stored
    assert not Indicator.objects.exists()


def test_paste_of_nothing_or_too_much_is_a_field_error(incident, lead_user):
    with pytest.raises(ValidationError) as excinfo:
        actions.paste_indicators(incident, lead_user, "\n# only a comment\n")
    assert "text" in excinfo.value.message_dict
    too_many = "\n".join(f"10.0.{i // 250}.{i % 250}" for i in range(actions.MAX_PASTE_LINES + 1))
    with pytest.raises(ValidationError) as excinfo:
        actions.paste_indicators(incident, lead_user, too_many)
    assert "at most" in excinfo.value.message_dict["text"][0]


def test_paste_is_all_or_nothing_when_the_database_fails(incident, lead_user, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("coordination.intel.events.indicators_pasted", fail)
    with pytest.raises(RuntimeError):
        actions.paste_indicators(incident, lead_user, "192.0.2.1\n192.0.2.2")
    assert not Indicator.objects.exists()


# Contact requests ---------------------------------------------------------------------


def test_contact_request_email_names_the_asking_country_in_the_recipients_language(
    incident, lead_user, outsider, spanish_incident, django_capture_on_commit_callbacks
):
    outsider.language = "fr"
    outsider.save()
    actions.add_indicator(spanish_incident, outsider, value="198.51.100.24")
    mine, _ = actions.add_indicator(incident, lead_user, value="198.51.100.24")
    with django_capture_on_commit_callbacks(execute=False):
        actions.request_contact(mine, lead_user)
    email = Notification.objects.get(
        event=Event.CONTACT_REQUESTED, channel=Channel.EMAIL, email=outsider.email
    )
    assert "Bundeskriminalamt Cybercrime (Allemagne)" in email.body_text


def test_request_contact_notifies_the_owning_lead_agency_and_tells_the_asker_nothing(
    incident, lead_user, outsider, spanish_incident, django_capture_on_commit_callbacks
):
    actions.add_indicator(spanish_incident, outsider, value="198.51.100.23")
    mine, _ = actions.add_indicator(incident, lead_user, value="198.51.100.23")
    with django_capture_on_commit_callbacks(execute=False):
        asked = actions.request_contact(mine, lead_user)
    assert asked == 1
    contact = ContactRequest.objects.get()
    assert contact.to_incident == spanish_incident
    assert contact.requester_agency == lead_user.agency
    notes = Notification.objects.filter(event=Event.CONTACT_REQUESTED)
    app = notes.get(channel=Channel.APP)
    assert app.recipient == outsider
    assert "Bundeskriminalamt Cybercrime" in app.subject
    assert "198.51.100.23" in app.body_text
    assert notes.filter(channel=Channel.EMAIL, email=outsider.agency.mailbox).exists()
    email = notes.get(channel=Channel.EMAIL, email=outsider.email)
    assert "Bundeskriminalamt Cybercrime (Germany)" in email.body_text
    assert "198.51.100.23" in email.body_text and "198.51.100.23" in email.body_html
    assert spanish_incident.reference in email.subject
    assert email.link == spanish_incident.get_absolute_url() + "#participants"
    assert lead_user.email in email.body_text  # how to reach the asker
    assert not notes.filter(recipient=lead_user).exists()
    # The owner's timeline says who asked; the asker's says only how many cases.
    owner_entry = TimelineEntry.objects.get(incident=spanish_incident, author=None)
    assert "Bundeskriminalamt Cybercrime" in owner_entry.body
    asker_entry = TimelineEntry.objects.filter(incident=incident).order_by("-pk").first()
    assert "1 other case" in asker_entry.body
    assert spanish_incident.reference not in asker_entry.body
    assert "CCN" not in asker_entry.body
    # Asking again notifies nobody.
    with pytest.raises(ValidationError):
        actions.request_contact(mine, lead_user)
    assert notes.count() == 3


def test_request_contact_ignores_red_and_visible_cases(
    incident, lead_user, italian_user, red_incident
):
    actions.add_indicator(red_incident, italian_user, value="198.51.100.23")
    other_mine = make_incident(lead_user, title="Our second case")
    actions.add_indicator(other_mine, lead_user, value="198.51.100.23")
    mine, _ = actions.add_indicator(incident, lead_user, value="198.51.100.23")
    with pytest.raises(ValidationError):
        actions.request_contact(mine, lead_user)
    assert not ContactRequest.objects.exists()
    assert not Notification.objects.filter(event=Event.CONTACT_REQUESTED).exists()


def test_paste_flags_values_on_warning_lists_and_stores_them(incident, lead_user):
    # Given values that break networks when blocked, next to one that does not
    text = "0.0.0.0\n10.0.0.0/8\n192.168.1.1\n8.8.8.8\n45.80.149[.]108:8080\n"

    report = actions.paste_indicators(incident, lead_user, text)

    assert report.stored and report.added == 5
    assert report.warned == 4
    flagged = {line.value: line.warning_lists for line in report.lines}
    assert "List of RFC 5735 CIDR blocks" in flagged["0.0.0.0"]
    assert "List of RFC 1918 CIDR blocks" in flagged["10.0.0.0/8"]
    assert "List of RFC 1918 CIDR blocks" in flagged["192.168.1.1"]
    assert flagged["8.8.8.8"] == ["List of known IPv4 public DNS resolvers"]
    assert flagged["45.80.149.108"] == []


def test_allowing_an_indicator_in_blocklists_records_who_and_when(incident, lead_user):
    indicator, _created = actions.add_indicator(incident, lead_user, value="8.8.8.8")

    actions.allow_in_blocklists(indicator, lead_user)

    indicator.refresh_from_db()
    assert indicator.blocklist_allowed_at is not None
    assert indicator.blocklist_allowed_by == lead_user
    assert indicator.blocklist_allowed_by_name
    entry = TimelineEntry.objects.filter(kind=TimelineKind.INDICATOR).latest("pk")
    assert "public DNS resolvers" in entry.body


def test_only_contributors_may_allow_and_only_warned_values(incident, lead_user, outsider):
    warned, _created = actions.add_indicator(incident, lead_user, value="8.8.8.8")
    plain, _created = actions.add_indicator(incident, lead_user, value="45.80.149.108")

    with pytest.raises(PermissionDenied):
        actions.allow_in_blocklists(warned, outsider)
    with pytest.raises(ValidationError):
        actions.allow_in_blocklists(plain, lead_user)
    warned.refresh_from_db()
    assert warned.blocklist_allowed_at is None

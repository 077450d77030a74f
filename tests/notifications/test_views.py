"""The bell, the notifications page and the preferences, for each persona."""

import pytest

from coordination.notifications.choices import CONFIGURABLE_EVENTS, Channel, Delivery, Event
from coordination.notifications.models import Notification, Preference
from incidents import actions
from incidents.choices import ParticipationRole
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(lead_user, invited_agency, invited_user):
    incident = make_incident(lead_user, title="Botnet takedown")
    actions.share_incident(incident, invited_agency, ParticipationRole.OBSERVER, lead_user)
    return incident


@pytest.mark.parametrize(
    "url",
    [
        "/notifications/",
        "/notifications/bell/",
        "/notifications/preferences/",
        "/notifications/failed/",
    ],
)
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bell_counts_my_unread_notifications(client, invited_user, shared):
    client.force_login(invited_user)
    html = client.get("/notifications/bell/").content.decode()
    assert "bell--unread" in html and ">1<" in html


def test_bell_is_quiet_for_someone_with_nothing_new(client, lead_user, shared):
    client.force_login(lead_user)
    assert "bell--unread" not in client.get("/notifications/bell/").content.decode()


def test_page_lists_the_notification_and_opening_it_marks_it_read(
    client, invited_user, shared, django_assert_max_num_queries
):
    client.force_login(invited_user)
    with django_assert_max_num_queries(6):
        html = client.get("/notifications/").content.decode()
    assert shared.reference in html and "1 unread" in html
    row = Notification.objects.get(recipient=invited_user, channel=Channel.APP)
    response = client.post(f"/notifications/{row.pk}/open/")
    assert response.status_code == 302 and response["Location"] == shared.get_absolute_url()
    row.refresh_from_db()
    assert row.read_at is not None


def test_nobody_opens_or_reads_someone_elses_notification(client, outsider, invited_user, shared):
    row = Notification.objects.get(recipient=invited_user, channel=Channel.APP)
    client.force_login(outsider)
    assert client.post(f"/notifications/{row.pk}/open/").status_code == 404
    assert client.post(f"/notifications/{row.pk}/read/").status_code == 404
    assert shared.reference not in client.get("/notifications/").content.decode()


def test_mark_all_read_empties_the_unread_view(client, invited_user, shared):
    client.force_login(invited_user)
    client.post("/notifications/read-all/")
    html = client.get("/notifications/?show=unread").content.decode()
    assert "No unread notifications." in html


def test_preferences_are_saved_per_event(client, invited_user):
    client.force_login(invited_user)
    choices = {event: Delivery.IMMEDIATE for event in CONFIGURABLE_EVENTS}
    choices[Event.INCIDENT_SHARED] = Delivery.DIGEST
    response = client.post("/notifications/preferences/", choices)
    assert response.status_code == 302
    chosen = dict(Preference.objects.filter(user=invited_user).values_list("event", "delivery"))
    assert chosen[Event.INCIDENT_SHARED] == Delivery.DIGEST


def test_preferences_refuse_an_unknown_choice_beside_the_field(client, invited_user):
    client.force_login(invited_user)
    response = client.post("/notifications/preferences/", {Event.INCIDENT_SHARED: "pigeon"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Preference.objects.exists()


def test_failed_emails_page_is_for_agency_admins_only(client, invited_user):
    client.force_login(invited_user)
    assert client.get("/notifications/failed/").status_code == 403

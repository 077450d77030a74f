"""Issue #13, finding 12: a posted or linked ``next`` only ever leads within the site."""

import pytest

from coordination.notifications.choices import Channel
from coordination.notifications.models import Notification
from incidents import actions
from incidents.choices import ParticipationRole
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

ELSEWHERE = [
    "https://elsewhere.example/phish",
    "//elsewhere.example/phish",
    "http:/\\elsewhere.example",
    "javascript:alert(1)",
    "https://testserver@elsewhere.example/",
]


@pytest.fixture
def unread(lead_user, invited_agency, invited_user):
    incident = make_incident(lead_user, title="Botnet takedown")
    actions.share_incident(incident, invited_agency, ParticipationRole.OBSERVER, lead_user)
    return Notification.objects.get(recipient=invited_user, channel=Channel.APP)


@pytest.mark.parametrize("target", ELSEWHERE)
def test_mark_read_never_redirects_off_site(client, invited_user, unread, target):
    client.force_login(invited_user)
    response = client.post(f"/notifications/{unread.pk}/read/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    unread.refresh_from_db()
    assert unread.read_at is not None  # the notification is marked read all the same


def test_mark_read_follows_a_same_site_next(client, invited_user, unread):
    client.force_login(invited_user)
    response = client.post(f"/notifications/{unread.pk}/read/", {"next": "/notifications/?page=2"})
    assert response["Location"] == "/notifications/?page=2"


def test_opening_a_notification_with_an_off_site_link_goes_to_the_inbox(
    client, invited_user, unread
):
    Notification.objects.filter(pk=unread.pk).update(link="https://elsewhere.example/")
    client.force_login(invited_user)
    response = client.post(f"/notifications/{unread.pk}/open/")
    assert response["Location"] == "/notifications/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_in_never_redirects_off_site(client, lead_user, target):
    lead_user.set_password("correct horse battery")
    lead_user.save()
    response = client.post(
        f"/accounts/login/?next={target}",
        {"username": lead_user.username, "password": "correct horse battery", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_out_never_redirects_off_site(client, lead_user, target):
    client.force_login(lead_user)
    response = client.post("/accounts/logout/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"

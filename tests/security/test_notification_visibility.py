"""Issue #13, finding 9: in-app notifications kept showing a TLP:RED incident's title to an
agency removed from it. What a notification shows now follows what its reader may see
at the moment it is read: the list, opening it, and the daily digest."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from coordination.notifications.choices import Channel, Delivery, Event
from coordination.notifications.digest import send_due_digests
from coordination.notifications.models import Notification, Preference
from incidents.actions import remove_participation, share_incident
from incidents.choices import TLP, ParticipationRole
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

TITLE = "Operation Nightjar: informant inside the crew"


@pytest.fixture
def red_case(lead_user, invited_agency):
    return make_incident(
        lead_user,
        title=TITLE,
        tlp=TLP.RED,
        shared_with=[(invited_agency, ParticipationRole.OBSERVER)],
    )


@pytest.fixture
def removed(red_case, invited_agency, lead_user):
    participation = red_case.participations.get(agency=invited_agency)
    remove_participation(participation, lead_user)
    return red_case


def test_the_list_shows_the_title_while_the_agency_takes_part(client, invited_user, red_case):
    client.force_login(invited_user)

    html = client.get(reverse("notifications:inbox")).content.decode()

    assert TITLE in html and red_case.reference in html


def test_removed_agency_no_longer_reads_the_title_in_the_list(client, invited_user, removed):
    client.force_login(invited_user)

    html = client.get(reverse("notifications:inbox")).content.decode()

    assert TITLE not in html
    assert removed.reference not in html
    assert "No longer available to you" in html
    assert "1 unread" in html  # the row itself stays, without its content


def test_removed_agency_opening_the_notification_lands_on_the_list(client, invited_user, removed):
    client.force_login(invited_user)
    row = Notification.objects.get(recipient=invited_user, channel=Channel.APP)

    response = client.post(reverse("notifications:open", args=[row.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:inbox")
    row.refresh_from_db()
    assert row.read_at is not None


def test_shared_again_the_notification_shows_again(
    client, invited_user, invited_agency, lead_user, removed
):
    share_incident(removed, invited_agency, ParticipationRole.OBSERVER, lead_user)
    client.force_login(invited_user)

    html = client.get(reverse("notifications:inbox")).content.decode()

    assert TITLE in html


def test_visibility_is_decided_per_reader(client, lead_user, invited_user, removed):
    # The lead agency's own notifications about the case are unaffected.
    other = make_incident(lead_user, title="Still shared case")
    from incidents.actions import share_incident as share

    share(other, invited_user.agency, ParticipationRole.OBSERVER, lead_user)
    client.force_login(invited_user)

    html = client.get(reverse("notifications:inbox")).content.decode()

    assert "Still shared case" in html or other.reference in html
    assert TITLE not in html


def test_the_list_checks_visibility_with_constant_queries(
    client, lead_user, invited_user, invited_agency, django_assert_max_num_queries
):
    def page_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("notifications:inbox"))
        return len(captured.captured_queries)

    client.force_login(invited_user)
    make_incident(lead_user, title="One", shared_with=[(invited_agency, None)])
    few = page_queries()
    for n in range(6):
        case = make_incident(lead_user, title=f"Case {n}", tlp=TLP.RED)
        share_incident(case, invited_agency, ParticipationRole.OBSERVER, lead_user)
        if n % 2:
            remove_participation(case.participations.get(agency=invited_agency), lead_user)

    with django_assert_max_num_queries(few):
        client.get(reverse("notifications:inbox"))


def test_digest_leaves_out_what_the_reader_may_no_longer_see(
    lead_user, invited_agency, invited_user
):
    Preference.objects.create(
        user=invited_user, event=Event.INCIDENT_SHARED, delivery=Delivery.DIGEST
    )
    secret = make_incident(lead_user, title=TITLE, tlp=TLP.RED)
    share_incident(secret, invited_agency, ParticipationRole.OBSERVER, lead_user)
    kept = make_incident(lead_user, title="Kept case")
    share_incident(kept, invited_agency, ParticipationRole.OBSERVER, lead_user)
    remove_participation(secret.participations.get(agency=invited_agency), lead_user)

    assert send_due_digests(datetime(2026, 11, 24, 7, 5, tzinfo=UTC)) == 1

    digest = Notification.objects.get(event=Event.DIGEST, recipient=invited_user)
    assert kept.reference in digest.body_text
    assert secret.reference not in digest.body_text and TITLE not in digest.body_text
    waiting = Notification.objects.filter(
        recipient=invited_user, channel=Channel.APP, digested_at__isnull=True
    )
    assert not waiting.exists()


def test_request_notifications_follow_the_request_visibility(
    client, lead_user, invited_user, invited_agency
):
    """A row about something the reader may not see (here: another agency's draft request,
    linked by hand) shows nothing of it."""
    from coordination.assistance import actions as request_actions
    from coordination.notifications.services import Message, notify

    case = make_incident(lead_user, shared_with=[(invited_agency, None)])
    draft = request_actions.create_request(lead_user, incident=case, legal_basis="eio")
    notify(
        Message(
            event=Event.REQUEST_UPDATED,
            key="test:draft",
            link=draft.get_absolute_url(),
            context={"reference": draft.reference, "headline": "Secret draft"},
        ),
        users=[invited_user],
    )
    client.force_login(invited_user)

    html = client.get(reverse("notifications:inbox")).content.decode()

    assert draft.reference not in html

"""The people of another node's agencies, published in its directory, so that a TLP:RED item
can name them: kept here as rows that sign in nowhere, offered in the recipient pickers, and
named on their own node by their username there."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from accounts.models import User
from coordination.federation import directory
from coordination.federation.choices import InboxStatus
from coordination.federation.models import InboxMessage, OutboxMessage
from coordination.intel import actions as intel_actions
from incidents import actions
from incidents.choices import TLP, ParticipationRole
from incidents.forms import TimelineEntryForm
from tests.factories import AgencyFactory, UserFactory, make_incident
from tests.federation.conftest import agency_entry

pytestmark = [pytest.mark.federation, pytest.mark.django_db]


def person(username, name):
    return {"username": username, "name": name}


@pytest.fixture
def listed(remote, post_message):
    """de-node's directory: BKA with Hans and Petra."""
    body = {
        "agencies": [
            agency_entry(7, "BKA", people=[person("hans", "Hans Weber"), person("petra", "P. K")])
        ]
    }
    assert post_message(remote.message(1, body=body)).status_code == 200
    return body


def hans():
    return User.objects.get(username="de-node:hans")


def test_directory_lists_the_active_people_of_active_agencies_by_username_and_name_only(
    ofac, investigator
):
    UserFactory(username="gone", agency=ofac, is_active=False)
    closed = AgencyFactory(short_name="OLD", is_active=False)
    UserFactory(username="olduser", agency=closed)

    body = directory.snapshot()

    (entry,) = body["agencies"]
    assert entry["short_name"] == "OFAC"
    assert entry["people"] == [{"username": "claire", "name": investigator.get_full_name()}]


def test_a_peers_people_are_kept_as_rows_that_cannot_sign_in(listed, remote, rf):
    row = hans()

    assert (row.display_name, row.agency.short_name, row.agency.node) == (
        "Hans Weber",
        "BKA",
        remote.peer,
    )
    assert row.listed_by_node and not row.is_active and not row.has_usable_password()
    assert not row.groups.exists()
    assert authenticate(rf.post("/accounts/login/"), username="de-node:hans", password="") is None


def test_a_person_left_out_of_a_later_directory_can_no_longer_be_named(
    listed, remote, post_message
):
    body = {"agencies": [agency_entry(7, "BKA", people=[person("hans", "Hans Weber-Roth")])]}

    post_message(remote.message(2, body=body))

    assert hans().display_name == "Hans Weber-Roth" and hans().listed_by_node
    petra = User.objects.get(username="de-node:petra")
    assert not petra.listed_by_node  # kept: earlier items still name her
    assert petra not in User.objects.nameable()


def test_a_directory_with_a_malformed_person_fails_and_changes_nothing(
    listed, remote, post_message
):
    body = {"agencies": [agency_entry(7, "BKA", people=[person("bad name:x", "Someone")])]}

    post_message(remote.message(2, body=body))

    message = InboxMessage.objects.get(seq=2)
    assert message.status == InboxStatus.FAILED  # as any malformed directory: sent again
    assert "people" in message.error and "bad name:x" in message.error
    assert User.objects.get(username="de-node:petra").listed_by_node


def test_removing_a_peer_leaves_its_people_unnameable(listed, remote):
    directory.withdraw_agencies_of(remote.peer)

    assert not User.objects.nameable().filter(agency__node=remote.peer).exists()


def test_entry_form_offers_the_listed_people_of_a_participating_remote_agency_with_their_node(
    listed, investigator, remote
):
    bka = hans().agency
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    User.objects.filter(username="de-node:petra").update(listed_by_node=False)

    form = TimelineEntryForm(incident=incident, user=investigator)

    labels = [label for _value, label in form.fields["audience"].choices]
    assert labels == ["Hans Weber · BKA (DE) · node de-node"]


def test_red_entry_naming_a_remote_person_goes_to_their_node_alone_with_their_username_there(
    listed, investigator, remote, ccn
):
    incident = make_incident(
        investigator,
        shared_with=[
            (hans().agency, ParticipationRole.CONTRIBUTOR),
            (ccn, ParticipationRole.CONTRIBUTOR),
        ],
    )
    before = OutboxMessage.objects.count()

    entry = actions.add_timeline_entry(
        incident, investigator, "Source is an insider", tlp=TLP.RED, audience=[hans()]
    )

    (message,) = OutboxMessage.objects.order_by("pk")[before:]
    assert message.peer == remote.peer and message.body["entry"]["id"] == entry.pk
    assert message.body["audience"] == ["hans"]


def test_red_indicator_may_name_a_remote_person_but_not_an_unlisted_one(
    listed, investigator, remote
):
    incident = make_incident(
        investigator, shared_with=[(hans().agency, ParticipationRole.CONTRIBUTOR)]
    )
    petra = User.objects.get(username="de-node:petra")
    petra.listed_by_node = False
    petra.save(update_fields=["listed_by_node"])

    indicator, _created = intel_actions.add_indicator(
        incident, investigator, value="198.51.100.9", tlp=TLP.RED, audience=[hans()]
    )
    with pytest.raises(ValidationError) as refused:
        intel_actions.add_indicator(
            incident, investigator, value="198.51.100.10", tlp=TLP.RED, audience=[petra]
        )

    assert hans() in indicator.audience.all()
    assert "participating agency" in refused.value.message_dict["audience"][0]
    sent = OutboxMessage.objects.filter(type="incident.indicator", peer=remote.peer)
    assert sent.last().body["audience"] == ["hans"]

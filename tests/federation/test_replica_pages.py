"""A case shared across nodes when a node is suspended, and what its pages tell its users
about the other nodes."""

import pytest

from accounts.choices import Role
from coordination.federation import actions as federation
from coordination.federation.models import OutboxMessage
from incidents import actions
from tests.factories import AgencyFactory, UserFactory, make_incident
from tests.federation.conftest import make_remote_agency

pytestmark = [pytest.mark.federation, pytest.mark.django_db]

NOTE = "seen and assigned among its people only"


@pytest.fixture
def claire(node):
    agency = AgencyFactory(short_name="OFAC-2", name="OFAC", country="FR")
    return UserFactory(username="claire", agency=agency, role=Role.INVESTIGATOR)


def test_tasks_of_a_case_shared_with_another_node_are_said_to_stay_on_this_node(
    client, claire, remote
):
    incident = make_incident(claire, tlp="amber")
    client.force_login(claire)
    url = f"/incidents/{incident.reference}/tasks/"
    assert NOTE not in client.get(url).content.decode()

    agency = make_remote_agency(remote.peer, 7, "BKA")
    actions.share_incident(incident, agency, "contributor", claire)

    assert NOTE in client.get(url).content.decode()


def test_what_the_lead_writes_for_a_suspended_node_waits_for_it(claire, remote):
    incident = make_incident(claire, tlp="amber")
    actions.share_incident(
        incident, make_remote_agency(remote.peer, 7, "BKA"), "contributor", claire
    )
    federation.suspend_peer(remote.peer)

    entry = actions.add_timeline_entry(incident, claire, "Written while de-node is suspended")

    waiting = OutboxMessage.objects.filter(peer=remote.peer, delivered_at__isnull=True)
    assert any(m.body.get("entry", {}).get("id") == entry.pk for m in waiting)

"""What the pages of a case shared across nodes tell its users about the other nodes."""

import pytest

from accounts.choices import Role
from incidents import actions
from tests.factories import AgencyFactory, UserFactory, make_incident
from tests.federation.conftest import make_remote_agency

pytestmark = [pytest.mark.federation, pytest.mark.django_db]

NOTE = "seen and assigned among its people only"


@pytest.fixture
def claire(node):
    ofac = AgencyFactory(short_name="OFAC", name="OFAC", country="FR")
    return UserFactory(username="claire", agency=ofac, role=Role.INVESTIGATOR)


def test_tasks_of_a_case_shared_with_another_node_are_said_to_stay_on_this_node(
    client, claire, remote
):
    incident = make_incident(claire, tlp="amber")
    client.force_login(claire)
    url = f"/incidents/{incident.reference}/tasks/"
    assert NOTE not in client.get(url).content.decode()

    actions.share_incident(
        incident, make_remote_agency(remote.peer, 7, "BKA"), "contributor", claire
    )

    assert NOTE in client.get(url).content.decode()

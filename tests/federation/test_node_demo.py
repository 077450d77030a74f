"""The demo split over two national nodes: each loads its countries' share, then, once the
nodes are connected, shares its cases with the other node's agencies."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Agency, User
from coordination.exercises.models import Exercise
from coordination.federation.models import OutboxMessage
from incidents.evidence.choices import EvidenceStatus
from incidents.models import Evidence, Incident, Participation
from tests.federation.conftest import make_remote_agency

pytestmark = [pytest.mark.django_db, pytest.mark.federation]


def load(*args):
    call_command("load_demo", "--quiet-logins", *args)


def test_a_node_loads_only_its_countries_agencies_people_and_cases(node):
    load("--countries", "DE,EE")
    load("--countries", "DE,EE")  # safe to run again

    assert set(Agency.objects.values_list("country", flat=True)) == {"DE", "EE"}
    assert not User.objects.filter(username__startswith="fr-").exists()
    assert set(Incident.objects.values_list("lead_agency__country", flat=True)) <= {"DE", "EE"}
    assert Incident.objects.filter(title__startswith="LockBit-style").count() == 1
    # every participant is one of this node's agencies until the nodes are connected
    assert not Participation.objects.exclude(agency__country__in=["DE", "EE"]).exists()
    # the exercise needs agencies of the other node
    assert not Exercise.objects.exists()


def test_once_connected_a_node_shares_its_cases_with_the_other_nodes_agencies(node, remote):
    load("--countries", "DE,EE")
    thtc = make_remote_agency(remote.peer, 7, "THTC", country="NL")
    make_remote_agency(remote.peer, 8, "OFAC", country="FR")

    call_command("load_demo", "--federated")
    call_command("load_demo", "--federated")  # nothing twice

    hospital = Incident.objects.get(title__startswith="LockBit-style")
    assert hospital.participations.filter(agency=thtc, role="contributor").exists()
    assert Participation.objects.filter(agency__node=remote.peer).count() == 2
    # the case went to the other node, on the case's stream
    assert OutboxMessage.objects.filter(
        peer=remote.peer, type="incident.state", stream__startswith="incident:fr-node:"
    ).exists()
    # the requests to the Dutch unit are sent there, each on its own stream
    sent = OutboxMessage.objects.filter(peer=remote.peer, type="request.sent")
    assert sent.count() == 2 and all(m.stream.startswith("request:fr-node:") for m in sent)
    # and the disk image is handed over to the Dutch unit, in transit until it is received
    image = Evidence.objects.get(title="Disk image of file server FS-02")
    assert image.status == EvidenceStatus.IN_TRANSIT and image.transit_to_agency == thtc
    assert OutboxMessage.objects.filter(peer=remote.peer, type="evidence.custody").exists()


def test_the_federated_step_needs_a_federated_node(db):
    load("--countries", "DE,EE")
    with pytest.raises(CommandError, match="FEDERATION_NODE_NAME"):
        call_command("load_demo", "--federated")

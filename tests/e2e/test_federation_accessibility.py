"""The pages federation adds or changes, checked as the main pages are (test_accessibility):
axe-core in English and French, and reflow at a phone's width. The demo data set on a node
("fr-node") with one peer ("de-node"): a remote agency in the directory, a case of this
node shared with it, a replica of a case the peer leads, and a message from the peer that
could not be applied."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Agency
from coordination.federation import identity, transport
from incidents import actions
from incidents.models import Incident
from tests.e2e.accessibility import axe_violations, describe_violations, horizontal_overflow
from tests.e2e.test_accessibility import DANGLING_REFERENCES, visit_as_each_user
from tests.federation.conftest import RemoteNode, agency_entry
from tests.federation.test_shared_incidents import entry_from, state_from_de

pytestmark = [pytest.mark.e2e, pytest.mark.federation, pytest.mark.django_db(transaction=True)]

REPLICA_STREAM = "incident:de-node:55"


def _unreachable(method, url, *, body=None, headers=None):
    raise transport.TransportError("ConnectionRefusedError: [Errno 111] Connection refused")


@pytest.fixture
def federated_pages(settings, tmp_path, client, monkeypatch, django_user_model):
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    settings.FEDERATION_NODE_NAME = "fr-node"
    settings.FEDERATION_BASE_URL = "http://fr.node.test"
    settings.FEDERATION_KEY_FILE = tmp_path / "federation" / "node-key.pem"
    identity.generate_key()
    monkeypatch.setattr(transport, "request", _unreachable)
    remote = RemoteNode()
    peer = remote.register()

    def post(token):
        response = client.post("/federation/inbox/", data=token, content_type="application/jose")
        assert response.status_code in (200, 202), response.content

    post(remote.message(1, body={"agencies": [
        agency_entry(7, "LKA-BY", name="Landeskriminalamt Bayern", is_24_7_contact=True),
    ]}))  # fmt: skip
    remote_agency = Agency.objects.get(node=peer, remote_id=7)
    here = Agency.objects.get(short_name="BKA-CC", node__isnull=True)
    post(remote.message(1, type="incident.state", stream=REPLICA_STREAM,
                        body=state_from_de(here, remote_agency)))  # fmt: skip
    replica = Incident.objects.get(origin_node="de-node", origin_id=55)
    post(remote.message(2, type="incident.entry", stream=REPLICA_STREAM,
                        body=entry_from("de-node", 901, {"node": "de-node", "id": 55},
                                        agency={"node": "de-node", "id": 7})))  # fmt: skip
    # A directory whose agency lacks its kind, country and short name: kept, not applied.
    post(remote.message(2, body={"agencies": [{"id": 8, "name": "LKA"}]}))

    investigator = django_user_model.objects.get(username="de-investigator")
    shared = Incident.objects.filter(lead_agency=here, origin_node="").first()
    actions.share_incident(shared, remote_agency, "contributor", investigator)

    pages = [
        ("admin", "/federation/peers/"),
        ("admin", "/federation/peers/rotate-key/"),
        ("admin", f"/federation/peers/{peer.pk}/suspend/"),
        ("admin", f"/federation/peers/{peer.pk}/remove/"),
        ("de-investigator", f"/incidents/{replica.reference}/"),
        ("de-investigator", f"/incidents/{shared.reference}/"),
        ("de-investigator", "/accounts/directory/?q=LKA"),
        ("de-investigator", "/requests/new/"),
    ]
    for username, path in pages:
        client.force_login(django_user_model.objects.get(username=username))
        assert client.get(path).status_code == 200, path
    client.logout()
    return pages


def _speak(django_user_model, language):
    django_user_model.objects.filter(username__in=["admin", "de-investigator"]).update(
        language=language
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_federation_pages_have_no_axe_violation(
    new_page, federated_pages, django_user_model, language
):
    _speak(django_user_model, language)
    problems = []
    for path, page in visit_as_each_user(new_page, federated_pages, language):
        problems += describe_violations(path, axe_violations(page))
        problems += [
            f"{path}: no element with id {ref}" for ref in page.evaluate(DANGLING_REFERENCES)
        ]
    assert not problems, "\n".join(problems)


def test_federation_pages_reflow_at_a_phones_width(new_page, federated_pages, django_user_model):
    _speak(django_user_model, "fr")
    problems = []
    for path, page in visit_as_each_user(
        new_page, federated_pages, "fr", {"width": 320, "height": 844}
    ):
        result = horizontal_overflow(page)
        if result["overflow"] > 0 or result["culprits"]:
            problems.append(f"{path}: {result['overflow']} px too wide; {result['culprits']}")
    assert not problems, "\n".join(problems)

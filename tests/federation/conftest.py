"""A federated node for the tests: this process is node "fr-node"; its peer "de-node" is a
key made here, whose messages the tests sign and post to the inbox."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from joserfc.jwk import OKPKey

from coordination.federation import identity, protocol
from coordination.federation.models import Peer


@pytest.fixture
def node(settings, tmp_path):
    """Federation on, with a fresh key under the test's own directory."""
    settings.FEDERATION_NODE_NAME = "fr-node"
    settings.FEDERATION_BASE_URL = "http://fr.node.test"
    settings.FEDERATION_KEY_FILE = tmp_path / "federation" / "node-key.pem"
    identity.generate_key()
    return identity.signing_key()


class RemoteNode:
    """The peer "de-node": its key, its registration here, and messages it signs."""

    def __init__(self, name="de-node"):
        self.name = name
        self.base_url = f"http://{name.replace('-', '.')}.test"
        self.key = OKPKey.generate_key("Ed25519", private=True)
        self.peer = None

    @property
    def fingerprint(self):
        return identity.fingerprint(self.key)

    def document(self):
        return {
            "name": self.name,
            "base_url": self.base_url,
            "public_key": identity.public_jwk(self.key),
            "fingerprint": self.fingerprint,
            "protocol_versions": ["1"],
        }

    def register(self):
        self.peer = Peer.objects.create(
            name=self.name,
            base_url=self.base_url,
            public_key=identity.public_jwk(self.key),
            fingerprint=self.fingerprint,
        )
        return self.peer

    def envelope(self, seq=1, *, type="directory.published", stream="directory", body=None,
                 sent_at=None, id=None, recipient="fr-node"):  # fmt: skip
        return {
            "id": str(id or uuid.uuid4()),
            "type": type,
            "schema_version": 1,
            "sender": self.name,
            "recipient": recipient,
            "stream": stream,
            "seq": seq,
            "sent_at": (sent_at or timezone.now()).isoformat(),
            "body": body if body is not None else {"agencies": []},
        }

    def sign(self, envelope, key=None, typ=protocol.MESSAGE_TYP):
        return protocol.sign(envelope, typ, key or self.key)

    def message(self, seq=1, key=None, **kwargs):
        return self.sign(self.envelope(seq, **kwargs), key)

    def receipt_for(self, message_id):
        return self.sign(
            {"message_id": str(message_id), "sender": self.name, "status": "applied"},
            typ=protocol.RECEIPT_TYP,
        )


@pytest.fixture
def remote(node, db):
    remote = RemoteNode()
    remote.register()
    return remote


def agency_entry(remote_id, short_name, **fields):
    return {
        "id": remote_id,
        "name": fields.pop("name", f"Agency {short_name}"),
        "short_name": short_name,
        "kind": fields.pop("kind", "police"),
        "country": fields.pop("country", "DE"),
        "is_24_7_contact": fields.pop("is_24_7_contact", False),
        "mailbox": fields.pop("mailbox", f"{short_name.lower()}@example.de"),
        "phone": "",
        "timezone": "Europe/Berlin",
        "language": "de",
        **fields,
    }


def minutes_ago(minutes):
    return timezone.now() - timedelta(minutes=minutes)


@pytest.fixture
def post_message(client):
    def _post(token):
        return client.post("/federation/inbox/", data=token, content_type="application/jose")

    return _post


def make_remote_agency(peer, remote_id, short_name, **fields):
    """An agency of ``peer``'s directory, as the directory message upserts it."""
    from accounts.models import Agency

    return Agency.objects.create(
        node=peer,
        remote_id=remote_id,
        short_name=short_name,
        name=fields.pop("name", f"Agency {short_name}"),
        country=fields.pop("country", "DE"),
        kind=fields.pop("kind", "police"),
        **fields,
    )


@pytest.fixture
def ofac(node, db):
    """An agency of this node ("fr-node")."""
    from tests.factories import AgencyFactory

    return AgencyFactory(short_name="OFAC", name="OFAC", country="FR")


@pytest.fixture
def investigator(ofac):
    from accounts.choices import Role
    from tests.factories import UserFactory

    return UserFactory(username="claire", agency=ofac, role=Role.INVESTIGATOR)


@pytest.fixture
def bka(remote):
    """An agency of de-node, in this node's directory."""
    return make_remote_agency(remote.peer, 7, "BKA")


@pytest.fixture
def spain(node, db):
    """A second peer, "es-node", registered here."""
    spain = RemoteNode("es-node")
    spain.register()
    return spain


@pytest.fixture
def ccn(spain):
    """An agency of es-node, in this node's directory."""
    return make_remote_agency(spain.peer, 3, "CCN", country="ES")


@pytest.fixture
def led_here(investigator, bka, ccn):
    """A case this node leads, shared with BKA of de-node (contributor) and CCN of es-node
    (observer): the lead's node as the hub of three."""
    from incidents.choices import ParticipationRole
    from tests.factories import make_incident

    return make_incident(
        investigator,
        shared_with=[(bka, ParticipationRole.CONTRIBUTOR), (ccn, ParticipationRole.OBSERVER)],
    )


def lead_stream(incident):
    """The case's reference in messages and its stream, for a case led here."""
    return {"node": "fr-node", "id": incident.pk}, f"incident:fr-node:{incident.pk}"

import pytest

from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from coordination.federation import transport
from coordination.federation.choices import PeerState
from coordination.federation.models import Peer
from coordination.federation.outbox import enqueue
from tests.factories import UserFactory
from tests.federation.conftest import RemoteNode

pytestmark = [pytest.mark.federation, pytest.mark.django_db]


@pytest.fixture
def node_admin(db):
    return UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)


def test_node_admin_sees_each_peer_with_its_state_backlog_and_failures(
    login, node_admin, remote, django_assert_max_num_queries
):
    enqueue(remote.peer, "t", "s", {})
    enqueue(remote.peer, "t", "s", {})
    Peer.objects.filter(pk=remote.peer.pk).update(failures=3, last_error="Connection refused")
    RemoteNode("es-node").register()
    client = login(node_admin)

    with django_assert_max_num_queries(12):
        response = client.get("/federation/peers/")

    assert response.status_code == 200
    text = response.text
    assert "de-node" in text and "es-node" in text
    assert "2 to send" in text and "Connection refused" in text
    assert remote.peer.grouped_fingerprint in text
    assert "fr-node" in text  # this node's own identity


@pytest.mark.parametrize("persona", ["lead_user", "agency_admin"])
def test_peers_page_is_refused_to_everyone_but_node_admins(login, remote, persona, lead_agency):
    from accounts.choices import Role

    user = UserFactory(
        agency=lead_agency,
        role=Role.AGENCY_ADMIN if persona == "agency_admin" else Role.INVESTIGATOR,
    )

    assert login(user).get("/federation/peers/").status_code == 403
    assert login(user).post(f"/federation/peers/{remote.peer.pk}/suspend/").status_code == 403
    Peer.objects.get(state=PeerState.ACTIVE)


def test_anonymous_is_sent_to_sign_in(client, remote):
    response = client.get("/federation/peers/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_suspending_asks_for_confirmation_then_suspends_and_is_audited(login, node_admin, remote):
    client = login(node_admin)
    url = f"/federation/peers/{remote.peer.pk}/suspend/"

    confirm = client.get(url)
    assert confirm.status_code == 200 and "Suspend de-node?" in confirm.text
    assert Peer.objects.get().state == PeerState.ACTIVE

    response = client.post(url)

    assert response.status_code == 302
    assert Peer.objects.get().state == PeerState.SUSPENDED
    record = AuditRecord.objects.get(action=AuditAction.PEER_SUSPENDED)
    assert record.object_ref == "de-node" and record.actor_name == "root"
    client.post(f"/federation/peers/{remote.peer.pk}/resume/")
    assert Peer.objects.get().state == PeerState.ACTIVE


def test_removing_a_peer_from_the_page(login, node_admin, remote):
    login(node_admin).post(f"/federation/peers/{remote.peer.pk}/remove/")

    assert Peer.objects.get().state == PeerState.REMOVED


def test_retry_ends_the_backoff_now(login, node_admin, remote, monkeypatch):
    from django.utils import timezone

    Peer.objects.filter(pk=remote.peer.pk).update(
        next_attempt_at=timezone.now() + timezone.timedelta(hours=1)
    )

    response = login(node_admin).post(f"/federation/peers/{remote.peer.pk}/retry/")

    assert response.status_code == 302
    assert Peer.objects.get().next_attempt_at <= timezone.now()
    assert AuditRecord.objects.filter(action=AuditAction.PEER_RETRY).exists()


def test_adding_a_peer_with_a_wrong_fingerprint_shows_why_beside_the_form(
    login, node_admin, node, monkeypatch
):
    other = RemoteNode("it-node")
    monkeypatch.setattr(transport, "get_json", lambda url, headers=None: other.document())

    response = login(node_admin).post(
        "/federation/peers/", {"base_url": "http://it.node.test", "fingerprint": "cd" * 32}
    )

    assert response.status_code == 200
    assert "not the one agreed" in response.text
    assert not Peer.objects.filter(name="it-node").exists()


def test_adding_a_peer_with_a_malformed_fingerprint_names_the_field(login, node_admin, node):
    response = login(node_admin).post(
        "/federation/peers/", {"base_url": "http://it.node.test", "fingerprint": "1234"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "fingerprint": ["A fingerprint is 64 hexadecimal digits."]
    }


def test_peers_page_is_not_found_while_federation_is_off(login, node_admin, settings):
    settings.FEDERATION_NODE_NAME = ""

    assert login(node_admin).get("/federation/peers/").status_code == 404


def test_messages_received_that_could_not_be_applied_are_listed_with_their_error(
    login, node_admin, remote, post_message, django_assert_max_num_queries
):
    malformed = {"agencies": [{"id": 7, "name": "BKA"}]}  # no kind, country, short name
    post_message(remote.message(1, body=malformed))
    client = login(node_admin)

    with django_assert_max_num_queries(13):
        response = client.get("/federation/peers/")

    text = response.text
    assert "Messages received that could not be applied" in text
    assert "directory.published" in text and "directory #1" in text
    assert "short_name: text of 1 to 40 characters" in text


def test_no_failed_message_no_such_list(login, node_admin, remote):
    assert "could not be applied" not in login(node_admin).get("/federation/peers/").text


def test_rotating_the_key_asks_for_confirmation_then_rotates_and_is_audited(
    login, node_admin, remote, node
):
    from coordination.federation import identity
    from coordination.federation.models import OutboxMessage

    old = identity.fingerprint(node)
    client = login(node_admin)

    confirm = client.get("/federation/peers/rotate-key/")
    assert confirm.status_code == 200 and "Rotate this node's key?" in confirm.text
    assert "1 peer node is told" in confirm.text
    assert identity.fingerprint(identity.signing_key()) == old

    response = client.post("/federation/peers/rotate-key/", follow=True)

    new = identity.fingerprint(identity.signing_key())
    assert new != old
    assert identity.grouped(new) in response.text
    assert "1 peer node is told" in response.text
    assert OutboxMessage.objects.get(type="node.key_rotated").signed_with == old
    record = AuditRecord.objects.get(action=AuditAction.NODE_KEY_ROTATED)
    assert record.actor_name == "root"
    assert record.details == {"old_fingerprint": old, "fingerprint": new}


def test_a_second_rotation_waits_until_every_peer_has_the_first(login, node_admin, remote):
    from coordination.federation import identity

    client = login(node_admin)
    client.post("/federation/peers/rotate-key/")
    rotated = identity.fingerprint(identity.signing_key())

    confirm = client.get("/federation/peers/rotate-key/")
    response = client.post("/federation/peers/rotate-key/", follow=True)

    assert "de-node has not received the previous rotation yet" in confirm.text
    assert "de-node has not received the previous rotation yet" in response.text
    assert identity.fingerprint(identity.signing_key()) == rotated
    assert AuditRecord.objects.filter(action=AuditAction.NODE_KEY_ROTATED).count() == 1


def test_a_key_file_that_cannot_be_written_is_said_and_nothing_changes(
    login, node_admin, remote, node, monkeypatch
):
    from coordination.federation import identity

    def read_only(path, key):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(identity, "_write_private", read_only)

    response = login(node_admin).post("/federation/peers/rotate-key/", follow=True)

    assert "The new key could not be written" in response.text
    assert "federation_key --rotate" in response.text
    assert identity.fingerprint(identity.signing_key()) == identity.fingerprint(node)
    assert not AuditRecord.objects.filter(action=AuditAction.NODE_KEY_ROTATED).exists()


def test_rotating_the_key_is_refused_to_everyone_but_node_admins(login, remote, node, lead_agency):
    from accounts.choices import Role
    from coordination.federation import identity

    user = UserFactory(agency=lead_agency, role=Role.AGENCY_ADMIN)

    assert login(user).post("/federation/peers/rotate-key/").status_code == 403
    assert identity.fingerprint(identity.signing_key()) == identity.fingerprint(node)

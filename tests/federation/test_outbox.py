from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from coordination.federation import actions, delivery, directory, protocol, tasks, transport
from coordination.federation.choices import PeerState
from coordination.federation.models import OutboxMessage, Peer
from coordination.federation.outbox import enqueue
from tests.factories import AgencyFactory
from tests.federation.conftest import RemoteNode, make_remote_agency

pytestmark = [pytest.mark.federation, pytest.mark.django_db]


class PeerInbox:
    """The peer's inbox as ``transport.request`` sees it: answers, or fails, on demand."""

    def __init__(self, remote, node):
        self.remote = remote
        self.node = node
        self.received = []
        self.down = 0

    def __call__(self, method, url, *, body=None, headers=None):
        if self.down:
            self.down -= 1
            raise transport.TransportError("ConnectionRefusedError: [Errno 111]")
        envelope = protocol.verify(body, self.node, protocol.MESSAGE_TYP)
        self.received.append(envelope)
        return 200, self.remote.receipt_for(envelope["id"])


@pytest.fixture
def peer_inbox(remote, node, monkeypatch):
    inbox = PeerInbox(remote, node)
    monkeypatch.setattr(transport, "request", inbox)
    return inbox


def test_message_written_with_a_change_is_delivered_signed_with_its_receipt_kept(
    remote, peer_inbox, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(tasks.deliver_to_peer, "delay", tasks.deliver_to_peer.run)

    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(remote.peer, "directory.published", "directory", {"agencies": []})

    message.refresh_from_db()
    assert message.delivered_at is not None and message.receipt
    assert [(e["seq"], e["stream"], e["recipient"]) for e in peer_inbox.received] == [
        (1, "directory", "de-node")
    ]
    remote.peer.refresh_from_db()
    assert remote.peer.last_out_at is not None and remote.peer.failures == 0


def test_messages_of_a_stream_are_numbered_in_order_per_peer(remote, node):
    other = RemoteNode("es-node").register()

    seqs = [enqueue(remote.peer, "t", "s", {}).seq for _ in range(3)]
    seqs_other = [enqueue(other, "t", "s", {}).seq for _ in range(2)]

    assert seqs == [1, 2, 3] and seqs_other == [1, 2]


def test_peer_that_is_down_is_retried_with_growing_backoff_then_catches_up(remote, peer_inbox):
    for _ in range(3):
        enqueue(remote.peer, "t", "s", {})
    peer_inbox.down = 2

    assert delivery.deliver(remote.peer.pk) is False
    remote.peer.refresh_from_db()
    first_wait = remote.peer.next_attempt_at - timezone.now()
    assert remote.peer.failures == 1 and "Errno 111" in remote.peer.last_error
    assert delivery.deliver(remote.peer.pk) is False  # still backing off: not tried
    assert peer_inbox.down == 1

    Peer.objects.filter(pk=remote.peer.pk).update(next_attempt_at=timezone.now())
    delivery.deliver(remote.peer.pk)
    remote.peer.refresh_from_db()
    assert remote.peer.failures == 2
    assert remote.peer.next_attempt_at - timezone.now() > first_wait / 2

    Peer.objects.filter(pk=remote.peer.pk).update(next_attempt_at=timezone.now())
    assert remote.peer.pk in delivery.due_peer_ids()
    delivery.deliver(remote.peer.pk)

    assert [e["seq"] for e in peer_inbox.received] == [1, 2, 3]
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    remote.peer.refresh_from_db()
    assert remote.peer.failures == 0 and remote.peer.next_attempt_at is None
    assert delivery.due_peer_ids() == []


def test_backoff_doubles_up_to_its_cap(settings):
    settings.FEDERATION_RETRY_FIRST_SECONDS = 10
    settings.FEDERATION_RETRY_MAX_SECONDS = 60

    assert delivery.retry_delay(1) <= timedelta(seconds=10)
    assert timedelta(seconds=20) <= delivery.retry_delay(3) <= timedelta(seconds=40)
    assert delivery.retry_delay(30) <= timedelta(seconds=60)


def test_receipt_for_another_message_counts_as_a_failure(remote, node, monkeypatch):
    enqueue(remote.peer, "t", "s", {})
    monkeypatch.setattr(
        transport, "request", lambda *a, **k: (200, remote.receipt_for("not-this-one"))
    )

    delivery.deliver(remote.peer.pk)

    assert OutboxMessage.objects.get().delivered_at is None
    assert "another message" in Peer.objects.get().last_error


def test_nothing_is_delivered_to_a_suspended_peer(remote, peer_inbox):
    enqueue(remote.peer, "t", "s", {})
    actions.suspend_peer(remote.peer)

    delivery.deliver(remote.peer.pk)

    assert peer_inbox.received == [] and delivery.due_peer_ids() == []


def test_sweep_queues_due_peers_and_publishes_a_changed_directory(remote, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.deliver_to_peer, "delay", queued.append)
    AgencyFactory(short_name="OFAC", country="FR")

    tasks.sweep()

    assert queued == [remote.peer.pk]
    message = OutboxMessage.objects.get(type="directory.published")
    assert [a["short_name"] for a in message.body["agencies"]] == ["OFAC"]
    tasks.sweep()
    assert OutboxMessage.objects.filter(type="directory.published").count() == 1  # unchanged


def test_outbox_serves_a_stream_to_the_peer_that_signs_the_request(remote, node, client):
    enqueue(remote.peer, "t", "s", {"n": 1})
    enqueue(remote.peer, "t", "s", {"n": 2})
    request = remote.sign(
        {"id": "1", "sender": "de-node", "recipient": "fr-node", "stream": "s", "after": 1,
         "sent_at": protocol.now_iso()},
        typ=protocol.REQUEST_TYP,
    )  # fmt: skip

    response = client.get(
        "/federation/outbox/?stream=s&after=1", HTTP_AUTHORIZATION=f"Concord {request}"
    )

    assert response.status_code == 200
    served = [protocol.verify(t, node, protocol.MESSAGE_TYP) for t in response.json()["messages"]]
    assert [(m["seq"], m["body"]) for m in served] == [(2, {"n": 2})]


def test_outbox_refuses_an_unsigned_request(remote, client):
    assert client.get("/federation/outbox/?stream=s&after=0").status_code == 403


def test_add_peer_registers_a_node_whose_fingerprint_matches_and_sends_it_the_directory(
    node, db, monkeypatch, capsys
):
    remote = RemoteNode()
    monkeypatch.setattr(transport, "get_json", lambda url, headers=None: remote.document())
    AgencyFactory(short_name="OFAC", country="FR")

    call_command("federation_add_peer", "http://de.node.test/", remote.fingerprint.upper())

    peer = Peer.objects.get(name="de-node")
    assert peer.fingerprint == remote.fingerprint and peer.state == PeerState.ACTIVE
    assert OutboxMessage.objects.get(peer=peer).type == directory.MESSAGE_TYPE
    assert AuditRecord.objects.filter(action=AuditAction.PEER_ADDED, object_ref="de-node")


def test_add_peer_refuses_a_node_whose_key_has_another_fingerprint(node, db, monkeypatch):
    remote = RemoteNode()
    monkeypatch.setattr(transport, "get_json", lambda url, headers=None: remote.document())

    with pytest.raises(CommandError, match="not the one agreed"):
        call_command("federation_add_peer", "http://de.node.test", "ab" * 32)

    assert not Peer.objects.exists()


def test_removed_peer_is_refused_and_its_agencies_leave_the_directory(remote, post_message):
    from accounts.models import Agency

    make_remote_agency(remote.peer, 3, "BKA")
    actions.remove_peer(remote.peer)

    assert post_message(remote.message(1)).status_code == 403
    assert not Agency.objects.listed().filter(node=remote.peer).exists()
    assert AuditRecord.objects.filter(action=AuditAction.PEER_REMOVED).exists()


def test_rotating_the_node_key_announces_the_new_key_signed_with_the_old_one(
    remote, node, peer_inbox
):
    from coordination.federation import identity

    waiting = enqueue(remote.peer, "t", "s", {})

    actions.rotate_node_key()
    later = enqueue(remote.peer, "t", "s", {})

    new_key = identity.signing_key()
    assert identity.fingerprint(new_key) != identity.fingerprint(node)
    announcement = OutboxMessage.objects.get(type="node.key_rotated")
    assert announcement.body["fingerprint"] == identity.fingerprint(new_key)
    old = identity.fingerprint(node)
    assert {waiting.pk, announcement.pk} == set(
        OutboxMessage.objects.filter(signed_with=old).values_list("pk", flat=True)
    )
    assert protocol.header_of(protocol.sign_message(announcement))["kid"] == old
    later.refresh_from_db()
    assert protocol.header_of(protocol.sign_message(later))["kid"] == identity.fingerprint(new_key)


def test_a_suspended_peer_is_told_of_a_rotation_when_it_is_resumed(remote, node, peer_inbox):
    from coordination.federation import identity

    actions.suspend_peer(remote.peer)
    actions.rotate_node_key()

    announcement = OutboxMessage.objects.get(type="node.key_rotated", peer=remote.peer)
    assert announcement.signed_with == identity.fingerprint(node)
    assert announcement.delivered_at is None


def test_a_second_rotation_is_refused_while_a_peer_waits_for_the_first(remote, node, peer_inbox):
    from coordination.federation import identity

    actions.rotate_node_key()
    first = identity.fingerprint(identity.signing_key())

    with pytest.raises(actions.PeerError, match="de-node has not received"):
        actions.rotate_node_key()

    assert identity.fingerprint(identity.signing_key()) == first
    OutboxMessage.objects.update(delivered_at=timezone.now())
    actions.rotate_node_key()
    assert identity.fingerprint(identity.signing_key()) != first


def test_a_removed_peer_does_not_hold_back_a_rotation(remote, node, peer_inbox):
    actions.rotate_node_key()
    actions.remove_peer(remote.peer)

    actions.rotate_node_key()

    assert OutboxMessage.objects.filter(type="node.key_rotated").count() == 1


def test_a_peer_failing_midway_keeps_what_it_took_and_counts_one_failure_from_there(
    remote, node, monkeypatch
):
    for _ in range(4):
        enqueue(remote.peer, "t", "s", {})
    Peer.objects.filter(pk=remote.peer.pk).update(failures=5)  # failures before this batch
    taken = []

    def inbox(method, url, *, body=None, headers=None):
        if len(taken) == 2:
            raise transport.TransportError("ConnectionResetError: [Errno 104]")
        envelope = protocol.verify(body, node, protocol.MESSAGE_TYP)
        taken.append(envelope["seq"])
        return 200, remote.receipt_for(envelope["id"])

    monkeypatch.setattr(transport, "request", inbox)

    assert delivery.deliver(remote.peer.pk) is False

    messages = list(OutboxMessage.objects.order_by("seq"))
    assert [(m.seq, m.attempts, m.delivered_at is not None, bool(m.receipt)) for m in messages] == [
        (1, 1, True, True),
        (2, 1, True, True),
        (3, 1, False, False),
        (4, 0, False, False),
    ]
    peer = Peer.objects.get()
    assert peer.failures == 1 and "Errno 104" in peer.last_error
    assert peer.last_out_at is not None and peer.claimed_at is None
    assert peer.next_attempt_at > timezone.now()

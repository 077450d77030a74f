import pytest
from joserfc.jwk import OKPKey

from accounts.models import Agency
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from coordination.federation import identity, protocol
from coordination.federation.choices import InboxStatus, PeerState
from coordination.federation.models import InboxMessage, InboxStream
from tests.federation.conftest import RemoteNode, agency_entry, minutes_ago

pytestmark = [pytest.mark.federation, pytest.mark.django_db]


def _directory(*entries):
    return {"agencies": list(entries)}


def test_signed_message_from_a_peer_is_stored_applied_and_answered_with_a_signed_receipt(
    remote, post_message, node
):
    token = remote.message(1, body=_directory(agency_entry(7, "BKA")))

    response = post_message(token)

    assert response.status_code == 200
    receipt = protocol.verify(response.content.decode(), node, protocol.RECEIPT_TYP)
    assert receipt["status"] == "applied" and receipt["applied_seq"] == 1
    stored = InboxMessage.objects.get()
    assert stored.token == token and stored.status == InboxStatus.APPLIED
    agency = Agency.objects.get(node=remote.peer)
    assert (agency.short_name, agency.remote_id, agency.country.code) == ("BKA", 7, "DE")


def test_message_signed_with_another_key_is_refused_and_nothing_is_stored(remote, post_message):
    forger = OKPKey.generate_key("Ed25519", private=True)
    envelope = remote.envelope(1, body=_directory(agency_entry(7, "FAKE")))
    # The header names the peer's key, the signature is the forger's.
    token = protocol.sign(envelope, protocol.MESSAGE_TYP, forger)
    _header, payload, signature = token.split(".")
    genuine_header = remote.message(1).split(".")[0]

    response = post_message(f"{genuine_header}.{payload}.{signature}")

    assert response.status_code == 403
    assert "signature" in response.json()["errors"]
    assert not InboxMessage.objects.exists() and not Agency.objects.filter(short_name="FAKE")
    assert AuditRecord.objects.filter(action=AuditAction.MESSAGE_REFUSED).exists()


def test_message_from_an_unknown_node_is_refused(node, db, post_message):
    stranger = RemoteNode("xx-node")

    response = post_message(stranger.message(1))

    assert response.status_code == 403
    assert not InboxMessage.objects.exists()


def test_message_from_a_suspended_peer_is_refused(remote, post_message):
    remote.peer.state = PeerState.SUSPENDED
    remote.peer.save()

    response = post_message(remote.message(1))

    assert response.status_code == 403
    assert response.json()["errors"] == {"sender": "this peer is suspended"}
    assert not InboxMessage.objects.exists()


def test_replayed_message_gets_the_same_receipt_and_is_applied_once(remote, post_message):
    token = remote.message(1, body=_directory(agency_entry(7, "BKA")))
    first = post_message(token)

    again = post_message(token)

    assert again.status_code == 200 and again.content == first.content
    assert InboxMessage.objects.count() == 1
    assert Agency.objects.filter(node=remote.peer).count() == 1


def test_message_dated_outside_the_window_is_refused(remote, post_message):
    response = post_message(remote.message(1, sent_at=minutes_ago(6)))

    assert response.status_code == 400
    assert "sent_at" in response.json()["errors"]
    assert not InboxMessage.objects.exists()


def test_message_for_another_node_is_refused_with_the_field_named(remote, post_message):
    response = post_message(remote.message(1, recipient="es-node"))

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"recipient"}


def test_envelope_missing_fields_is_refused_field_by_field(remote, post_message):
    envelope = remote.envelope(1)
    del envelope["seq"], envelope["stream"]

    response = post_message(remote.sign(envelope))

    assert response.status_code == 400
    assert response.json()["errors"] == {"seq": "required", "stream": "required"}


def test_garbage_is_a_bad_request(node, db, post_message):
    assert post_message("not a token").status_code == 400


def test_out_of_order_message_is_held_then_applied_after_the_one_before_it(
    remote, post_message, node, django_capture_on_commit_callbacks, monkeypatch
):
    from coordination.federation import tasks

    monkeypatch.setattr(tasks.fetch_gap, "delay", lambda *args: None)  # no fetch here
    first = remote.message(1, body=_directory(agency_entry(7, "BKA")))
    second = remote.message(2, body=_directory(agency_entry(7, "BKA"), agency_entry(8, "LKA")))

    held = post_message(second)

    assert protocol.verify(held.content.decode(), node, protocol.RECEIPT_TYP)["status"] == "held"
    assert not Agency.objects.filter(node=remote.peer).exists()

    post_message(first)

    assert set(Agency.objects.filter(node=remote.peer).values_list("short_name", flat=True)) == {
        "BKA",
        "LKA",
    }
    assert InboxStream.objects.get(peer=remote.peer).applied_seq == 2
    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.APPLIED}


def test_a_second_message_with_an_applied_sequence_number_is_refused(remote, post_message):
    post_message(remote.message(1))

    response = post_message(remote.message(1))

    assert response.status_code == 409
    assert InboxMessage.objects.count() == 1


def test_gap_is_fetched_back_from_the_sender_with_a_signed_request(
    remote, post_message, node, django_capture_on_commit_callbacks, monkeypatch
):
    from coordination.federation import tasks, transport

    first = remote.message(1, body=_directory(agency_entry(7, "BKA")))
    asked = []

    def peer_outbox(url, headers=None):
        _scheme, token = headers["Authorization"].split(" ")
        request = protocol.verify(token, node, protocol.REQUEST_TYP)
        asked.append((url, request["stream"], request["after"]))
        return {"messages": [first]}

    monkeypatch.setattr(transport, "get_json", peer_outbox)
    monkeypatch.setattr(tasks.fetch_gap, "delay", lambda *a: tasks.fetch_gap.run(*a))

    with django_capture_on_commit_callbacks(execute=True):
        post_message(remote.message(2, body=_directory(agency_entry(8, "LKA"))))

    assert asked == [("http://de.node.test/federation/outbox/?stream=directory&after=0",
                      "directory", 0)]  # fmt: skip
    assert InboxStream.objects.get(peer=remote.peer).applied_seq == 2
    # Applied in order: the second snapshot lists LKA alone.
    assert list(
        Agency.objects.listed().filter(node=remote.peer).values_list("short_name", flat=True)
    ) == ["LKA"]


def test_message_whose_body_cannot_be_applied_is_kept_failed_and_blocks_its_stream(
    remote, post_message
):
    post_message(remote.message(1, body={"agencies": [{"id": 1, "short_name": ""}]}))
    post_message(remote.message(2, body=_directory(agency_entry(8, "LKA"))))

    failed = InboxMessage.objects.get(seq=1)
    assert failed.status == InboxStatus.FAILED and "short_name" in failed.error
    assert InboxMessage.objects.get(seq=2).status == InboxStatus.HELD
    assert not Agency.objects.filter(node=remote.peer).exists()


def test_key_rotation_message_signed_by_the_old_key_makes_the_new_key_the_peers(
    remote, post_message
):
    new_key = OKPKey.generate_key("Ed25519", private=True)
    body = {
        "public_key": identity.public_jwk(new_key),
        "fingerprint": identity.fingerprint(new_key),
    }

    response = post_message(remote.message(1, type="node.key_rotated", stream="node", body=body))

    assert response.status_code == 200
    remote.peer.refresh_from_db()
    assert remote.peer.fingerprint == identity.fingerprint(new_key)
    assert post_message(remote.message(1, key=new_key)).status_code == 200
    assert post_message(remote.message(2)).status_code == 403  # the old key no longer signs
    assert AuditRecord.objects.filter(action=AuditAction.PEER_KEY_CHANGED).exists()


def test_after_a_rotation_the_old_key_proves_only_replays_of_messages_taken_before(
    remote, post_message
):
    taken = remote.message(1, stream="s", type="t")
    first_receipt = post_message(taken).content
    new_key = OKPKey.generate_key("Ed25519", private=True)
    body = {
        "public_key": identity.public_jwk(new_key),
        "fingerprint": identity.fingerprint(new_key),
    }
    post_message(remote.message(1, type="node.key_rotated", stream="node", body=body))

    replay = post_message(taken)
    fresh = post_message(remote.message(2, stream="s", type="t"))

    assert replay.status_code == 200 and replay.content == first_receipt
    assert fresh.status_code == 403
    assert fresh.json()["errors"] == {"kid": "signed with a key this peer has replaced"}


def test_a_resend_that_waited_while_its_first_copy_was_taken_gets_the_same_receipt(
    remote, post_message, monkeypatch
):
    """The sender gave up waiting for the answer and sent the message again; the resend
    checked for the message before the first copy was stored, then waited for the stream."""
    from coordination.federation import inbox

    token = remote.message(1, body=_directory(agency_entry(7, "BKA")))
    first = post_message(token)
    looked = []
    seen = inbox._seen

    def not_yet_on_the_first_look(peer, message_id):
        looked.append(message_id)
        return None if len(looked) == 1 else seen(peer, message_id)

    monkeypatch.setattr(inbox, "_seen", not_yet_on_the_first_look)
    resend = post_message(remote.sign(protocol.verify(token, remote.key, protocol.MESSAGE_TYP)))

    assert len(looked) == 2
    assert resend.status_code == 200 and resend.content == first.content
    assert InboxMessage.objects.get().status == InboxStatus.APPLIED
    assert Agency.objects.filter(node=remote.peer).count() == 1

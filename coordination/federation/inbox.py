"""Receiving a message: verify, refuse replays, store, apply in order, answer a receipt."""

import logging
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from coordination.audit.choices import AuditAction
from coordination.audit.recorder import record
from coordination.federation import identity, protocol
from coordination.federation.choices import InboxStatus, PeerState
from coordination.federation.handlers import BodyError, Refused, handler_of
from coordination.federation.models import InboxMessage, InboxStream, Peer
from coordination.federation.protocol import ProtocolError

logger = logging.getLogger(__name__)


def signer_of(token, *, typ=protocol.MESSAGE_TYP, previous_key=False):
    """The active peer whose key signed ``token``, and the verified payload.

    ``previous_key``: also the key a peer replaced last (``(peer, payload, True)``).
    """
    header = protocol.header_of(token)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ProtocolError(403, {"kid": "no peer of this node has this key"})
    peer = Peer.objects.filter(fingerprint=kid).first()
    if peer is None and previous_key:
        peer = Peer.objects.filter(previous_fingerprint=kid).first()
        if peer is not None and peer.state == PeerState.ACTIVE:
            try:
                key = identity.import_public(peer.previous_public_key)
                return peer, protocol.verify(token, key, typ), True
            except (ProtocolError, ValueError):
                raise ProtocolError(403, {"signature": "the signature does not verify"}) from None
    if peer is None or peer.state == PeerState.REMOVED:
        raise ProtocolError(403, {"kid": "no peer of this node has this key"})
    if peer.state != PeerState.ACTIVE:
        raise ProtocolError(403, {"sender": "this peer is suspended"}, peer=peer)
    try:
        payload = protocol.verify(token, peer.verification_key(), typ)
    except ProtocolError as exc:
        exc.peer = peer
        raise
    return (peer, payload, False) if previous_key else (peer, payload)


def refuse(exc, request=None):
    """Record a refused message in the audit trail (who sent it, why)."""
    record(
        AuditAction.MESSAGE_REFUSED,
        request=request,
        object_type="peer",
        object_ref=exc.peer.name if exc.peer else "",
        details={"status": exc.status, "errors": exc.errors},
    )


def receive(token):
    """Take one signed message; returns the receipt token. Raises ProtocolError."""
    peer, envelope, replaced_key = signer_of(token, previous_key=True)
    protocol.check_envelope(envelope, peer)
    seen = _seen(peer, envelope["id"])
    if seen is not None:
        return seen.receipt  # a replay of a message taken before: the same answer
    if replaced_key:
        raise ProtocolError(403, {"kid": "signed with a key this peer has replaced"}, peer=peer)
    if not protocol.within_window(envelope["sent_at"], settings.FEDERATION_CLOCK_SKEW_SECONDS):
        raise ProtocolError(
            400, {"sent_at": "outside this node's window; sign the message again"}, peer=peer
        )
    known = handler_of(envelope["type"])
    if known is not None and envelope["schema_version"] > known[0]:
        raise ProtocolError(
            400, {"schema_version": f"this node reads {envelope['type']} up to {known[0]}"},
            peer=peer,
        )  # fmt: skip
    try:
        with transaction.atomic():
            stream, message = _store(peer, envelope, token)
            if message.receipt:  # taken meanwhile by another request (a resend)
                return message.receipt
            applied_seq = _apply_held(peer, stream, received=message)
            message.receipt = receipt_for(message, applied_seq)
            message.save(update_fields=["receipt"])
            Peer.objects.filter(pk=peer.pk).update(last_in_at=timezone.now())
            if message.status == InboxStatus.HELD:
                transaction.on_commit(partial(_queue_gap_fetch, peer.pk, message.stream))
    except IntegrityError:
        # Another request stored the same id (or the same seq) at the same moment.
        seen = InboxMessage.objects.filter(peer=peer, message_id=envelope["id"]).first()
        if seen is not None:
            return seen.receipt
        raise ProtocolError(
            409, {"seq": "this sequence number of the stream came with another message"},
            peer=peer,
        ) from None  # fmt: skip
    return message.receipt


def _seen(peer, message_id):
    return InboxMessage.objects.filter(peer=peer, message_id=message_id).first()


def _store(peer, envelope, token):
    """The stream (locked until the transaction ends) and the message stored, held."""
    stream, _created = InboxStream.objects.select_for_update().get_or_create(
        peer=peer, stream=envelope["stream"]
    )
    if envelope["seq"] <= stream.applied_seq:
        # A resend that waited for this lock while the request before it took the message
        # (the sender gave up waiting for that one's answer): the same answer, not a 409.
        seen = _seen(peer, envelope["id"])
        if seen is not None:
            return stream, seen
        raise ProtocolError(
            409, {"seq": f"stream {stream.stream} is applied up to {stream.applied_seq}"},
            peer=peer,
        )  # fmt: skip
    return stream, InboxMessage.objects.create(
        peer=peer,
        message_id=envelope["id"],
        stream=envelope["stream"],
        seq=envelope["seq"],
        type=envelope["type"],
        schema_version=envelope["schema_version"],
        sent_at=protocol.parse_time(envelope["sent_at"]),
        body=envelope["body"],
        token=token,
        status=InboxStatus.HELD,
    )


def apply_stream(peer, stream_name):
    """Apply the held messages that follow the stream's position, in order; stop at a gap
    or at a message that fails. Returns how many were applied."""
    with transaction.atomic():
        stream = InboxStream.objects.select_for_update().get(peer=peer, stream=stream_name)
        before = stream.applied_seq
        return _apply_held(peer, stream) - before


def _apply_held(peer, stream, received=None):
    """``apply_stream`` on a stream locked by the caller, ``received`` the message just
    stored (not read again). Returns the stream's position after."""
    start = stream.applied_seq
    while True:
        seq = stream.applied_seq + 1
        if received is not None and received.seq == seq:
            message = received
        else:
            message = InboxMessage.objects.filter(peer=peer, stream=stream.stream, seq=seq).first()
        if message is None or message.status not in (InboxStatus.HELD, InboxStatus.FAILED):
            break
        if not _apply(peer, message):
            break
        stream.applied_seq = message.seq
    if stream.applied_seq != start:
        stream.save(update_fields=["applied_seq"])
    return stream.applied_seq


def _apply(peer, message):
    known = handler_of(message.type)
    try:
        with transaction.atomic():
            if known is None:
                message.status = InboxStatus.IGNORED
            else:
                known[1](peer, message.body, message)
                message.status = InboxStatus.APPLIED
            message.applied_at = timezone.now()
            message.error = ""
            message.save(update_fields=["status", "applied_at", "error"])
    except BodyError as exc:
        logger.warning("federation: %s from %s failed to apply: %s", message.type, peer, exc)
        message.status, message.error = InboxStatus.FAILED, str(exc)[:2000]
        InboxMessage.objects.filter(pk=message.pk).update(
            status=message.status, error=message.error
        )
        return False
    except Refused as exc:
        logger.warning("federation: %s from %s refused: %s", message.type, peer, exc)
        message.status, message.error = InboxStatus.REFUSED, str(exc)[:2000]
        message.applied_at = timezone.now()
        InboxMessage.objects.filter(pk=message.pk).update(
            status=message.status, error=message.error, applied_at=message.applied_at
        )
        record(
            AuditAction.MESSAGE_REFUSED,
            object_type="peer",
            object_ref=peer.name,
            details={"message_id": str(message.message_id), "type": message.type,
                     "stream": message.stream, "seq": message.seq, "reason": str(exc)},
        )  # fmt: skip
    return True


def receipt_for(message, applied_seq=None):
    """The signed receipt of ``message``; ``applied_seq``: its stream's position, if known."""
    if applied_seq is None:
        applied_seq = (
            InboxStream.objects.values_list("applied_seq", flat=True)
            .filter(peer=message.peer, stream=message.stream)
            .get()
        )
    return protocol.sign(
        {
            "message_id": str(message.message_id),
            "sender": identity.node_name(),
            "recipient": message.peer.name,
            "stream": message.stream,
            "seq": message.seq,
            "status": message.status,
            "applied_seq": applied_seq,
            "received_at": message.received_at.isoformat(),
        },
        protocol.RECEIPT_TYP,
    )


def _queue_gap_fetch(peer_id, stream):
    from coordination.federation.tasks import fetch_gap

    try:
        fetch_gap.delay(peer_id, stream)
    except Exception:  # broker unreachable: the sweep fetches gaps of held streams
        logger.warning("federation: could not queue a gap fetch", exc_info=True)


def held_streams(limit=100):
    """(peer, stream) pairs with a message waiting for an earlier one."""
    return list(
        InboxMessage.objects.filter(status=InboxStatus.HELD, peer__state=PeerState.ACTIVE)
        .values_list("peer_id", "stream")
        .distinct()
        .order_by("peer_id", "stream")[:limit]
    )


def failed_streams(limit=100, peer=None):
    """(peer, stream) pairs whose next message failed to apply: tried again by the sweep,
    since what it lacked (an agency not yet in the directory) may have arrived since."""
    failed = InboxMessage.objects.filter(status=InboxStatus.FAILED, peer__state=PeerState.ACTIVE)
    if peer is not None:
        failed = failed.filter(peer=peer)
    return list(
        failed.values_list("peer_id", "stream").distinct().order_by("peer_id", "stream")[:limit]
    )

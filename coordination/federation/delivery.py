"""Delivering a peer's messages: claim the peer, send in order, back off when it fails.

Per peer, not per message: a peer that is down is tried once per backoff step rather than
once per waiting message, and its messages leave in the order they were written. A peer is
never given up on; the sweep keeps trying it, so a node that was down catches up by itself.
"""

import logging
import random
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from coordination.federation import protocol, transport
from coordination.federation.choices import PeerState
from coordination.federation.models import OutboxMessage, Peer

logger = logging.getLogger(__name__)

BATCH = 100


def retry_delay(failures):
    """Exponential backoff with jitter, capped: 10 s, 20 s, 40 s ... 10 min by default."""
    first = settings.FEDERATION_RETRY_FIRST_SECONDS
    ceiling = min(settings.FEDERATION_RETRY_MAX_SECONDS, first * 2 ** max(0, failures - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def schedule(peer):
    """Queue delivery to ``peer`` once the current transaction commits."""
    transaction.on_commit(partial(queue, peer.pk))


def queue(peer_id):
    from coordination.federation.tasks import deliver_to_peer

    try:
        deliver_to_peer.delay(peer_id)
    except Exception:  # broker unreachable: the sweep delivers what waits
        logger.warning("federation: could not queue delivery to peer %s", peer_id, exc_info=True)


def _lease():
    return timedelta(seconds=settings.FEDERATION_CLAIM_LEASE_SECONDS)


def claim(peer_id):
    """Only one worker delivers to a peer at a time (compare-and-swap on ``claimed_at``)."""
    now = timezone.now()
    won = (
        Peer.objects.filter(pk=peer_id, state=PeerState.ACTIVE)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _lease()))
        .update(claimed_at=now)
    )
    return Peer.objects.get(pk=peer_id) if won else None


def post(peer, message):
    """Send one message; returns the peer's verified receipt payload."""
    token = protocol.sign_message(message)
    status, text = transport.request(
        "POST",
        f"{peer.base_url}/federation/inbox/",
        body=token,
        headers={"Content-Type": "application/jose"},
    )
    if status != 200:
        raise transport.TransportError(f"HTTP {status}: {text[:500]}")
    receipt = protocol.verify(text.strip(), peer.verification_key(), protocol.RECEIPT_TYP)
    if receipt.get("message_id") != str(message.message_id):
        raise transport.TransportError("the receipt is for another message")
    return text.strip()


def deliver(peer_id):
    """Send what waits for the peer, oldest first. Returns True when more remains to send
    right away (the batch was full), False when done or backing off.

    One write per message delivered (its attempt, when, the receipt) and one for the peer
    per batch: the database round trips, not the signature, cost most of a delivery."""
    peer = claim(peer_id)
    if peer is None:
        return False
    pending = list(
        OutboxMessage.objects.filter(peer=peer, delivered_at__isnull=True).order_by("pk")[:BATCH]
    )
    sent = 0
    for message in pending:
        try:
            receipt = post(peer, message)
        except (transport.TransportError, protocol.ProtocolError) as exc:
            OutboxMessage.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1)
            _back_off(peer, exc, after_sending=sent)
            return False
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, delivered_at=timezone.now(), receipt=receipt
        )
        sent += 1
    done = {"claimed_at": None, "next_attempt_at": None, "failures": 0}
    if sent:
        done.update(last_out_at=timezone.now(), last_error="")
    Peer.objects.filter(pk=peer.pk).update(**done)
    return len(pending) == BATCH


def _back_off(peer, exc, *, after_sending):
    """The peer failed: try again after the backoff of its consecutive failures (counted
    from the last message it took)."""
    failed = {"failures": F("failures") + 1}
    if after_sending:
        failed = {"failures": 1, "last_out_at": timezone.now()}
    Peer.objects.filter(pk=peer.pk).update(**failed)
    failures = Peer.objects.values_list("failures", flat=True).get(pk=peer.pk)
    Peer.objects.filter(pk=peer.pk).update(
        next_attempt_at=timezone.now() + retry_delay(failures),
        last_error=str(exc)[:2000],
        claimed_at=None,
    )
    logger.info("federation: delivery to %s failed (%s), retried later", peer, exc)


def due_peer_ids():
    """Active peers with messages waiting whose backoff is over (index
    ``federation_outbox_pending``)."""
    now = timezone.now()
    waiting = OutboxMessage.objects.filter(delivered_at__isnull=True)
    return list(
        Peer.objects.filter(state=PeerState.ACTIVE)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(pk__in=waiting.values("peer_id"))
        .values_list("pk", flat=True)
    )


def retry_now(peer):
    """The admin's retry: the backoff ends now."""
    Peer.objects.filter(pk=peer.pk).update(next_attempt_at=timezone.now())
    schedule(peer)


def backlog(peer):
    return OutboxMessage.objects.filter(peer=peer, delivered_at__isnull=True).count()

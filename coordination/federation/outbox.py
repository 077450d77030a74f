"""Writing messages for peers, in the transaction of the change they carry."""

import uuid
from functools import partial

from django.db import transaction
from django.db.models import Max

from coordination.federation.choices import PeerState
from coordination.federation.models import OutboxMessage, Peer


def enqueue(peer, message_type, stream, body, *, schema_version=1, signed_with=""):
    """One message for ``peer`` on ``stream``, numbered after the stream's last one."""
    (message,) = enqueue_many(
        peer, message_type, stream, [body], schema_version=schema_version, signed_with=signed_with
    )
    return message


def enqueue_many(peer, message_type, stream, bodies, *, schema_version=1, signed_with=""):
    """Messages for ``peer`` on ``stream``, numbered after its last one in the order given:
    one lock, one read of the last number and one write for all of them."""
    if not bodies:
        return []
    with transaction.atomic():
        # The peer's row serialises numbering: two writers never take the same seq.
        Peer.objects.select_for_update().filter(pk=peer.pk).first()
        last = OutboxMessage.objects.filter(peer=peer, stream=stream).aggregate(m=Max("seq"))["m"]
        messages = OutboxMessage.objects.bulk_create(
            OutboxMessage(
                message_id=uuid.uuid4(),
                peer=peer,
                stream=stream,
                seq=(last or 0) + position,
                type=message_type,
                schema_version=schema_version,
                body=body,
                signed_with=signed_with,
            )
            for position, body in enumerate(bodies, start=1)
        )
        from coordination.federation import delivery

        delivery.schedule(peer)
    return messages


def enqueue_for_all(message_type, stream, body, *, states=(PeerState.ACTIVE,), **kwargs):
    """The same message to every peer in ``states`` (each its own id and seq)."""
    return [
        enqueue(peer, message_type, stream, body, **kwargs)
        for peer in Peer.objects.filter(state__in=states).order_by("pk")
    ]


def after_commit(function, *args):
    transaction.on_commit(partial(function, *args))

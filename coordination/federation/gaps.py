"""Filling a gap in a stream: the receiver asks the sender for what follows its position.

``GET /federation/outbox/?stream=S&after=N`` with ``Authorization: Concord <JWS>``, the JWS
a request signed by the asking node. The answer lists the stream's messages after N, each
signed afresh, taken through the inbox's own path.
"""

import logging
import uuid
from urllib.parse import urlencode

from django.conf import settings

from coordination.federation import identity, protocol, transport
from coordination.federation.inbox import receive, signer_of
from coordination.federation.models import InboxStream, OutboxMessage
from coordination.federation.protocol import ProtocolError

logger = logging.getLogger(__name__)

PAGE = 200


def fetch(peer, stream):
    """Ask ``peer`` for the messages of ``stream`` after this node's position; returns how
    many were taken."""
    position = (
        InboxStream.objects.filter(peer=peer, stream=stream)
        .values_list("applied_seq", flat=True)
        .first()
    ) or 0
    query = urlencode({"stream": stream, "after": position})
    answer = transport.get_json(
        f"{peer.base_url}/federation/outbox/?{query}",
        signed_request(peer, {"stream": stream, "after": position}),
    )
    taken = 0
    for message in (answer or {}).get("messages", []):
        try:
            receive(message)
            taken += 1
        except ProtocolError as exc:
            logger.info("federation: fetched message from %s not taken: %s", peer, exc)
    return taken


def signed_request(peer, fields):
    """The ``Authorization`` header of a GET to ``peer``, signed by this node, for ``fields``
    (what is asked: a stream's position, a file)."""
    token = protocol.sign(
        {
            "id": str(uuid.uuid4()),
            "sender": identity.node_name(),
            "recipient": peer.name,
            **fields,
            "sent_at": protocol.now_iso(),
        },
        protocol.REQUEST_TYP,
    )
    return {"Authorization": f"Concord {token}"}


def verify_request(authorization, fields):
    """The peer that signed ``authorization``, a request to this node for exactly ``fields``
    (refused with ProtocolError otherwise: no signature, unknown peer, another target, too
    old)."""
    scheme, _space, token = (authorization or "").partition(" ")
    if scheme != "Concord" or not token:
        raise ProtocolError(403, {"authorization": "a request signed by a peer is required"})
    peer, request = signer_of(token.strip(), typ=protocol.REQUEST_TYP)
    errors = {}
    if request.get("sender") != peer.name:
        errors["sender"] = "not the node whose key signed the request"
    if request.get("recipient") != identity.node_name():
        errors["recipient"] = "not this node"
    if any(request.get(name) != value for name, value in fields.items()):
        errors[next(iter(fields))] = "the signed request is for something else"
    sent_at = request.get("sent_at")
    if protocol.parse_time(sent_at) is None or not protocol.within_window(
        sent_at, settings.FEDERATION_CLOCK_SKEW_SECONDS
    ):
        errors["sent_at"] = "outside this node's window"
    if errors:
        raise ProtocolError(400, errors, peer=peer)
    return peer


def serve(authorization, stream, after):
    """The messages of ``stream`` after ``after`` for the peer that signed the request."""
    peer = verify_request(authorization, {"stream": stream, "after": after})
    messages = (
        OutboxMessage.objects.filter(peer=peer, stream=stream, seq__gt=after)
        .select_related("peer")
        .order_by("seq")[:PAGE]
    )
    return [protocol.sign_message(message) for message in messages]

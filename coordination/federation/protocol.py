"""Envelopes, their signatures and the receipts (docs/federation.md, "Messages").

A message is a compact JWS whose payload is the JSON envelope::

    {"id": uuid, "type": "directory.published", "schema_version": 1,
     "sender": "fr-node", "recipient": "de-node", "stream": "directory", "seq": 7,
     "sent_at": "2026-12-04T10:00:00+00:00", "body": {...}}

signed with the sender's Ed25519 key; the protected header names the key (``kid``, its
fingerprint) and the kind of object (``typ``).
"""

import datetime
import json
import uuid

from django.utils import timezone
from joserfc import jws
from joserfc.errors import JoseError

from coordination.federation import identity

MESSAGE_TYP = "concord-message+jws"
RECEIPT_TYP = "concord-receipt+jws"
REQUEST_TYP = "concord-request+jws"
ENVELOPE_FIELDS = (
    "id", "type", "schema_version", "sender", "recipient", "stream", "seq", "sent_at", "body",
)  # fmt: skip
MAX_TOKEN_BYTES = 1024 * 1024


class ProtocolError(Exception):
    """A message this node will not take; ``status`` is the HTTP answer, ``errors`` why."""

    def __init__(self, status, errors, *, peer=None):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.status = status
        self.errors = errors
        self.peer = peer


def canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload, typ=MESSAGE_TYP, key=None):
    key = key or identity.signing_key()
    header = {"alg": identity.ALGORITHM, "kid": identity.fingerprint(key), "typ": typ}
    return jws.serialize_compact(header, canonical(payload), key, algorithms=[identity.ALGORITHM])


def header_of(token):
    """The protected header, read before the signer is known (to find its key)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        raise ProtocolError(400, {"token": "not a compact JWS"})
    try:
        return jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError) as exc:
        raise ProtocolError(400, {"token": f"not a compact JWS ({exc})"}) from exc


def verify(token, key, typ):
    """The payload of ``token`` if ``key`` signed it; ProtocolError 403 otherwise."""
    try:
        obj = jws.deserialize_compact(token.encode(), key, algorithms=[identity.ALGORITHM])
    except (JoseError, ValueError) as exc:
        raise ProtocolError(403, {"signature": "the signature does not verify"}) from exc
    if obj.protected.get("typ") != typ:
        raise ProtocolError(400, {"typ": f"expected {typ}"})
    try:
        payload = json.loads(obj.payload)
    except ValueError as exc:
        raise ProtocolError(400, {"payload": "not JSON"}) from exc
    if not isinstance(payload, dict):
        raise ProtocolError(400, {"payload": "not a JSON object"})
    return payload


def now_iso():
    return timezone.now().isoformat()


def parse_time(value):
    try:
        at = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else None


def check_envelope(envelope, peer):
    """Field by field: the envelope's shape, its sender and its recipient."""
    errors = {}
    for name in ENVELOPE_FIELDS:
        if name not in envelope:
            errors[name] = "required"
    if errors:
        raise ProtocolError(400, errors, peer=peer)
    try:
        uuid.UUID(str(envelope["id"]))
    except ValueError:
        errors["id"] = "not a UUID"
    for name in ("type", "stream"):
        value = envelope[name]
        if not isinstance(value, str) or not value or len(value) > {"type": 64}.get(name, 100):
            errors[name] = "a non-empty string (type: 64 characters at most, stream: 100)"
    for name in ("seq", "schema_version"):
        value = envelope[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors[name] = "a whole number from 1"
    if parse_time(envelope["sent_at"]) is None:
        errors["sent_at"] = "an ISO 8601 time with its offset"
    if not isinstance(envelope["body"], dict):
        errors["body"] = "a JSON object"
    if envelope["sender"] != peer.name:
        errors["sender"] = "not the node whose key signed the message"
    if envelope["recipient"] != identity.node_name():
        errors["recipient"] = "not this node"
    if errors:
        raise ProtocolError(400, errors, peer=peer)


def within_window(sent_at, skew_seconds):
    return abs((timezone.now() - parse_time(sent_at)).total_seconds()) <= skew_seconds


def envelope_of(message):
    """The envelope of an outbox row, dated now (each attempt is signed afresh)."""
    return {
        "id": str(message.message_id),
        "type": message.type,
        "schema_version": message.schema_version,
        "sender": identity.node_name(),
        "recipient": message.peer.name,
        "stream": message.stream,
        "seq": message.seq,
        "sent_at": now_iso(),
        "body": message.body,
    }


def signing_key_for(message):
    """The key an outbox row is signed with: the current key, or the previous one for the
    announcement of a rotation."""
    current = identity.signing_key()
    if not message.signed_with or message.signed_with == identity.fingerprint(current):
        return current
    previous = identity.previous_signing_key()
    if previous is not None and identity.fingerprint(previous) == message.signed_with:
        return previous
    return current


def sign_message(message):
    return sign(envelope_of(message), MESSAGE_TYP, signing_key_for(message))

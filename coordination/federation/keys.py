"""Key rotation (``node.key_rotated``, schema 1): the new public key, signed with the old.

Body: ``{"public_key": JWK, "fingerprint": hex}``. It travels on the ``node`` stream, so
it is applied in order with the node's other announcements; messages signed with the new key
are refused until it is applied, and their sender retries them.
"""

from coordination.audit.choices import AuditAction
from coordination.audit.recorder import record
from coordination.federation import identity, outbox
from coordination.federation.choices import PeerState
from coordination.federation.handlers import BodyError, handles
from coordination.federation.models import Peer

MESSAGE_TYPE = "node.key_rotated"
STREAM = "node"


def announce(old_key, new_key):
    """Tell every peer not removed, in messages signed with ``old_key``: a suspended peer's
    waits for it to be resumed, before what was signed with the new key."""
    body = {
        "public_key": identity.public_jwk(new_key),
        "fingerprint": identity.fingerprint(new_key),
    }
    return outbox.enqueue_for_all(
        MESSAGE_TYPE, STREAM, body, signed_with=identity.fingerprint(old_key),
        states=[PeerState.ACTIVE, PeerState.SUSPENDED],
    )  # fmt: skip


@handles(MESSAGE_TYPE, schema_version=1)
def apply_key_rotated(peer, body, message):
    try:
        key = identity.import_public(body.get("public_key"))
    except Exception as exc:  # joserfc raises several kinds for a malformed JWK
        raise BodyError("public_key: not an Ed25519 public key") from exc
    fingerprint = identity.fingerprint(key)
    if body.get("fingerprint") != fingerprint:
        raise BodyError("fingerprint: not the fingerprint of the key given")
    if Peer.objects.filter(fingerprint=fingerprint).exclude(pk=peer.pk).exists():
        raise BodyError("fingerprint: another peer has this key")
    old = peer.fingerprint
    Peer.objects.filter(pk=peer.pk).update(
        public_key=identity.public_jwk(key),
        fingerprint=fingerprint,
        previous_public_key=peer.public_key,
        previous_fingerprint=old,
    )
    peer.fingerprint = fingerprint
    record(
        AuditAction.PEER_KEY_CHANGED,
        object_type="peer",
        object_ref=peer.name,
        details={"old_fingerprint": old, "fingerprint": fingerprint},
    )

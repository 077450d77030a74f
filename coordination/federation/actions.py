"""Operations on peers: the only writers, called by the commands and the peers page."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coordination.audit.choices import AuditAction
from coordination.audit.recorder import record
from coordination.federation import identity, standing, transport
from coordination.federation.choices import PeerState
from coordination.federation.models import Peer


class PeerError(Exception):
    """An admin's operation on a peer that cannot be done; the message says why."""


def audit_peer(action, peer, *, by=None, request=None, details=None):
    record(
        action,
        request=request,
        actor=by,
        object_type="peer",
        object_ref=peer.name,
        details={"fingerprint": peer.fingerprint, "base_url": peer.base_url, **(details or {})},
    )


def fetch_node_document(base_url):
    """The peer's ``/.well-known/concord-node``, checked for shape; raises PeerError."""
    url = f"{base_url.rstrip('/')}/.well-known/concord-node"
    try:
        document = transport.get_json(url)
    except transport.TransportError as exc:
        raise PeerError(_("Cannot read %(url)s: %(error)s") % {"url": url, "error": exc}) from exc
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise PeerError(_("%(url)s is not a Concord node document.") % {"url": url})
    try:
        key = identity.import_public(document.get("public_key"))
    except Exception as exc:  # joserfc raises several kinds for a malformed JWK
        raise PeerError(_("The node's public key is not an Ed25519 key.")) from exc
    if "1" not in (document.get("protocol_versions") or []):
        raise PeerError(_("The node speaks no protocol version this node speaks."))
    return document, key


def add_peer(base_url, fingerprint, *, by=None, request=None):
    """Register the node at ``base_url`` if its key has the fingerprint agreed out of band."""
    expected = identity.normalise_fingerprint(fingerprint)
    if not expected:
        raise PeerError(_("A fingerprint is 64 hexadecimal digits."))
    document, key = fetch_node_document(base_url)
    # The fingerprint is computed from the key itself, never taken from the document.
    actual = identity.fingerprint(key)
    if actual != expected:
        raise PeerError(
            _("The node's key has the fingerprint %(actual)s, not the one agreed: refused.")
            % {"actual": identity.grouped(actual)}
        )
    name = document["name"].strip()
    if not name or len(name) > 64:
        raise PeerError(_("The node's name is empty or too long."))
    if name == identity.node_name():
        raise PeerError(_("That node has this node's own name."))
    with transaction.atomic():
        peer = Peer.objects.select_for_update().filter(name=name).first()
        if peer is not None and peer.state != PeerState.REMOVED:
            raise PeerError(_("The node %(name)s is already a peer.") % {"name": name})
        if Peer.objects.filter(fingerprint=actual).exclude(name=name).exists():
            raise PeerError(_("Another peer already has this key."))
        peer = peer or Peer(name=name)
        peer.base_url = (document.get("base_url") or base_url).rstrip("/")
        peer.public_key = identity.public_jwk(key)
        peer.fingerprint = actual
        peer.state = PeerState.ACTIVE
        standing.peers_changed()
        peer.failures = 0
        peer.last_error = ""
        peer.save()
        audit_peer(AuditAction.PEER_ADDED, peer, by=by, request=request)
        from coordination.federation import directory

        directory.publish_to(peer)
    return peer


def _set_state(peer, old_states, new, action, *, by=None, request=None):
    with transaction.atomic():
        changed = Peer.objects.filter(pk=peer.pk, state__in=old_states).update(state=new)
        if not changed:
            raise PeerError(_("The peer %(name)s is not in a state for that.") % {"name": peer})
        peer.refresh_from_db()
        audit_peer(action, peer, by=by, request=request)
        standing.peers_changed()
    return peer


def suspend_peer(peer, *, by=None, request=None):
    """Nothing is sent to or accepted from a suspended peer; its messages wait."""
    return _set_state(
        peer, [PeerState.ACTIVE], PeerState.SUSPENDED, AuditAction.PEER_SUSPENDED,
        by=by, request=request,
    )  # fmt: skip


def resume_peer(peer, *, by=None, request=None):
    peer = _set_state(
        peer, [PeerState.SUSPENDED], PeerState.ACTIVE, AuditAction.PEER_RESUMED,
        by=by, request=request,
    )  # fmt: skip
    from coordination.federation import delivery

    delivery.schedule(peer)
    return peer


def remove_peer(peer, *, by=None, request=None):
    """The peer is no longer a partner: nothing is sent to it or taken from it, its agencies
    leave the directory. The row stays, with its streams, so that past cases keep naming it
    and the streams continue where they stopped should it be added again."""
    from coordination.federation import directory

    with transaction.atomic():
        peer = _set_state(
            peer, [PeerState.ACTIVE, PeerState.SUSPENDED], PeerState.REMOVED,
            AuditAction.PEER_REMOVED, by=by, request=request,
        )  # fmt: skip
        directory.withdraw_agencies_of(peer)
    return peer


def peers_without_the_last_rotation():
    """Peers still to be sent a message that needs the previous key (the announcement of
    the last rotation, or what waited when it was made): while there is one, a new rotation
    would replace the key it needs."""
    from coordination.federation.models import OutboxMessage

    current = identity.fingerprint(identity.signing_key())
    return list(
        Peer.objects.exclude(state=PeerState.REMOVED)
        .filter(
            pk__in=OutboxMessage.objects.filter(delivered_at__isnull=True)
            .exclude(signed_with__in=["", current])
            .values("peer")
        )
        .order_by("name")
        .values_list("name", flat=True)
    )


def rotate_node_key(*, by=None, request=None):
    """A new node key; every peer not removed is told in a message signed with the old one
    (a suspended peer when it is resumed). Refused while a peer waits for the last
    rotation. The key file is written last: if it cannot be, nothing changes."""
    from coordination.federation import keys
    from coordination.federation.models import OutboxMessage

    with transaction.atomic():
        # Two rotations at once would each sign with a key the other replaces.
        list(Peer.objects.select_for_update().exclude(state=PeerState.REMOVED).only("pk"))
        waiting = peers_without_the_last_rotation()
        if waiting:
            raise PeerError(
                ngettext(
                    "%(names)s has not received the previous rotation yet: the key can be "
                    "rotated again once it has (or once it is removed).",
                    "%(names)s have not received the previous rotation yet: the key can be "
                    "rotated again once they have (or once they are removed).",
                    len(waiting),
                )
                % {"names": ", ".join(waiting)}
            )
        old, new = identity.signing_key(), identity.new_key()
        # What waits was written under the old key and goes out signed with it, before the
        # announcement; what is written from now on is signed with the new key.
        OutboxMessage.objects.filter(delivered_at__isnull=True, signed_with="").update(
            signed_with=identity.fingerprint(old)
        )
        messages = keys.announce(old, new)
        record(
            AuditAction.NODE_KEY_ROTATED,
            request=request,
            actor=by,
            object_type="node",
            object_ref=identity.node_name(),
            details={"old_fingerprint": identity.fingerprint(old),
                     "fingerprint": identity.fingerprint(new)},
        )  # fmt: skip
        identity.install_key(old, new)
    return len(messages)

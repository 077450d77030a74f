"""Which nodes are no longer partners of this one: the replicas of their cases stay here as
they were, read-only, since nothing written in them could reach the case's lead any more."""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from coordination.federation.choices import PeerState

SECONDS = 300


def _key():
    return f"{settings.CACHE_KEY_SCOPE}federation:removed-nodes"


def removed_nodes():
    """The names of the removed peers (cached: every permission check of a replica asks)."""
    if not settings.FEDERATION_NODE_NAME:
        return frozenset()
    names = cache.get(_key())
    if names is None:
        from coordination.federation.models import Peer

        names = frozenset(
            Peer.objects.filter(state=PeerState.REMOVED).values_list("name", flat=True)
        )
        cache.set(_key(), names, SECONDS)
    return names


def is_detached(incident):
    """Whether ``incident`` is a replica whose lead's node is no longer a peer."""
    return bool(incident.origin_node) and incident.origin_node in removed_nodes()


def peers_changed():
    # Now for this transaction's own reads, and again once committed for everyone's (a
    # reader in between may have cached the old state).
    key = _key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))

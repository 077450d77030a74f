from django.core.management.base import CommandError

from coordination.federation import identity


def require_node(need_key=True):
    """Commands of a federated node: refuse while federation is off or the key is missing."""
    if not identity.is_enabled():
        raise CommandError("Federation is off: set FEDERATION_NODE_NAME (docs/federation.md).")
    if need_key and not identity.has_key():
        raise CommandError(
            f"No node key at {identity.key_path()}: run `manage.py federation_key --generate`."
        )

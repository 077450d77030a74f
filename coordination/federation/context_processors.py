from coordination.federation import identity


def federation(request):
    """Whether this node federates (the navigation shows the peers page to node admins)."""
    return {"federation_enabled": identity.is_enabled()}

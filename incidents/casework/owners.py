"""Who may be named owner of an agency's part of a case, for the participants panel."""

from incidents.choices import ROLES_FOR_ACTION, Action


def owner_choices(user, participations):
    """The active users of ``user``'s agency when it takes part and ``user`` may name its
    owner; an empty list otherwise (the panel then only shows the owners)."""
    takes_part = any(p.agency_id == user.agency_id for p in participations)
    if not (takes_part and user.role in ROLES_FOR_ACTION[Action.CONTRIBUTE]):
        return []
    return list(
        user.agency.users.filter(is_active=True).order_by("last_name", "first_name", "username")
    )

"""Granting and reading object permissions on incidents (guardian's direct-FK tables)."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from incidents.choices import PARTICIPATION_PERMISSIONS, ROLES_FOR_ACTION, Action
from incidents.models import Incident, IncidentGroupObjectPermission, IncidentUserObjectPermission
from incidents.querysets import grants_changed, permission_exists


def _permissions(codenames):
    content_type = ContentType.objects.get_for_model(Incident)
    return list(Permission.objects.filter(content_type=content_type, codename__in=codenames))


def grant_participation(incident, agency, role):
    """Give ``agency``'s group exactly the permissions of ``role`` on ``incident``."""
    IncidentGroupObjectPermission.objects.filter(
        content_object=incident, group_id=agency.group_id
    ).delete()
    IncidentGroupObjectPermission.objects.bulk_create(
        IncidentGroupObjectPermission(
            content_object=incident, group_id=agency.group_id, permission=permission
        )
        for permission in _permissions(PARTICIPATION_PERMISSIONS[role])
    )
    grants_changed()


def revoke_participation(incident, agency):
    IncidentGroupObjectPermission.objects.filter(
        content_object=incident, group_id=agency.group_id
    ).delete()
    grants_changed()


def grant_user(incident, user, actions=(Action.VIEW,)):
    """Grant a named user rights on one incident (beyond their agency's)."""
    codenames = [f"{Action(a).value}_incident" for a in actions]
    existing = set(
        IncidentUserObjectPermission.objects.filter(content_object=incident, user=user).values_list(
            "permission__codename", flat=True
        )
    )
    IncidentUserObjectPermission.objects.bulk_create(
        IncidentUserObjectPermission(content_object=incident, user=user, permission=p)
        for p in _permissions(codenames)
        if p.codename not in existing
    )
    grants_changed()


def held_actions_annotations(user):
    """Annotations for an incident query: which actions ``user`` holds on each incident.

    Reading an incident with them (``annotate(**held_actions_annotations(user))``) lets
    ``allowed_actions`` answer without a query of its own.
    """
    return {f"holds_{action.value}": permission_exists(user, action) for action in Action}


def allowed_actions(user, incident):
    """The set of ``Action`` values ``user`` may perform on ``incident``, in one query.

    No query at all when ``incident`` was read with ``held_actions_annotations(user)``.
    """
    if not (user and user.is_authenticated and user.is_active):
        return frozenset()
    if hasattr(incident, f"holds_{Action.VIEW.value}"):
        held = {action for action in Action if getattr(incident, f"holds_{action.value}")}
    else:
        held = _held_actions(user, incident)
    if getattr(incident, "archived_at", None):  # an ended exercise's case: read-only
        held &= {Action.VIEW}
    if getattr(incident, "origin_node", "") and lead_node_removed(incident):
        held &= {Action.VIEW}
    return frozenset(action for action in held if user.role in ROLES_FOR_ACTION[action])


def lead_node_removed(incident):
    """A replica whose lead's node is no longer a peer stays here read-only."""
    from coordination.federation.standing import is_detached

    return is_detached(incident)


def _held_actions(user, incident):
    by_group = IncidentGroupObjectPermission.objects.filter(
        content_object=incident, group__user=user
    ).values_list("permission__codename", flat=True)
    by_user = IncidentUserObjectPermission.objects.filter(
        content_object=incident, user=user
    ).values_list("permission__codename", flat=True)
    codenames = set(by_group.union(by_user))
    return {action for action in Action if f"{action.value}_incident" in codenames}

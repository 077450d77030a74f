"""The one door to incidents and their children: ``restrict(user, action)``.

Visibility is read from guardian's direct foreign-key permission tables through
``EXISTS`` subqueries (indexed on ``content_object_id``), never through ORed joins
with ``.distinct()`` and never through ``get_objects_for_user``.
"""

import re

from django.apps import apps
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q

from incidents.choices import ROLES_FOR_ACTION, TLP, Action

REFERENCE_RE = re.compile(r"^\s*CC-\d{4}-\d{1,6}\s*$", re.IGNORECASE)
SEARCH_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _may_act(user, action):
    action = Action(action)
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in ROLES_FOR_ACTION[action]
    )


_PERMISSION_IDS = {}


def incident_permission_id(codename):
    """The id of ``incidents.<codename>``, read once per process.

    Written into the visibility clause as a literal: a join on ``auth_permission`` there
    made PostgreSQL plan two alternative subplans per clause (2-3 ms of planning per
    list query, bench/README.md). ``forget_permission_ids`` empties the memo after
    every ``migrate`` or ``flush``, which may recreate permissions under new ids.
    """
    if codename not in _PERMISSION_IDS:
        permission_model = apps.get_model("auth", "Permission")
        _PERMISSION_IDS.update(
            permission_model.objects.filter(
                content_type__app_label="incidents", content_type__model="incident"
            ).values_list("codename", "pk")
        )
    return _PERMISSION_IDS[codename]


def forget_permission_ids(**kwargs):
    _PERMISSION_IDS.clear()


def permission_exists(user, action, incident_ref="pk"):
    """``EXISTS`` clause: ``user`` holds ``<action>_incident`` on the incident at ``incident_ref``.

    The user's group ids and the permission id are literals (``User.visibility_group_ids``
    is read once per user object), so the clause is a plain index probe to plan.
    """
    permission_id = incident_permission_id(f"{Action(action).value}_incident")
    group_perms = apps.get_model("incidents", "IncidentGroupObjectPermission")
    user_perms = apps.get_model("incidents", "IncidentUserObjectPermission")
    by_user = Exists(
        user_perms.objects.filter(
            content_object_id=OuterRef(incident_ref),
            user_id=user.pk,
            permission_id=permission_id,
        )
    )
    group_ids = user.visibility_group_ids
    if not group_ids:
        return by_user
    by_group = Exists(
        group_perms.objects.filter(
            content_object_id=OuterRef(incident_ref),
            group_id__in=group_ids,
            permission_id=permission_id,
        )
    )
    return by_group | by_user


class IncidentQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        """The incidents ``user`` may ``action`` (view, contribute, change, share)."""
        if not _may_act(user, action):
            return self.none()
        return self.filter(permission_exists(user, action))

    def search(self, q):
        """Match reference, title and summary.

        On PostgreSQL this matches the stored search document of migration 0004 and its
        GIN index (prefix match on every word); elsewhere a plain ``icontains``.
        """
        q = (q or "").strip()
        if not q:
            return self
        if REFERENCE_RE.match(q):
            return self.filter(reference__iexact=q.strip().upper())
        if connection.vendor != "postgresql":
            return self.filter(
                Q(reference__icontains=q) | Q(title__icontains=q) | Q(summary__icontains=q)
            )
        from django.contrib.postgres.search import SearchQuery

        words = SEARCH_WORD_RE.findall(q.lower())[:8]
        if not words:
            return self.none()
        query = SearchQuery(" & ".join(f"{w}:*" for w in words), config="simple", search_type="raw")
        # alias(), not annotate(): the document is only matched, never selected and
        # returned with every row.
        return self.alias(_document=incident_document()).filter(_document=query)


def incident_document():
    """The search document: a stored generated column with a GIN index (migration 0004)."""
    from django.contrib.postgres.search import SearchVectorField
    from django.db.models.expressions import RawSQL

    return RawSQL('"incidents_incident"."search_document"', [], output_field=SearchVectorField())


class TimelineQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        """Entries of incidents ``user`` may see, less those whose TLP is not for them."""
        if not _may_act(user, action):
            return self.none()
        return self.filter(permission_exists(user, action, "incident_id")).visible_to(user)

    def visible_to(self, user):
        """Apply the per-entry TLP rule (the incident's visibility is checked by the caller).

        AMBER+STRICT stays inside the author's agency; RED is for the author and
        the named recipients alone.
        """
        if not (user and user.is_authenticated):
            return self.none()
        audience = self.model.audience.through.objects.filter(
            timelineentry_id=OuterRef("pk"), user_id=user.pk
        )
        visible = (
            Q(tlp__in=[TLP.CLEAR, TLP.GREEN, TLP.AMBER])
            | Q(tlp=TLP.RED, author_id=user.pk)
            | (Q(tlp=TLP.RED) & Exists(audience))
        )
        if user.agency_id is not None:  # "= NULL" would become "IS NULL": guard it
            visible |= Q(tlp=TLP.AMBER_STRICT, author_agency_id=user.agency_id)
        return self.filter(visible)

    # Append-only: no bulk rewriting either.
    def update(self, **kwargs):
        raise TypeError("Timeline entries are append-only.")

    def delete(self):
        raise TypeError("Timeline entries are append-only.")

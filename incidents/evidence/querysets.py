"""``restrict(user, action)`` for evidence and custody: the incident's door, one level down."""

from django.db import models

from incidents.choices import Action
from incidents.querysets import _may_act, permission_exists


class EvidenceQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        """Items of the incidents ``user`` may ``action`` (one indexed EXISTS)."""
        if not _may_act(user, action):
            return self.none()
        return self.filter(permission_exists(user, action, "incident_id"))


class CustodyEventQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        if not _may_act(user, action):
            return self.none()
        return self.filter(permission_exists(user, action, "evidence__incident_id"))

    # Append-only: no bulk rewriting either.
    def update(self, **kwargs):
        raise TypeError("Custody events are append-only.")

    def delete(self):
        raise TypeError("Custody events are append-only.")

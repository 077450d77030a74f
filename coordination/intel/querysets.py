from django.db import models

from incidents.choices import Action
from incidents.querysets import _may_act, permission_exists


class IndicatorQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for indicator in objs:  # save() is not called for these
            indicator.assign_stix_uuid()
        return super().bulk_create(objs, *args, **kwargs)

    def restrict(self, user, action=Action.VIEW):
        """Indicators of incidents ``user`` may ``action``: they inherit the incident's rights."""
        if not _may_act(user, action):
            return self.none()
        return self.filter(permission_exists(user, action, "incident_id"))

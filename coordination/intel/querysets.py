"""The one door to indicators: ``Indicator.objects.restrict(user, action)``.

An indicator is read by whoever sees its incident, less what its own TLP label keeps
from them, by the rule of timeline entries (``incidents.querysets.TLPReadableBy``):

- CLEAR, GREEN, AMBER: everyone who sees the incident;
- AMBER+STRICT: the owning agency only (the agency of who added it, else the lead);
- RED: who added it and the named recipients (``Indicator.audience``) only.

Pages, the API, intel search, correlation and every export read through here;
machine channels (TAXII, blocklists, tools' STIX downloads) pass ``machine=True``.
"""

from django.apps import apps
from django.db import models

from incidents.choices import TLP, Action
from incidents.querysets import TLPReadableBy, _may_act, permission_exists


class IndicatorReadableBy(TLPReadableBy):
    """The TLP rule of indicators; the owning agency falls back to the incident's lead."""

    audience_of = ("intel.Indicator", "audience")
    author_column = "added_by_id"
    agency_column = "added_by_agency_id"

    extra_columns = ("incident_id",)

    def owner_sql(self, agency, extra, connection):
        # Who added it, else the lead agency: a probe of the incident by primary key,
        # evaluated only for AMBER+STRICT rows without an adding agency.
        (incident,) = extra
        meta = apps.get_model("incidents", "Incident")._meta
        table = connection.ops.quote_name(meta.db_table)
        lead = meta.get_field("lead_agency").column
        sql = (
            f"({agency} = %s OR ({agency} IS NULL AND EXISTS(SELECT 1 FROM {table} cc_i "
            f"WHERE cc_i.id = {incident} AND cc_i.{lead} = %s)))"
        )
        return sql, [self.agency_id, self.agency_id]


class IndicatorQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for indicator in objs:  # save() is not called for these
            indicator.assign_stix_uuid()
        return super().bulk_create(objs, *args, **kwargs)

    def restrict(self, user, action=Action.VIEW, *, machine=False):
        """Indicators ``user`` may ``action``: the incident's rights, then the TLP rule.

        ``machine``: what may leave through a machine channel. No TLP:RED indicator, and
        nothing of a TLP:RED incident; the incident's visibility is then applied as
        ``incident_id IN (visible incidents)``, which PostgreSQL hashes once instead of
        probing the permission tables for every indicator row of a large feed
        (bench/EXCHANGE.md).
        """
        if not _may_act(user, action):
            return self.none()
        if machine:
            from incidents.models import Incident

            incidents = Incident.objects.restrict(user, action).exclude(tlp=TLP.RED)
            queryset = self.filter(incident_id__in=incidents.values("pk")).exclude(tlp=TLP.RED)
        else:
            queryset = self.filter(permission_exists(user, action, "incident_id"))
        return queryset.visible_to(user)

    def active(self):
        """Neither revoked nor past ``valid_until``: what may be served as current."""
        from django.utils import timezone

        return self.filter(revoked=False).exclude(valid_until__lte=timezone.now())

    def blocklistable(self):
        """What a blocklist may carry: active, a single value (not a kept STIX pattern)
        and nothing marked as inexpressible."""
        from coordination.intel.choices import IndicatorType

        return self.active().filter(blocklist_note="").exclude(type=IndicatorType.PATTERN)

    def visible_to(self, user):
        """Apply the per-indicator TLP rule (the incident's visibility is the caller's)."""
        if not (user and user.is_authenticated):
            return self.none()
        return self.filter(IndicatorReadableBy(user))

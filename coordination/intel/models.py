from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.intel.choices import IndicatorType
from coordination.intel.querysets import IndicatorQuerySet
from incidents.choices import TLP
from incidents.models.origin import Replicated


class Indicator(Replicated):
    """An observable of an incident, stored in normalised form.

    Correlation looks up ``(type, value)`` across incidents: keep ``value``
    canonical (see coordination.intel.normalise) so equal observables compare equal.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="indicators"
    )
    type = models.CharField(_("type"), max_length=16, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2048)
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER)
    first_seen = models.DateTimeField(_("first seen"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("0 to 100."),
    )
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_by_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # TLP:RED indicators are read by who added them and these named users alone.
    audience = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("named recipients")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The uuid part of the indicator's STIX id (a UUIDv5 of incident, type and value), so
    # TAXII can find an object by id with an index instead of hashing every candidate.
    stix_uuid = models.UUIDField(null=True, blank=True, editable=False, db_index=True)
    # A value on a MISP warning list (coordination.intel.warninglists) stays out of
    # blocklists until an analyst allows it for this indicator; the name outlives the user.
    blocklist_allowed_at = models.DateTimeField(
        _("allowed in blocklists at"), null=True, blank=True, editable=False
    )
    blocklist_allowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    blocklist_allowed_by_name = models.CharField(
        _("allowed in blocklists by"), max_length=200, blank=True, editable=False
    )

    # What a STIX 2.1 import keeps of the source object (empty for indicators typed here).
    # ``stix_id`` is the partner's id: a newer ``modified`` of it updates this row.
    stix_id = models.CharField(_("STIX id"), max_length=100, blank=True, editable=False)
    pattern = models.TextField(_("STIX pattern"), blank=True, editable=False)
    stix_created = models.DateTimeField(null=True, blank=True, editable=False)
    stix_modified = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("revoked"), default=False)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    # name, labels, indicator_types, kill_chain_phases, external_references,
    # created_by_ref, source_identity (the identity object) and statements (the
    # statement marking definitions), as the source gave them.
    stix = models.JSONField(default=dict, blank=True, editable=False)
    # A value extracted from a compound pattern: kept for correlation; the pattern
    # itself is on ``derived_from``.
    derived_from = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="derived"
    )
    # Why a blocklist cannot carry this value (empty: it can), e.g. one side of an AND.
    blocklist_note = models.CharField(_("not in blocklists because"), max_length=300, blank=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            *Replicated.Meta.constraints,
            models.UniqueConstraint(
                fields=["incident", "type", "value"], name="indicator_unique_per_incident"
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__isnull=True)
                | models.Q(confidence__gte=0, confidence__lte=100),
                name="indicator_confidence_range",
            ),
        ]
        indexes = [
            # Correlation: every sighting of one observable, in one index lookup.
            models.Index(fields=["type", "value"], name="indicator_observable_idx"),
            models.Index(fields=["incident", "-created_at"], name="indicator_incident_idx"),
            # A partner's update finds the row it revises by its STIX id.
            models.Index(
                fields=["incident", "stix_id"],
                name="indicator_stix_id_idx",
                condition=~models.Q(stix_id=""),
            ),
        ]

    def save(self, *args, **kwargs):
        self.assign_stix_uuid()
        super().save(*args, **kwargs)

    def assign_stix_uuid(self):
        from coordination.exchange import stix

        if self.stix_id:
            self.stix_uuid = self.stix_id.partition("--")[2]
            return
        self.stix_uuid = stix.indicator_uuid(self.incident.reference, self.type, self.value)

    @property
    def active(self):
        """Neither revoked nor past its ``valid_until``: what may be served as current."""
        return not self.revoked and not (self.valid_until and self.valid_until <= timezone.now())

    @property
    def blocklist_reason(self):
        """Why no blocklist carries this indicator ("" when one may), for the analyst."""
        if self.blocklist_note:
            return self.blocklist_note
        if self.type in (IndicatorType.SSDEEP, IndicatorType.TLSH):
            return _("a fuzzy hash measures similarity; blocklists match exact values")
        if self.type == IndicatorType.IMPHASH:
            return _("unrelated programs with the same imports share an import hash")
        return ""

    @property
    def owner_agency_id(self):
        """The agency an AMBER+STRICT indicator stays in: who added it, else the lead."""
        return self.added_by_agency_id or self.incident.lead_agency_id

    def readers(self):
        """Ids of the users who may read this TLP:RED indicator (audience prefetched)."""
        return {self.added_by_id} | {user.pk for user in self.audience.all()}

    def __str__(self):
        # Never below the incident's label, so the indicator's own TLP says it all.
        if self.tlp in (TLP.AMBER_STRICT, TLP.RED):
            return f"{self.get_type_display()} #{self.pk} ({self.get_tlp_display()})"
        return f"{self.get_type_display()}: {self.value}"


class ContactRequest(models.Model):
    """An agency asked the lead agency of a case it may not see to get in touch.

    Written when someone acts on a hidden sighting of an observable: one row per owning
    incident, so asking again notifies only owners not asked before. The asker learns
    nothing from these rows: they only say "already asked".
    """

    from_incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="+"
    )
    to_incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="contact_requests"
    )
    requester_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by_name = models.CharField(_("requested by"), max_length=200)
    type = models.CharField(_("type"), max_length=16, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2048)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One request per agency, owning case and observable: asking twice notifies once.
            models.UniqueConstraint(
                fields=["requester_agency", "to_incident", "type", "value"],
                name="contact_request_once_per_case",
            ),
        ]
        indexes = [
            # The indicator panel asks "which of these observables did my agency ask about?".
            models.Index(
                fields=["requester_agency", "type", "value"], name="contact_request_asker_idx"
            ),
        ]

    def __str__(self):
        return f"{self.requester_agency} → {self.to_incident_id}: {self.type} {self.value}"

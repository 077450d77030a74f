from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentTag(models.Model):
    """A label on an incident: a free word or a MISP machine tag (``rsit:fraud="phishing"``).

    Rows are written by ``incidents.actions`` only; ``name`` is the normalised form shown,
    ``key`` its case-folded form that filters and uniqueness use (``incidents.tags``).
    A tag is visible exactly to those who see its incident.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(_("tag"), max_length=200)
    key = models.CharField(max_length=200, editable=False)
    # Set for machine tags only: namespace:predicate="value".
    namespace = models.CharField(max_length=60, blank=True, editable=False)
    predicate = models.CharField(max_length=100, blank=True, editable=False)
    value = models.CharField(max_length=200, blank=True, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    added_by_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "pk"]
        verbose_name = _("tag")
        constraints = [
            models.UniqueConstraint(fields=["incident", "key"], name="incident_tag_unique"),
        ]
        indexes = [
            # The tag filter of the incident list: EXISTS (… WHERE key = … AND incident_id = …).
            models.Index(fields=["key", "incident"], name="incident_tag_key_idx"),
            # Suggestions: the tags my agency has used.
            models.Index(fields=["added_by_agency", "key"], name="incident_tag_agency_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_machine(self):
        return bool(self.namespace)

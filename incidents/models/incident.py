from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from incidents.choices import TLP, Category, Severity, Status
from incidents.models.origin import Replicated
from incidents.querysets import IncidentQuerySet


class Incident(Replicated):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    category = models.CharField(
        _("category"), max_length=40, choices=Category.choices, default=Category.OTHER
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.MEDIUM
    )
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, editable=False
    )
    is_exercise = models.BooleanField(
        _("exercise"), default=False, help_text=_("A joint cyber exercise, not a real case.")
    )
    archived_at = models.DateTimeField(
        _("archived at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When its exercise ended: the case left the everyday pages and is kept read-only "
            "for the after-action report."
        ),
    )
    lead_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="led_incidents",
        verbose_name=_("lead agency"),
        editable=False,
    )
    affected_countries = CountryField(_("affected countries"), multiple=True, blank=True)
    detected_at = models.DateTimeField(_("detected at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A replica's reference on its lead's node (its own reference is this node's).
    origin_reference = models.CharField(max_length=20, blank=True, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = Replicated.Meta.constraints
        permissions = [
            ("contribute_incident", "Can add timeline entries, evidence and indicators"),
            ("share_incident", "Can invite and remove participating agencies"),
        ]
        indexes = [
            # Incident list's default order (newest activity first) and its keyset.
            models.Index(fields=["-updated_at", "-id"], name="incident_updated_idx"),
            # The same order for the real cases alone: lists leave exercises out by default,
            # and a walk of the index above would read each row to skip them.
            models.Index(
                fields=["-updated_at", "-id"],
                name="incident_real_updated_idx",
                condition=models.Q(is_exercise=False),
            ),
            # The exercises alone: the real list's count leaves their grants out
            # (``visible_count``), which read the whole table to find them without it.
            models.Index(
                fields=["id"],
                name="incident_exercise_idx",
                condition=models.Q(is_exercise=True),
            ),
            # Status / severity filters on the list and the dashboard's "open" panel.
            models.Index(fields=["status", "-updated_at"], name="incident_status_idx"),
            models.Index(fields=["lead_agency", "status"], name="incident_lead_status_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("incidents:detail", kwargs={"reference": self.reference})

    @property
    def is_archived(self):
        return self.archived_at is not None

    @property
    def is_open(self):
        from incidents.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES


class IncidentUserObjectPermission(UserObjectPermissionBase):
    """Object permission on an incident granted to one named user (direct FK, not generic)."""

    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [
            # restrict(): EXISTS (… WHERE content_object_id = incident.id AND user_id = …)
            models.Index(
                fields=["content_object", "user", "permission"], name="incident_uperm_idx"
            ),
        ]


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    """Object permission on an incident granted to an agency's group (participation)."""

    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [
            # restrict(): EXISTS (… WHERE content_object_id = incident.id AND group_id IN …)
            models.Index(
                fields=["content_object", "group", "permission"], name="incident_gperm_idx"
            ),
        ]

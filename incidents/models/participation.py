from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.choices import ParticipationRole


class Participation(models.Model):
    """An agency taking part in an incident. Rows are written by incidents.actions only."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="participations"
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=16, choices=ParticipationRole.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The agency's person in charge of its part of the case, set by its own participants.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "agency"], name="participation_unique")
        ]
        indexes = [
            # Dashboard: incidents recently shared with my agency.
            models.Index(fields=["agency", "-created_at"], name="participation_agency_idx"),
        ]

    def __str__(self):
        return f"{self.agency} – {self.get_role_display()}"

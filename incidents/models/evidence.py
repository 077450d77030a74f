"""Evidence items of an incident and their append-only, hash-chained custody events.

Rows are written by ``incidents.evidence.actions`` only. An item's visibility is its
incident's (``restrict`` goes through ``permission_exists`` on ``incident_id``).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.evidence.choices import CustodyAction, EvidenceKind, EvidenceStatus
from incidents.evidence.querysets import CustodyEventQuerySet, EvidenceQuerySet
from incidents.models.origin import Replicated

sha256_validator = RegexValidator(
    r"^[0-9a-f]{64}$", _("A SHA-256 is 64 hexadecimal characters (0-9, a-f).")
)


class Evidence(Replicated):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="evidence"
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=EvidenceKind.choices)
    sha256 = models.CharField(
        _("SHA-256"), max_length=64, validators=[sha256_validator], editable=False
    )
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    # Content-addressed path under MEDIA_ROOT (evidence/objects/ab/cd/<sha256>), or "".
    file_path = models.CharField(max_length=200, blank=True, editable=False)
    file_name = models.CharField(_("file name"), max_length=255, blank=True, editable=False)
    acquired_at = models.DateTimeField(_("acquired at"))
    acquired_by_name = models.CharField(_("acquired by"), max_length=200)
    acquired_where = models.CharField(_("acquired where"), max_length=300)
    acquisition_method = models.CharField(_("acquisition method"), max_length=300, blank=True)
    seal_number = models.CharField(_("seal number"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=EvidenceStatus.choices,
        default=EvidenceStatus.IN_CUSTODY,
        editable=False,
    )
    holder_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="held_evidence",
        verbose_name=_("holder agency"),
        editable=False,
    )
    holder_person = models.CharField(_("holder"), max_length=200, blank=True, editable=False)
    # Set while in transit: the agency that is to receive the item (the open transfer).
    transit_to_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # Across nodes: the reference every step's hash covers (the item's reference on its node
    # of origin, for a replica) and the node that records its custody steps now ("" for
    # this node). Only the holder's node writes steps; the others keep a copy of the chain.
    origin_reference = models.CharField(max_length=20, blank=True, editable=False)
    custody_node = models.CharField(_("custody node"), max_length=64, blank=True, editable=False)
    is_sealed = models.BooleanField(_("sealed"), default=False, editable=False)
    is_compromised = models.BooleanField(_("compromised"), default=False, editable=False)
    # The first broken link a recorded verification found (None: none found). Kept once
    # found: a broken record stays suspect, and the item takes no further steps.
    chain_broken_seq = models.PositiveIntegerField(
        _("chain broken at step"), null=True, blank=True, editable=False
    )
    # The chain's head: its length and last entry hash. A truncated chain (last rows
    # deleted) no longer ends where the item says it does.
    custody_length = models.PositiveIntegerField(default=0, editable=False)
    custody_head = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        constraints = Replicated.Meta.constraints
        indexes = [
            # Incident page panel and the per-incident list: newest first.
            models.Index(fields=["incident", "-created_at", "-id"], name="evidence_incident_idx"),
            # "Evidence my agency holds" on the evidence list.
            models.Index(fields=["holder_agency", "status"], name="evidence_holder_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("evidence:detail", kwargs={"reference": self.reference})

    @property
    def has_file(self):
        return bool(self.file_path)

    @property
    def chain_is_broken(self):
        return self.chain_broken_seq is not None

    @property
    def chain_reference(self):
        """The reference each step's hash covers, the same on every node."""
        return self.origin_reference or self.reference


class CustodyEvent(Replicated):
    """One step of an item's chain of custody. Append-only; hash-chained.

    ``entry_hash = SHA-256(prev_hash + canonical JSON of the fields)`` (see
    ``incidents.evidence.chain``); the first event chains from the item's own SHA-256.
    A step recorded on another node (``origin_node``) is a copy of that node's: its hash
    covers the ids of agencies and users there, kept in ``origin_ids``.
    """

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="custody")
    seq = models.PositiveIntegerField(_("step"))
    action = models.CharField(_("action"), max_length=16, choices=CustodyAction.choices)
    from_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from agency"),
    )
    from_person = models.CharField(_("from person"), max_length=200, blank=True)
    to_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to agency"),
    )
    to_person = models.CharField(_("to person"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    location = models.CharField(_("location"), max_length=300, blank=True)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    channel = models.CharField(_("transport or channel"), max_length=300, blank=True)
    seal_ids = models.CharField(_("seal / packaging ids"), max_length=300, blank=True)
    hash_observed = models.CharField(
        _("hash observed"), max_length=64, blank=True, validators=[sha256_validator]
    )
    # None: no hash taken at this step; False: differs from the item's (compromised).
    hash_matches = models.BooleanField(null=True, editable=False)
    notes = models.TextField(_("condition notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_by_name = models.CharField(max_length=200, editable=False)
    recorded_by_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)
    # A replicated step: from_agency_id, to_agency_id, recorded_by_id, recorded_by_agency_id
    # as hashed on the node that recorded it (None for a step recorded here).
    origin_ids = models.JSONField(null=True, blank=True, editable=False)

    objects = CustodyEventQuerySet.as_manager()

    class Meta:
        ordering = ["evidence", "seq"]
        verbose_name = _("custody event")
        constraints = [
            *Replicated.Meta.constraints,
            # Gap-free numbering per item; also the index the chain is read by.
            models.UniqueConstraint(fields=["evidence", "seq"], name="custody_evidence_seq"),
        ]

    def __str__(self):
        return f"{self.evidence_id}#{self.seq} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Custody events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Custody events are append-only.")


class CustodyVerification(models.Model):
    """One recorded verification of an item's chain: who checked, when, and what was found.

    ``length`` and ``final_hash`` describe the whole stored chain; ``broken_*`` the first
    broken link (empty when the chain is intact). Written by ``actions.verify_chain`` only.
    """

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="verifications")
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now, editable=False)
    # None: a scheduled check (manage.py verify_custody), not a person.
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    checked_by_name = models.CharField(_("checked by"), max_length=200, editable=False)
    checked_by_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    ok = models.BooleanField(_("chain intact"), editable=False)
    length = models.PositiveIntegerField(_("steps"), editable=False)
    verified_length = models.PositiveIntegerField(_("steps verified"), editable=False)
    final_hash = models.CharField(_("final chain hash"), max_length=64, blank=True)
    broken_seq = models.PositiveIntegerField(_("first broken step"), null=True, editable=False)
    broken_what = models.CharField(max_length=16, blank=True, editable=False)
    broken_expected = models.CharField(max_length=200, blank=True, editable=False)
    broken_found = models.CharField(max_length=200, blank=True, editable=False)
    hash_mismatch_steps = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        verbose_name = _("custody verification")
        indexes = [
            # The item page's latest verification and its history, newest first.
            models.Index(fields=["evidence", "-checked_at", "-id"], name="verification_item_idx"),
        ]

    def __str__(self):
        return (
            f"{self.evidence_id} {'ok' if self.ok else 'broken'} {self.checked_at:%Y-%m-%d %H:%M}"
        )

"""The audit trail: one append-only, hash-chained record per security event,
consultation or disclosure (Directive (EU) 2016/680 Art. 25).

Records name people and agencies by id and copy their names, with no foreign keys:
deleting a user or an agency erases nothing here, and nothing here can block it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.audit.choices import AuditAction, Category, Via


class AuditRecordQuerySet(models.QuerySet):
    def for_agency_admin(self, agency_id):
        """What an agency admin may read: what its people did, and what was done to
        its people and its cases (whoever did it)."""
        return self.filter(models.Q(actor_agency_id=agency_id) | models.Q(agency_id=agency_id))

    def readable_by(self, user):
        if user.is_superuser:
            return self
        from accounts.actions import is_agency_admin

        if is_agency_admin(user):
            return self.for_agency_admin(user.agency_id)
        return self.none()


class AuditRecord(models.Model):
    seq = models.BigIntegerField(_("number"), unique=True)
    # Given when the event happened: a buffered record is appended once, however often
    # its batch is flushed.
    event_id = models.UUIDField(unique=True, editable=False)
    at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    category = models.CharField(_("kind"), max_length=16, choices=Category.choices)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    actor_agency_id = models.BigIntegerField(null=True, blank=True)
    actor_agency_name = models.CharField(max_length=40, blank=True)
    # The agency whose data or people the record is about (its admins read it).
    agency_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(_("object"), max_length=32, blank=True)
    object_ref = models.CharField(_("reference"), max_length=128, blank=True)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    justification = models.CharField(_("justification"), max_length=300, blank=True)
    via = models.CharField(_("channel"), max_length=8, choices=Via.choices, default=Via.WEB)
    client_address = models.CharField(_("client address"), max_length=45, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(_("address"), max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [
            # Agency admins' pages: their agency's records, newest first.
            models.Index(fields=["actor_agency_id", "-seq"], name="audit_actor_agency"),
            models.Index(fields=["agency_id", "-seq"], name="audit_subject_agency"),
            # The retention purge and the "when" filter.
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.actor_name} {self.object_ref}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit records are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit records are deleted only by the retention purge.")


class AuditChainHead(models.Model):
    """The last record of the chain; its row lock serialises appends."""

    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)


class AuditAnchor(models.Model):
    """Where the chain restarts after a retention purge: the last purged record's
    number and hash, so the records kept still verify."""

    seq = models.BigIntegerField(unique=True)
    entry_hash = models.CharField(max_length=64)
    purged = models.BigIntegerField()
    purged_at = models.DateTimeField(auto_now_add=True)
    cutoff = models.DateTimeField()

    class Meta:
        ordering = ["-seq"]

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from incidents.models.origin import Replicated
from incidents.querysets import EntryAttachmentQuerySet


class EntryAttachment(Replicated):
    """A file written with a timeline entry: a screenshot, a ransom note, an email.

    The entry is append-only, so its files are rows of their own, added in the same
    transaction as the entry. The content is stored like evidence files (streamed,
    hashed, by SHA-256, ``incidents.evidence.storage``). An attachment is visible exactly
    to those who may read its entry. ``evidence`` is set once, when it is promoted.
    """

    entry = models.ForeignKey(
        "incidents.TimelineEntry", on_delete=models.PROTECT, related_name="attachments"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # Content-addressed path under MEDIA_ROOT (evidence/objects/ab/cd/<sha256>).
    file_path = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    evidence = models.OneToOneField(
        "incidents.Evidence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="source_attachment",
        verbose_name=_("promoted to"),
    )

    objects = EntryAttachmentQuerySet.as_manager()

    class Meta(Replicated.Meta):
        ordering = ["entry", "pk"]
        verbose_name = _("attachment")
        indexes = [
            # An agency's stored bytes (upload quota), beside its evidence files.
            models.Index(fields=["uploaded_by_agency"], name="attachment_agency_idx"),
            # The federation sweep: replicas whose file has not arrived yet.
            models.Index(
                fields=["id"], name="attachment_pending_idx", condition=models.Q(file_path="")
            ),
        ]

    def __str__(self):
        return self.file_name

    @property
    def is_pending(self):
        """A replica whose file has not arrived from its node yet."""
        return not self.file_path

    def get_absolute_url(self):
        return reverse("incidents:attachment", kwargs={"pk": self.pk})

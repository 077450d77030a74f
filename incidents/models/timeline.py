from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import TLP, TimelineKind
from incidents.markdown import excerpt
from incidents.models.origin import Replicated
from incidents.querysets import TimelineQuerySet


class TimelineEntry(Replicated):
    """One line of a case's history. Append-only: never edited, never deleted.

    A correction is a new entry whose ``corrects`` points at the one it corrects.
    Rows are written by incidents.events only; on PostgreSQL a trigger refuses
    UPDATE and DELETE as well.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="timeline"
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField(max_length=200, blank=True)
    author_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=TimelineKind.choices, default=TimelineKind.NOTE
    )
    body = models.TextField(_("text"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False)
    # Its first words as plain text, for the lists that show entries in a line or two
    # without reading their whole HTML (incidents.markdown.excerpt).
    excerpt = models.CharField(
        max_length=300, blank=True, editable=False, default="", db_default=""
    )
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER)
    # TLP:RED entries are visible to their author and these named users alone.
    audience = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("named recipients")
    )
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # What Concord wrote, as an event (incidents.events): its code and parameters, drawn
    # in the reader's language. Empty for what a person wrote (a note), shown as stored.
    event = models.CharField(max_length=64, blank=True, default="", db_default="")
    params = models.JSONField(blank=True, default=dict, db_default={})
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )

    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = _("timeline entries")
        constraints = Replicated.Meta.constraints
        indexes = [
            # Incident page: the case's timeline, newest first.
            models.Index(fields=["incident", "-occurred_at", "-id"], name="timeline_incident_idx"),
            # Dashboard: latest activity across the cases I may see.
            models.Index(fields=["-recorded_at", "-id"], name="timeline_recorded_idx"),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def may_be_corrected(self):
        """Only what a person wrote can be corrected; Concord's own entries cannot."""
        return self.kind == TimelineKind.NOTE

    @property
    def may_be_corrected_here(self):
        """A note written on this node: one written on another node is corrected there."""
        return self.may_be_corrected and not self.origin_node

    @property
    def shown_agency(self):
        """The author's own agency; an entry may be filed under another one (a request's
        entry is filed under the requesting agency, whoever acted). Needs
        ``select_related("author__agency", "author_agency")``."""
        if self.author_id is not None and self.author.agency_id is not None:
            return self.author.agency
        return self.author_agency

    def html(self):
        """The entry's HTML in the reader's language (an event) or as written (a note)."""
        from incidents.events import entry_html

        return entry_html(self)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Timeline entries are append-only; add a correction instead.")
        if not self.excerpt:
            self.excerpt = excerpt(self.body_html)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Timeline entries are append-only; add a correction instead.")

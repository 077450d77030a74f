"""The outbox: one row per recipient and channel, written with the change that caused it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.notifications.choices import Channel, Delivery, Status, event_choices


class Notification(models.Model):
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=40, choices=event_choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text=_("Empty for an agency's functional mailbox."),
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The recipient's agency: its admins see failed deliveries."),
    )
    email = models.EmailField(_("address"), blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    thread = models.CharField(
        _("thread"),
        max_length=120,
        blank=True,
        help_text=_("Mail about one case threads together."),
    )
    dedupe_key = models.CharField(_("dedupe key"), max_length=250, unique=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The delivery sweep: email rows still to send whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due_idx",
                condition=models.Q(status="pending", channel="email"),
            ),
            # The bell and the notifications page: a user's in-app rows, newest first.
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_inbox_idx",
                condition=models.Q(channel="app"),
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.email or self.recipient}: {self.subject}"

    @property
    def is_unread(self):
        return self.read_at is None


class Preference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("event"), max_length=40, choices=event_choices)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event")
        ]

    def __str__(self):
        return f"{self.user}: {self.event} → {self.delivery}"

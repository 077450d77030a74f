from django.db import models
from django.utils.translation import gettext_lazy as _


class PeerState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REMOVED = "removed", _("Removed")


class InboxStatus(models.TextChoices):
    HELD = "held", _("Held (waiting for an earlier message)")
    APPLIED = "applied", _("Applied")
    IGNORED = "ignored", _("Ignored (type unknown to this node)")
    FAILED = "failed", _("Failed to apply")
    REFUSED = "refused", _("Refused (the sender has no authority for it)")

"""Choices and custody rules of evidence items."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EvidenceKind(models.TextChoices):
    DISK_IMAGE = "disk_image", _("Disk image")
    MEMORY_DUMP = "memory_dump", _("Memory dump")
    NETWORK_CAPTURE = "network_capture", _("Network capture")
    LOGS = "logs", _("Logs")
    EMAIL = "email", _("Email")
    DOCUMENT = "document", _("Document")
    MOBILE_DEVICE = "mobile_device", _("Mobile device")
    OTHER = "other", _("Other")


class EvidenceStatus(models.TextChoices):
    IN_CUSTODY = "in_custody", _("In custody")
    IN_TRANSIT = "in_transit", _("In transit")
    TRANSFERRED = "transferred", _("Transferred out")
    RETURNED = "returned", _("Returned to owner")
    DISPOSED = "disposed", _("Disposed")


class CustodyAction(models.TextChoices):
    ACQUIRED = "acquired", _("Acquired")
    TRANSFERRED = "transferred", _("Transferred")
    RECEIVED = "received", _("Received")
    ACCESSED = "accessed", _("Accessed")
    ANALYSED = "analysed", _("Analysed")
    COPIED = "copied", _("Copied")
    SEALED = "sealed", _("Sealed")
    UNSEALED = "unsealed", _("Unsealed")
    RETURNED = "returned", _("Returned")
    DISPOSED = "disposed", _("Disposed")


# What the holder agency may log while the item is in its custody (sealing depends on
# whether the item is sealed now; see rules.allowed_actions).
HOLDER_ACTIONS = (
    CustodyAction.TRANSFERRED,
    CustodyAction.ACCESSED,
    CustodyAction.ANALYSED,
    CustodyAction.COPIED,
    CustodyAction.SEALED,
    CustodyAction.UNSEALED,
    CustodyAction.RETURNED,
    CustodyAction.DISPOSED,
)

# Actions logged from a form or the API. ``acquired`` is written once, by the creation.
LOGGABLE_ACTIONS = tuple(a for a in CustodyAction if a != CustodyAction.ACQUIRED)
LOGGABLE_ACTION_CHOICES = [(a.value, a.label) for a in LOGGABLE_ACTIONS]

# Status an action leaves the item in (None: unchanged). ``transferred`` depends on the
# receiver: to an agency of the case → in transit; to someone outside Concord → transferred.
STATUS_AFTER = {
    CustodyAction.RECEIVED: EvidenceStatus.IN_CUSTODY,
    CustodyAction.RETURNED: EvidenceStatus.RETURNED,
    CustodyAction.DISPOSED: EvidenceStatus.DISPOSED,
}

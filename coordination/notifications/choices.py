from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    APP = "app", _("In the app")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Event(models.TextChoices):
    """What a notification is about; its templates are ``templates/emails/<event>-*`` (or
    those ``services.TEMPLATES_OF`` names)."""

    INCIDENT_SHARED = "incident_shared", _("An incident is shared with my agency")
    CUSTODY_HANDOVER = "custody_handover", _("Evidence is handed over to my agency")
    EVIDENCE_COMPROMISED = "evidence_compromised", _("Evidence of a case of mine is compromised")
    REQUEST_SUBMITTED = "request_submitted", _("A request for assistance awaits approval")
    REQUEST_SENT = "request_sent", _("A request for assistance is sent to my agency")
    REQUEST_UPDATED = "request_updated", _("A request for assistance I deal with moves on")
    REQUEST_DEADLINE = (
        "request_deadline",
        _("A deadline of a request I deal with nears or has passed"),
    )
    REQUEST_DELAY_NOTICE = (
        "request_delay_notice",
        _("The requested side announces a delay on a request of mine"),
    )
    CONTACT_REQUESTED = (
        "contact_requested",
        _("Another agency holds an indicator of my agency's case and asks for contact"),
    )
    TASK_ASSIGNED = "task_assigned", _("A task of a case is assigned to me")
    TASK_REMINDER = "task_reminder", _("A task of mine is due soon or overdue")
    EXERCISE_INJECT = "exercise_inject", _("An exercise sends my agency an inject")
    DIGEST = "digest", _("Daily digest")


def event_choices():
    """The model fields' choices: a callable, so a new event kind needs no migration."""
    return Event.choices


class Delivery(models.TextChoices):
    """A user's choice, per event, of how to hear about it."""

    IMMEDIATE = "immediate", _("Email now")
    DIGEST = "digest", _("Daily digest email")
    APP_ONLY = "app", _("In the app only")


# Events a user may set a preference for (the digest itself is not one of them).
CONFIGURABLE_EVENTS = [e for e in Event if e != Event.DIGEST]

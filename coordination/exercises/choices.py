"""Choices of exercises, injects and the measures of the after-action report."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExerciseStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


# status -> statuses the controller may move it to
EXERCISE_TRANSITIONS = {
    ExerciseStatus.SCHEDULED: (ExerciseStatus.RUNNING, ExerciseStatus.ENDED),
    ExerciseStatus.RUNNING: (ExerciseStatus.PAUSED, ExerciseStatus.ENDED),
    ExerciseStatus.PAUSED: (ExerciseStatus.RUNNING, ExerciseStatus.ENDED),
    ExerciseStatus.ENDED: (),
}


class InjectStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    HELD = "held", _("Held")
    RELEASED = "released", _("Released")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class InjectKind(models.TextChoices):
    INCIDENT = "incident", _("Incident filed")
    TIMELINE = "timeline", _("Timeline entry")
    INDICATORS = "indicators", _("Indicators pasted")
    EVIDENCE = "evidence", _("Evidence item logged")
    REQUEST = "request", _("Incoming request for assistance")
    EMAIL = "email", _("Email to a participant")
    NOTE = "note", _("Facilitator note")


class RoleKind(models.TextChoices):
    LEAD_COUNTRY = "lead_country", _("Lead country")
    AFFECTED_COUNTRY = "affected_country", _("Affected country")
    CERT = "cert", _("CERT / CSIRT")
    PROSECUTOR = "prosecutor", _("Prosecutor")


class Measure(models.TextChoices):
    """What the report times, from an inject's release to the participant's first act."""

    ACKNOWLEDGE = "acknowledge", _("Acknowledge the inject")
    SHARE_INCIDENT = "share_incident", _("Share the incident")
    PASTE_INDICATORS = "paste_indicators", _("Paste indicators")
    SEND_REQUEST = "send_request", _("Approve and send a request")
    ANSWER = "answer", _("Answer the request")


class LogKind(models.TextChoices):
    CREATED = "created", _("Exercise set up")
    STARTED = "started", _("Exercise started")
    PAUSED = "paused", _("Exercise paused")
    RESUMED = "resumed", _("Exercise resumed")
    ENDED = "ended", _("Exercise ended")
    RELEASED = "released", _("Inject released")
    REPLAYED = "replayed", _("Inject replayed")
    HELD = "held", _("Inject held")
    UNHELD = "unheld", _("Inject back on schedule")
    FAILED = "failed", _("Inject failed")
    ACKNOWLEDGED = "acknowledged", _("Inject acknowledged")
    LESSON = "lesson", _("Lesson learned added")

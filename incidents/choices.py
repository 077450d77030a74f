"""Choices and the allowed-transition tables of the incidents app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    INVESTIGATING = "investigating", _("Investigating")
    CONTAINED = "contained", _("Contained")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# status -> statuses it may move to. Reopening (back to investigating) needs a reason.
STATUS_TRANSITIONS = {
    Status.OPEN: (Status.INVESTIGATING,),
    Status.INVESTIGATING: (Status.CONTAINED,),
    Status.CONTAINED: (Status.RESOLVED,),
    Status.RESOLVED: (Status.CLOSED, Status.INVESTIGATING),
    Status.CLOSED: (Status.INVESTIGATING,),
}
REOPENING = {(Status.RESOLVED, Status.INVESTIGATING), (Status.CLOSED, Status.INVESTIGATING)}
OPEN_STATUSES = (Status.OPEN, Status.INVESTIGATING, Status.CONTAINED)


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Category(models.TextChoices):
    """ENISA Reference Security Incident Taxonomy (RSIT), top-level classes."""

    ABUSIVE_CONTENT = "abusive-content", _("Abusive content")
    MALICIOUS_CODE = "malicious-code", _("Malicious code")
    INFORMATION_GATHERING = "information-gathering", _("Information gathering")
    INTRUSION_ATTEMPTS = "intrusion-attempts", _("Intrusion attempts")
    INTRUSIONS = "intrusions", _("Intrusions")
    AVAILABILITY = "availability", _("Availability")
    INFORMATION_CONTENT_SECURITY = (
        "information-content-security",
        _("Information content security"),
    )
    FRAUD = "fraud", _("Fraud")
    VULNERABLE = "vulnerable", _("Vulnerable")
    OTHER = "other", _("Other")
    TEST = "test", _("Test")


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST), in increasing order of restriction."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"

    @classmethod
    def rank(cls, value):
        return list(cls.values).index(value)

    @classmethod
    def at_least(cls, floor):
        """The labels no lower than ``floor``."""
        return [v for v in cls.values if cls.rank(v) >= cls.rank(floor)]


class ParticipationRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    CONTRIBUTOR = "contributor", _("Contributor")
    OBSERVER = "observer", _("Observer")


class TimelineKind(models.TextChoices):
    NOTE = "note", _("Note")
    STATUS_CHANGE = "status_change", _("Status change")
    PARTICIPATION = "participation", _("Participation")
    EVIDENCE = "evidence", _("Evidence")
    CUSTODY = "custody", _("Custody")
    INDICATOR = "indicator", _("Indicator")
    REQUEST = "request", _("Request")
    SYSTEM = "system", _("System")


class Action(models.TextChoices):
    """What a user may do with an incident; ``restrict(user, action)`` takes these."""

    VIEW = "view", _("view")
    CONTRIBUTE = "contribute", _("contribute")  # timeline entries, evidence, indicators
    CHANGE = "change", _("change")  # edit fields, change status
    SHARE = "share", _("share")  # invite and remove agencies


# Object permission codenames on Incident granted to an agency group by participation role.
PARTICIPATION_PERMISSIONS = {
    ParticipationRole.LEAD: (
        "view_incident",
        "contribute_incident",
        "change_incident",
        "share_incident",
    ),
    ParticipationRole.CONTRIBUTOR: ("view_incident", "contribute_incident"),
    ParticipationRole.OBSERVER: ("view_incident",),
}
ALL_INCIDENT_PERMISSIONS = PARTICIPATION_PERMISSIONS[ParticipationRole.LEAD]

# Beyond the object permission, the user's role must allow the action.
ROLES_FOR_ACTION = {
    Action.VIEW: tuple(Role.values),
    Action.CONTRIBUTE: (Role.INVESTIGATOR, Role.LIAISON_OFFICER, Role.SUPERVISOR),
    Action.CHANGE: (Role.INVESTIGATOR, Role.SUPERVISOR),
    Action.SHARE: (Role.INVESTIGATOR, Role.SUPERVISOR),
}
ROLES_THAT_FILE_INCIDENTS = (Role.INVESTIGATOR, Role.SUPERVISOR)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# task status -> statuses it may move to. Done and cancelled tasks may be reopened.
TASK_TRANSITIONS = {
    TaskStatus.OPEN: (TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED),
    TaskStatus.IN_PROGRESS: (TaskStatus.OPEN, TaskStatus.DONE, TaskStatus.CANCELLED),
    TaskStatus.DONE: (TaskStatus.OPEN,),
    TaskStatus.CANCELLED: (TaskStatus.OPEN,),
}
ACTIVE_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class TaskReminder(models.TextChoices):
    """The reminders a task with a due date and an assignee gets, each once per due date."""

    NEAR = "near", _("Due soon")
    OVERDUE = "overdue", _("Overdue")

"""Exercises: a scenario instantiated with agencies in its roles, its injects and its log."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from coordination.exercises.choices import (
    ExerciseStatus,
    InjectKind,
    InjectStatus,
    LogKind,
)


class Exercise(models.Model):
    title = models.CharField(_("title"), max_length=200)
    scenario_id = models.CharField(_("scenario"), max_length=80)
    # The scenario as validated when the exercise was set up: later edits of its file
    # change no exercise already planned.
    scenario = models.JSONField(_("scenario content"))
    organiser = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="organised_exercises",
        verbose_name=_("organising agency"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("start"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ExerciseStatus.choices,
        default=ExerciseStatus.SCHEDULED,
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        permissions = [
            ("control_exercise", "Can set up and control exercises of the own agency"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("exercises:detail", kwargs={"pk": self.pk})

    @property
    def is_live(self):
        return self.status in (ExerciseStatus.RUNNING, ExerciseStatus.PAUSED)

    @property
    def is_ended(self):
        return self.status == ExerciseStatus.ENDED

    def targets(self):
        return self.scenario.get("targets", {})


class RoleAssignment(models.Model):
    """Which agency plays which role of the scenario."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="assignments")
    role_key = models.CharField(_("role"), max_length=60)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="exercise_roles"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "role_key"], name="one_agency_per_role")
        ]

    def __str__(self):
        return f"{self.role_key}: {self.agency}"


class ExerciseIncident(models.Model):
    """An incident an inject filed, by its key in the scenario."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="incidents")
    key = models.CharField(max_length=60)
    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="exercise_link"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exercise", "key"], name="one_incident_per_key")
        ]


class Inject(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="injects")
    seq = models.PositiveIntegerField()
    key = models.CharField(max_length=60)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("action"), max_length=16, choices=InjectKind.choices)
    role_key = models.CharField(_("role"), max_length=60)
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a facilitator note."),
    )
    offset = models.DurationField(_("offset from the start"))
    due_at = models.DateTimeField(_("due"))
    payload = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=12, choices=InjectStatus.choices, default=InjectStatus.PENDING
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    release_count = models.PositiveSmallIntegerField(default=0)
    failure = models.TextField(_("why it failed"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the release created, to link from the board (an incident or a request page),
    # and the rows it wrote ({"indicators": [pk], "requests": [pk]}): the report does not
    # count them as the players' own acts.
    refs = models.JSONField(default=dict, blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    result_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "seq"], name="one_inject_per_seq")
        ]
        indexes = [
            # The release sweep (tasks.release_due_injects): pending injects whose time came.
            models.Index(
                fields=["due_at"],
                name="inject_due_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.exercise_id}#{self.seq} {self.title}"

    def expectations(self):
        """``{measure: target timedelta or None}`` of what the participant should do."""
        from coordination.exercises.scenarios import parse_duration

        return {
            name: (parse_duration(target) if target else None)
            for name, target in (self.payload.get("expect") or {}).items()
        }

    @property
    def offset_label(self):
        total = int(self.offset.total_seconds())
        hours, rest = divmod(total, 3600)
        return f"+{hours}:{rest // 60:02d}" + (f":{rest % 60:02d}" if rest % 60 else "")


class LogEntry(models.Model):
    """The exercise's own log: what the controller and the release sweep did. Append-only."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="log")
    inject = models.ForeignKey(Inject, on_delete=models.CASCADE, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=LogKind.choices)
    at = models.DateTimeField()
    actor_name = models.CharField(max_length=200, blank=True)
    agency_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.exercise_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Lesson(models.Model):
    """A lesson learned a participant adds; collected in the after-action report."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="lessons")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(max_length=200)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agency_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(_("lesson learned"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.exercise_id}: {self.body[:40]}"

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.choices import ACTIVE_TASK_STATUSES, Category, TaskStatus
from incidents.querysets import TaskQuerySet


class Task(models.Model):
    """A piece of work on an incident. Rows are written by incidents.casework.actions only."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        verbose_name=_("assignee"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TaskStatus.choices,
        default=TaskStatus.OPEN,
        editable=False,
    )
    position = models.PositiveIntegerField(_("order"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_by_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the reminder sweep next looks at this task (None: nothing left to remind).
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # The incident page's task panel, in the participants' order.
            models.Index(fields=["incident", "position", "id"], name="task_incident_idx"),
            # Dashboard "My tasks": the assignee's active tasks by due date.
            models.Index(
                fields=["assignee", "due_at", "id"],
                name="task_assignee_active_idx",
                condition=Q(status__in=ACTIVE_TASK_STATUSES),
            ),
            # The reminder sweep (incidents.casework.reminders.due_ids): one probe.
            models.Index(
                fields=["remind_at"],
                name="task_remind_idx",
                condition=Q(remind_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_active(self):
        return self.status in ACTIVE_TASK_STATUSES


class CaseTemplate(models.Model):
    """Tasks an agency starts every incident of one category with (kept by its admins)."""

    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.CASCADE,
        related_name="case_templates",
        verbose_name=_("agency"),
    )
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Applied to the incidents the agency files.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency", "category", "name"]
        verbose_name = _("case template")
        verbose_name_plural = _("case templates")
        constraints = [
            # Filing looks up one template per (agency, category); also its index.
            models.UniqueConstraint(
                fields=["agency", "category"],
                condition=Q(is_active=True),
                name="case_template_one_active",
            )
        ]

    def __str__(self):
        return self.name


class CaseTemplateStep(models.Model):
    """One task of a case template; due ``due_after_hours`` after the incident is filed."""

    template = models.ForeignKey(CaseTemplate, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    due_after_hours = models.PositiveIntegerField(
        _("due after (hours)"),
        null=True,
        blank=True,
        help_text=_("Hours after filing; leave empty for no due date."),
    )
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["template", "position", "pk"]
        verbose_name = _("template task")
        verbose_name_plural = _("template tasks")

    def __str__(self):
        return self.title

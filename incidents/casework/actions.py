"""Business operations on tasks, owners and case templates: one function per verb, atomic.

Views, the API, the admin and the demo seed call these. They raise ``ValidationError``
(field messages) for bad input, ``PermissionDenied`` when the actor may not act, and
``TransitionNotAllowed`` / ``ConcurrentChange`` for state conflicts.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import events
from incidents.casework import alerts, reminders
from incidents.choices import (
    ROLES_FOR_ACTION,
    TASK_TRANSITIONS,
    Action,
    TaskStatus,
)
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed
from incidents.models import CaseTemplate, Task
from incidents.permissions import allowed_actions

TASK_FIELDS = ("title", "description", "due_at")


def _require(user, incident, action=Action.CONTRIBUTE):
    if action not in allowed_actions(user, incident):
        raise PermissionDenied(_("You may not %(action)s this incident.") % {"action": action})


def assignable_users(incident):
    """Active users of the agencies taking part in ``incident``: who a task may go to."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            agency__participations__incident=incident,
            role__in=ROLES_FOR_ACTION[Action.VIEW],
        )
        .select_related("agency")
        .order_by("agency__short_name", "last_name", "first_name", "username")
    )


def _check_assignee(incident, assignee):
    if assignee is None:
        return
    if not assignable_users(incident).filter(pk=assignee.pk).exists():
        raise ValidationError(
            {
                "assignee": _("%(name)s is not a user of an agency taking part in this incident.")
                % {"name": assignee.display_name}
            }
        )


def _clean_fields(fields):
    errors = {}
    title = (fields.get("title") or "").strip()
    if "title" in fields:
        if not title:
            errors["title"] = _("Give the task a title.")
        elif len(title) > 200:
            errors["title"] = _("At most 200 characters.")
        fields["title"] = title
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
        if len(fields["description"]) > 5000:
            errors["description"] = _("At most 5000 characters.")
    if errors:
        raise ValidationError(errors)
    return fields


def _next_position(incident):
    last = Task.objects.filter(incident=incident).aggregate(m=Max("position"))["m"]
    return 0 if last is None else last + 1


@transaction.atomic
def add_task(incident, by, *, title, description="", assignee=None, due_at=None):
    """Add a task to the incident, optionally assigned to a participant's user."""
    _require(by, incident)
    fields = _clean_fields({"title": title, "description": description})
    _check_assignee(incident, assignee)
    task = Task(
        incident=incident,
        assignee=assignee,
        due_at=due_at,
        position=_next_position(incident),
        created_by=by,
        created_by_agency_id=by.agency_id,
        **fields,
    )
    task.remind_at = reminders.first_reminder_at(task)
    task.save()
    entry = events.task_created(incident, by, task)
    alerts.task_assigned(task, by, entry)
    return task


@transaction.atomic
def update_task(task, by, **changes):
    """Edit a task's title, description or due date (a new due date is reminded anew)."""
    incident = task.incident
    _require(by, incident)
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    changes = _clean_fields(dict(changes))
    changed = [name for name, value in changes.items() if getattr(task, name) != value]
    if not changed:
        return task
    for name in changed:
        setattr(task, name, changes[name])
    update_fields = [*changed, "updated_at"]
    if "due_at" in changed:
        task.remind_at = reminders.first_reminder_at(task)
        update_fields.append("remind_at")
    task.save(update_fields=update_fields)
    return task


@transaction.atomic
def assign_task(task, by, assignee):
    """Give the task to ``assignee`` (a user of a participating agency), or to no one."""
    incident = task.incident
    _require(by, incident)
    _check_assignee(incident, assignee)
    if task.assignee_id == (assignee.pk if assignee else None):
        return task
    task.assignee = assignee
    task.save(update_fields=["assignee", "updated_at"])
    entry = events.task_assigned(incident, by, task)
    alerts.task_assigned(task, by, entry)
    return task


@transaction.atomic
def change_task_status(task, by, new_status):
    """Move the task along ``TASK_TRANSITIONS`` by compare-and-swap on its status."""
    incident = task.incident
    _require(by, incident)
    new_status = TaskStatus(new_status)
    old_status = TaskStatus(task.status)
    allowed = TASK_TRANSITIONS[old_status]
    if new_status not in allowed:
        raise TransitionNotAllowed(
            _("A task that is %(old)s cannot become %(new)s.")
            % {"old": old_status.label.lower(), "new": new_status.label.lower()},
            allowed=allowed,
        )
    task.status = new_status
    remind_at = reminders.first_reminder_at(task)
    now = timezone.now()
    updated = Task.objects.filter(pk=task.pk, status=old_status).update(
        status=new_status, remind_at=remind_at, updated_at=now
    )
    if not updated:
        task.status = old_status
        raise ConcurrentChange(_("Someone else changed this task meanwhile. Reload and try again."))
    task.remind_at, task.updated_at = remind_at, now
    events.task_status_changed(incident, by, task, old_status, new_status)
    return task


@transaction.atomic
def move_task(task, by, offset):
    """Move the task ``offset`` places up (negative) or down the incident's list."""
    incident = task.incident
    _require(by, incident)
    # Every task of the incident locked, in one fixed order, so two moves serialise.
    locked = list(Task.objects.filter(incident=incident).order_by("pk").select_for_update())
    ordered = sorted(locked, key=lambda t: (t.position, t.pk))
    index = next(i for i, t in enumerate(ordered) if t.pk == task.pk)
    target = max(0, min(len(ordered) - 1, index + int(offset)))
    if target == index:
        return task
    ordered.insert(target, ordered.pop(index))
    for position, row in enumerate(ordered):
        if row.position != position:
            Task.objects.filter(pk=row.pk).update(position=position)
        if row.pk == task.pk:
            task.position = position
    return task


def may_name_owner_role(user):
    """Whether ``user``'s role lets them name their agency's owner on a case it takes part in."""
    return bool(user.agency_id) and user.role in ROLES_FOR_ACTION[Action.CONTRIBUTE]


def _may_name_owner(user, participation):
    return (
        user.agency_id == participation.agency_id
        and may_name_owner_role(user)
        and Action.VIEW in allowed_actions(user, participation.incident)
    )


@transaction.atomic
def set_owner(participation, by, owner):
    """Name the user of ``participation``'s agency who owns its part of the case."""
    if not _may_name_owner(by, participation):
        raise PermissionDenied(_("Only the agency's own participants name its owner."))
    if owner is not None and (owner.agency_id != participation.agency_id or not owner.is_active):
        raise ValidationError(
            {
                "owner": _("The owner must be an active user of %(agency)s.")
                % {"agency": participation.agency.name}
            }
        )
    if participation.owner_id == (owner.pk if owner else None):
        return participation
    participation.owner = owner
    participation.save(update_fields=["owner"])
    events.owner_named(participation.incident, by, participation)
    return participation


def apply_case_template(incident, by):
    """Pre-fill the tasks of the filing agency's active template for the incident's category.

    Called by ``incidents.actions.create_incident`` inside its transaction.
    """
    template = (
        CaseTemplate.objects.filter(
            agency_id=incident.lead_agency_id, category=incident.category, is_active=True
        )
        .prefetch_related("steps")
        .first()
    )
    if template is None:
        return []
    filed = incident.created_at or timezone.now()
    tasks = []
    for position, step in enumerate(template.steps.all()):
        task = Task(
            incident=incident,
            title=step.title,
            description=step.description,
            due_at=(
                filed + timedelta(hours=step.due_after_hours)
                if step.due_after_hours is not None
                else None
            ),
            position=position,
            created_by=by,
            created_by_agency_id=by.agency_id,
        )
        task.remind_at = reminders.first_reminder_at(task)
        tasks.append(task)
    Task.objects.bulk_create(tasks)
    if tasks:
        events.template_applied(incident, by, template, len(tasks))
    return tasks

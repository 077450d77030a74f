"""What people hear about tasks: built here, delivered by the notifications app."""

from coordination.notifications.choices import Event
from coordination.notifications.services import Message, notify
from incidents.alerts import CONFIDENTIAL_TLP, incident_thread
from incidents.choices import TLP, TaskReminder
from incidents.models import Incident


def reminder_recipients(task):
    """The assignee (the creator for an unassigned task), while they still see the case."""
    person = task.assignee or task.created_by
    if person is None or not person.is_active:
        return []
    if not Incident.objects.restrict(person).filter(pk=task.incident_id).exists():
        return []
    return [person]


def _task_message(task, event, key, **context):
    """A message about ``task``, linking to it on its incident's page."""
    incident = task.incident
    return Message(
        event=event,
        key=key,
        link=f"{incident.get_absolute_url()}#task-{task.pk}",
        thread=incident_thread(incident),
        confidential=incident.tlp in CONFIDENTIAL_TLP,
        exercise=incident.is_exercise,
        context={
            "reference": incident.reference,
            "incident_title": incident.title,
            "tlp": TLP(incident.tlp).label,
            "task_title": task.title,
            "due_at": task.due_at,
            **context,
        },
    )


def task_assigned(task, by, entry):
    """The new assignee hears of it, unless they gave the task to themselves."""
    assignee = task.assignee
    if assignee is None or assignee.pk == by.pk:
        return []
    message = _task_message(
        task,
        Event.TASK_ASSIGNED,
        f"task-assigned:{entry.pk}",
        assigner_name=by.display_name,
        assigner_agency=by.agency.short_name if by.agency_id else "",
    )
    return notify(message, users=[assignee])


def task_reminder(task, reminder):
    message = _task_message(
        task,
        Event.TASK_REMINDER,
        f"task-reminder:{task.pk}:{reminder}:{int(task.due_at.timestamp())}",
        overdue=reminder == TaskReminder.OVERDUE,
        assigned=task.assignee_id is not None,
    )
    return notify(message, users=reminder_recipients(task))

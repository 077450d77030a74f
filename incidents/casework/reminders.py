"""Task reminders: once when a task nears its due date, once when it is overdue.

Each task keeps ``remind_at``, the next time the sweep should look at it: a day before
its due date, then the due date, then nothing. The sweep finds its work with one query
on the partial index ``task_remind_idx`` and claims each task by compare-and-swap on
``remind_at``, so two overlapping sweeps never remind twice; the notification's dedupe
key (task, reminder, due date) makes a redelivered claim write nothing new either.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.choices import ACTIVE_TASK_STATUSES, TaskReminder

REMIND_BEFORE = timedelta(hours=24)


def first_reminder_at(task):
    """When the sweep first looks at ``task`` (None: no due date, or no longer active)."""
    if task.due_at is None or task.status not in ACTIVE_TASK_STATUSES:
        return None
    return task.due_at - REMIND_BEFORE


def due_ids(now, limit):
    """The one query: tasks whose reminder time has passed (``task_remind_idx``)."""
    from incidents.models import Task

    return list(
        Task.objects.filter(remind_at__lte=now)
        .order_by("remind_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(now=None, batch=500):
    """Send every reminder due; returns ``(task id, reminder)`` of those sent."""
    now = now or timezone.now()
    sent = []
    while True:
        ids = due_ids(now, batch)
        for pk in ids:
            reminder = remind(pk, now)
            if reminder is not None:
                sent.append((pk, reminder))
        if len(ids) < batch:
            return sent


def remind(pk, now):
    """Claim one task's due reminder and send it; None when another sweep claimed it."""
    from incidents.casework import alerts
    from incidents.models import Task

    with transaction.atomic():
        task = (
            Task.objects.select_related("incident", "assignee", "created_by")
            .filter(pk=pk, remind_at__lte=now)
            .first()
        )
        if task is None:
            return None
        if task.due_at is None or task.status not in ACTIVE_TASK_STATUSES:
            reminder, next_at = None, None
        elif now >= task.due_at:
            reminder, next_at = TaskReminder.OVERDUE, None
        else:
            reminder, next_at = TaskReminder.NEAR, task.due_at
        claimed = Task.objects.filter(pk=pk, remind_at=task.remind_at).update(remind_at=next_at)
        if not claimed or reminder is None:
            return None
        alerts.task_reminder(task, reminder)
        return reminder

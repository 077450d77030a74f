"""Celery tasks of incidents: the task reminder sweep (beat, every few minutes)."""

from celery import shared_task

from incidents.casework import reminders


@shared_task(name="incidents.remind_tasks", ignore_result=True)
def remind_tasks():
    """Send every task reminder due; safe to run twice at once."""
    return len(reminders.sweep())

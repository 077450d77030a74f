"""Celery tasks of incidents (beat): the task reminder sweep, every few minutes, and the
list of agencies whose visibility clause probes grants row by row."""

from celery import shared_task
from celery.signals import worker_ready

from incidents import querysets
from incidents.casework import reminders


@shared_task(name="incidents.remind_tasks", ignore_result=True)
def remind_tasks():
    """Send every task reminder due; safe to run twice at once."""
    return len(reminders.sweep())


@shared_task(name="incidents.refresh_large_grant_holders", ignore_result=True)
def refresh_large_grant_holders():
    """Write the (group, permission) pairs holding many grants to the cache; idempotent."""
    return len(querysets.refresh_large_grant_holders())


@worker_ready.connect
def list_large_holders_on_start(sender, **kwargs):
    """A worker that starts lists them at once: beat's first run is minutes away."""
    refresh_large_grant_holders.delay()

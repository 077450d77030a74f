"""Celery tasks of exercises: the release sweep (beat, every few seconds)."""

from celery import shared_task

from coordination.exercises import actions


@shared_task(name="exercises.release_due", ignore_result=True)
def release_due_injects():
    """Release every inject whose time has come; safe to run twice at once."""
    return actions.release_due()

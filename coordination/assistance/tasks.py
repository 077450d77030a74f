"""Celery tasks of requests: the escalation sweep (beat, every few minutes)."""

from celery import shared_task

from coordination.assistance import escalation


@shared_task(name="assistance.escalate", ignore_result=True)
def escalate_deadlines():
    """Record and announce every deadline threshold passed; safe to run twice at once."""
    return len(escalation.sweep())

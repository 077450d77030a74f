"""Celery tasks: ids in, idempotent, safe to run twice at once."""

from celery import shared_task

from coordination.notifications import delivery


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver_notification(pk):
    delivery.deliver(pk)


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep_outbox():
    """Re-queue email rows still pending (broker down, retry due, worker died)."""
    delivery.release_stale_claims()
    for pk in delivery.due_ids():
        deliver_notification.delay(pk)


@shared_task(name="notifications.digests", ignore_result=True)
def send_digests():
    from coordination.notifications.digest import send_due_digests

    send_due_digests()

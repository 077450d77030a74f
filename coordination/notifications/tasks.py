"""Celery tasks: ids in, idempotent, safe to run twice at once."""

from celery import shared_task

from coordination.notifications import delivery
from coordination.notifications.choices import Status


@shared_task(bind=True, name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver_notification(self, pk):
    status = delivery.deliver(pk)
    if status == Status.PENDING:  # the SMTP server refused: try again when the backoff ends
        wait = delivery.seconds_until_next_attempt(pk)
        if wait is not None:
            queue = (self.request.delivery_info or {}).get("routing_key")
            options = {"queue": queue} if queue else {}
            deliver_notification.apply_async((pk,), countdown=wait, **options)


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

from celery import shared_task

from coordination.audit import recorder, retention


@shared_task(name="audit.flush", ignore_result=True)
def flush():
    """Append the consultations and exports waiting in the buffer."""
    return recorder.flush()


@shared_task(name="audit.purge", ignore_result=True)
def purge():
    """Remove records older than AUDIT_RETENTION_DAYS (the chain stays verifiable)."""
    return retention.purge_expired()

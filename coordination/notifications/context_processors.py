from django.conf import settings


def bell(request):
    """How often open pages ask for the unread count (seconds)."""
    return {"bell_poll_seconds": settings.NOTIFICATION_BELL_POLL_SECONDS}

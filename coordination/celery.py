"""Celery application: the worker and beat load tasks from every installed app."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")

app = Celery("coordination")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_CACHE_KEY = "concord:worker-heartbeat"


@app.task(name="concord.ping")
def ping():
    """Answer 'pong': proves a worker is consuming the broker."""
    return "pong"


@app.task(name="concord.heartbeat", ignore_result=True)
def heartbeat():
    """Record when a worker last ran a beat task; the health page shows it."""
    from django.core.cache import cache
    from django.utils import timezone

    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=None)


@worker_ready.connect
def heartbeat_at_start(**_kwargs):
    """A worker that just started is alive: /health/ need not wait for beat's first run."""
    heartbeat()

"""Liveness and readiness: database, cache and the last worker heartbeat."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from coordination.celery import HEARTBEAT_CACHE_KEY


def health(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, do not crash the probe
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        checks["worker_heartbeat"] = cache.get(HEARTBEAT_CACHE_KEY) or "never"
        checks["cache"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, do not crash the probe
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = checks["database"] == "ok" and checks.get("cache") == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )

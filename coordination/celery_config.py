"""Broker and result-backend settings: Redis when given, else files under ``var_dir``."""

from pathlib import Path


def broker_settings(redis_url, var_dir):
    """Celery settings (lower-case names) for the broker and the result backend.

    Without Redis, kombu's filesystem transport and Celery's file result backend
    need no server at all: the embedded default runs web, worker and beat from
    one checkout.
    """
    if redis_url:
        return {"broker_url": redis_url, "result_backend": redis_url}
    queue_dir = Path(var_dir) / "celery"
    for sub in ("queue", "processed", "results", "control"):
        (queue_dir / sub).mkdir(parents=True, exist_ok=True)
    return {
        # A host name, though the transport ignores it, keeps kombu from warning on each use.
        "broker_url": "filesystem://localhost/",
        # kombu's filesystem transport, writing each message whole before it is seen.
        "broker_transport": "coordination.file_broker:Transport",
        "broker_transport_options": {
            "data_folder_in": str(queue_dir / "queue"),
            "data_folder_out": str(queue_dir / "queue"),
            "processed_folder": str(queue_dir / "processed"),
            "store_processed": False,
            # Broadcast (remote control) messages; kombu's default is ./control.
            "control_folder": str(queue_dir / "control"),
        },
        "result_backend": f"file://{queue_dir / 'results'}",
    }

"""A real Celery worker consumes the configured broker (Redis in CI, files locally)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from coordination.celery_config import broker_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
def test_ping_task_runs_through_a_real_worker(tmp_path):
    # Given a worker process listening on a queue of its own
    queue = f"concord-test-{uuid.uuid4().hex}"
    env = {**os.environ, "CONCORD_VAR_DIR": str(tmp_path), "DEBUG": "true"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "coordination",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=info",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # When a producer configured like the web process sends the ping task
        producer = Celery("concord-producer")
        producer.conf.update(broker_settings(settings.REDIS_URL, tmp_path))
        result = producer.send_task("concord.ping", queue=queue)
        # Then the worker answers
        assert result.get(timeout=60) == "pong"
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert "concord.ping" in output


def test_broker_is_redis_when_redis_url_is_set(tmp_path):
    config = broker_settings("redis://127.0.0.1:6379/0", tmp_path)
    assert config["broker_url"] == "redis://127.0.0.1:6379/0"


def test_broker_needs_no_server_without_redis(tmp_path):
    config = broker_settings("", tmp_path)
    assert config["broker_url"].startswith("filesystem://")
    assert (tmp_path / "celery" / "queue").is_dir()

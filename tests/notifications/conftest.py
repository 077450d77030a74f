"""Real parts for delivery tests: an SMTP server (aiosmtpd) and Celery workers in subprocesses."""

import asyncio
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from coordination.notifications import tasks
from tests.conftest import require_redis  # noqa: F401 - imported from here by other tests

ROOT = Path(__file__).resolve().parents[2]


class Sink:
    """An SMTP server that keeps what it receives.

    ``refuse_next`` answers that many messages with a temporary failure (451);
    ``stall_rcpt`` holds the next RCPT command that many seconds (a worker can be
    killed while it waits, before the message was ever accepted).
    """

    def __init__(self):
        self.messages = []
        self.refused = 0
        self.refuse_next = 0
        self.stall_rcpt = 0.0
        self.stalled = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_rcpt:
            delay, self.stall_rcpt = self.stall_rcpt, 0.0
            self.stalled = True
            await asyncio.sleep(delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next > 0:
            self.refuse_next -= 1
            self.refused += 1
            return "451 Requested action aborted: try again later"
        message = message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def message_ids(self):
        return [message["Message-ID"] for _, message in self.messages]


@pytest.fixture
def smtp_sink():
    sink = Sink()
    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check it is up
        probe.bind(("127.0.0.1", 0))
        sink.port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    """Celery workers in subprocesses, all consuming one queue private to the test."""

    def __init__(self, smtp_port, env):
        self.queue = f"concord-test-{uuid.uuid4().hex}"
        self.smtp_port = smtp_port
        self.env = env
        self.processes = []

    def start(self):
        env = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            **self.env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "coordination", "worker", "-Q", self.queue]
            + ["--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=info"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def kill(self, process):
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(require_postgres, smtp_sink, monkeypatch, settings):
    """Start workers with ``workers.start()``; the web side queues onto their queue.

    Short retry and claim timings (here and in the workers) keep the fault
    scenarios within seconds.
    """
    timings = {
        "NOTIFICATION_RETRY_FIRST_SECONDS": 0.5,
        "NOTIFICATION_RETRY_MAX_SECONDS": 2.0,
        "NOTIFICATION_CLAIM_LEASE_SECONDS": 3.0,
    }
    for name, value in timings.items():
        setattr(settings, name, value)
    pool = Workers(smtp_sink.port, {name: str(value) for name, value in timings.items()})
    original = tasks.deliver_notification.apply_async

    def onto_test_queue(args=None, kwargs=None, **options):
        options["queue"] = pool.queue
        return original(args, kwargs, **options)

    monkeypatch.setattr(tasks.deliver_notification, "apply_async", onto_test_queue)
    monkeypatch.setattr(tasks.deliver_notification, "delay", lambda *a: onto_test_queue(a))
    yield pool
    pool.stop_all()


def wait_until(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False

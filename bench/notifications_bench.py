"""Emails delivered per second through the outbox, a real Celery worker and an SMTP sink.

Usage (PostgreSQL and Redis required; the database is migrated, rows are added)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
    REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/notifications_bench.py [--emails 2000]

Steps: start an aiosmtpd sink on a free loopback port (in this process, counting what
it accepts); write ``--emails`` notification rows with ``notify()`` (one event, that many
mailboxes) in one transaction and report the write rate; start one Celery worker with the
default worker settings (prefork, one process per core, prefetch 1, acks late) on a private
queue; queue every row and time until the sink has accepted them all. The worker is
stopped at the end, whatever happens.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class CountingSink:
    def __init__(self):
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        self.accepted += 1
        return "250 OK"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=2000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: this measures the real stack.")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
    import django

    django.setup()
    import logging

    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import transaction

    from coordination.notifications import services, tasks
    from coordination.notifications.choices import Event, Status
    from coordination.notifications.models import Notification
    from coordination.notifications.services import Mailbox, Message, notify

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    sink = CountingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()

    run = uuid.uuid4().hex[:8]
    message = Message(
        event=Event.INCIDENT_SHARED,
        key=f"bench-{run}",
        link="/incidents/CC-2026-000001/",
        thread="incident.CC-2026-000001",
        context={
            "reference": "CC-2026-000001",
            "title": "Benchmark incident",
            "tlp": "TLP:AMBER",
            "severity": "High",
            "agency": "Benchmark agency",
            "role": "Contributor",
            "inviter_name": "Bench",
            "inviter_agency": "Bench agency",
        },
    )
    mailboxes = [
        Mailbox(email=f"desk{i}-{run}@bench.example", language="fr" if i % 2 else "en")
        for i in range(args.emails)
    ]
    started = time.perf_counter()
    services.queue_delivery = lambda ids: None  # queued below, onto the private queue
    with transaction.atomic():
        rows = notify(message, mailboxes=mailboxes)
    write_seconds = time.perf_counter() - started
    ids = [row.pk for row in rows]

    queue = f"bench-mail-{run}"
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "coordination", "worker", "-Q", queue]
        + ["--loglevel=warning", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)  # let the worker connect before the clock starts
        started = time.perf_counter()
        for pk in ids:
            tasks.deliver_notification.apply_async((pk,), queue=queue)
        queued_seconds = time.perf_counter() - started
        deadline = time.monotonic() + 600
        while sink.accepted < len(ids) and time.monotonic() < deadline:
            time.sleep(0.05)
        send_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        controller.stop()

    sent = Notification.objects.filter(pk__in=ids, status=Status.SENT).count()
    print(
        f"cores: {os.cpu_count()}   worker: default settings (prefork, {os.cpu_count()} processes)"
    )
    print(
        f"notify(): {len(ids)} email rows written in {write_seconds:.2f} s "
        f"({len(ids) / write_seconds:,.0f} rows/s, rendered in en and fr)"
    )
    print(f"queued {len(ids)} tasks in {queued_seconds:.2f} s")
    print(
        f"delivered {sink.accepted} emails in {send_seconds:.2f} s: "
        f"{sink.accepted / send_seconds:,.1f} emails/s; rows marked sent: {sent}"
    )
    if sink.accepted != len(ids) or sent != len(ids):
        sys.exit("Not every email was delivered exactly once.")


if __name__ == "__main__":
    main()

"""End to end: Celery beat and a worker, in a subprocess of their own, release the injects
when due, once each, in order, to the right agencies; the emails reach a real SMTP
server marked "[EXERCISE]"."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from coordination.exercises import actions, scenarios
from coordination.exercises.choices import InjectStatus
from tests.notifications.conftest import ROOT, database_url, wait_until

pytestmark = [
    pytest.mark.exercise,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

QUICK = """
id: quick
title: Three quick injects
objectives: [Release on time]
roles:
  - {key: lead, kind: lead_country, label: Lead country}
  - {key: affected-a, kind: affected_country, label: First affected country}
  - {key: affected-b, kind: affected_country, label: Second affected country}
injects:
  - {key: filed, at: 0s, to: lead, do: incident, incident: case, title: Case filed,
     summary: Encrypted servers.}
  - {key: warned, at: 3s, to: affected-a, do: email, title: Warning, subject: Heads-up,
     text: The same ransom note was seen here.}
  - {key: noted, at: 6s, to: affected-b, do: timeline, incident: case, title: News,
     text: The leak site lists a hospital of yours.}
"""


@pytest.fixture
def beat_and_worker(require_postgres, require_redis, smtp_sink, tmp_path):
    queue = f"concord-test-exercises-{os.getpid()}"
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        "CELERY_DEFAULT_QUEUE": queue,
        "EXERCISE_SWEEP_SECONDS": "0.5",
        "NOTIFICATION_SWEEP_SECONDS": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "coordination", "worker", "-B", "-Q", queue]
        + ["--schedule", str(tmp_path / "beat-schedule"), "--pool=solo"]
        + ["--without-gossip", "--without-mingle", "--loglevel=info"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_beat_and_worker_release_each_inject_once_in_order_when_due(
    monkeypatch, smtp_sink, controller, play_agencies, players, beat_and_worker
):
    # Given an exercise whose injects fall due 0, 3 and 6 seconds after its start, and
    # no nudge from the web side: only beat releases them
    monkeypatch.setattr(actions, "_queue_release", lambda: None)
    scenario = scenarios.parse(QUICK)
    starts_at = timezone.now() + timedelta(seconds=2)
    exercise = actions.create_exercise(
        controller, scenario=scenario, starts_at=starts_at, agencies=play_agencies
    )

    # When the controller starts it
    actions.start(exercise, controller)

    # Then beat and the worker release the three, each when due
    injects = exercise.injects.order_by("seq")
    assert wait_until(
        lambda: injects.filter(status=InjectStatus.RELEASED).count() == 3, timeout=90
    ), list(injects.values_list("key", "status", "failure"))
    rows = list(injects)
    assert [i.key for i in sorted(rows, key=lambda i: i.released_at)] == [
        "filed",
        "warned",
        "noted",
    ]
    for inject in rows:
        assert inject.release_count == 1
        assert inject.released_at >= inject.due_at
        assert inject.released_at - inject.due_at < timedelta(seconds=10)
    assert [i.agency for i in rows] == [
        play_agencies["lead"],
        play_agencies["affected-a"],
        play_agencies["affected-b"],
    ]
    drill = exercise.incidents.get(key="case").incident
    assert drill.is_exercise and drill.lead_agency == play_agencies["lead"]
    assert drill.timeline.filter(body__contains="The leak site lists").count() == 1

    # ... and the emails of the injects reach the mail server, marked as exercise
    warned = {players["affected-a"].email, players["affected-a-liaison"].email}
    assert wait_until(
        lambda: warned <= {r for rcpt, _ in smtp_sink.messages for r in rcpt}, timeout=60
    )
    subjects = [str(message["Subject"]) for _, message in smtp_sink.messages]
    assert subjects and all(s.startswith("[EXERCISE]") for s in subjects), subjects

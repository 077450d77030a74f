"""Fixtures of the attack replays: a superuser, Celery tasks run inline, evidence
fixtures, a private MEDIA_ROOT per test, and the personas of cross-border requests
borrowed from tests/assistance."""

import pytest

from accounts.choices import Role
from tests.assistance.conftest import (  # noqa: F401
    approve,
    de_court,
    de_judge,
    de_liaison,
    de_prosecution,
    de_prosecutor,
    nl_agency,
    nl_liaison,
)
from tests.evidence.conftest import evidence, make_evidence  # noqa: F401
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def superuser(db):
    return UserFactory(
        username="root", agency=None, role=Role.INVESTIGATOR, is_staff=True, is_superuser=True
    )


@pytest.fixture
def run_reset_tasks(monkeypatch):
    """Password reset emails are sent by a Celery task: run it here, when it is queued."""
    from accounts import tasks

    monkeypatch.setattr(
        tasks.send_password_reset, "delay", lambda *args: tasks.send_password_reset.apply(args)
    )

"""Fixtures of the attack replays: a private cache per test, a superuser, Celery run inline."""

import pytest

from accounts.choices import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Reset requests are counted in the cache: keep each test's counts its own.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s"},
    }
    from django.core.cache import cache

    cache.clear()


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

"""Accounts personas beside the shared ones: the agency admins of two agencies."""

import pytest

from accounts.choices import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Password reset requests are counted in the cache: keep each test's counts its own.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def run_reset_tasks(monkeypatch):
    """Password reset emails are sent by a Celery task: run it here, when it is queued."""
    from accounts import tasks

    monkeypatch.setattr(
        tasks.send_password_reset, "delay", lambda *args: tasks.send_password_reset.apply(args)
    )


@pytest.fixture
def agency_admin(lead_agency):
    """Agency admin of the lead agency (Germany)."""
    return UserFactory(
        username="adela",
        first_name="Adela",
        last_name="Admin",
        agency=lead_agency,
        role=Role.AGENCY_ADMIN,
    )


@pytest.fixture
def other_admin(other_agency):
    """Agency admin of an unrelated agency (Spain)."""
    return UserFactory(username="oscar", agency=other_agency, role=Role.AGENCY_ADMIN)


@pytest.fixture
def superuser(db):
    return UserFactory(
        username="root", agency=None, role=Role.INVESTIGATOR, is_staff=True, is_superuser=True
    )

"""Shared fixtures: the four personas every view and endpoint is tested with.

- ``lead_user``: investigator of the lead agency (Germany)
- ``invited_user``: investigator of an agency invited as contributor (France)
- ``outsider``: investigator of an unrelated agency (Spain)
- anonymous: the plain ``client`` fixture, not logged in
"""

import os
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from accounts.choices import AgencyKind, Role
from incidents.choices import ParticipationRole
from tests.factories import AgencyFactory, UserFactory, make_incident


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site language: a French user's request in an earlier test
    leaves French active in the thread (LocaleMiddleware never deactivates)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _incident_permission_ids_read(request):
    """Query counts see the steady state: the incident permission ids are read once per
    process (``incidents.querysets.incident_permission_id``), so read them first rather
    than in whichever test happens to come first."""
    names = set(request.fixturenames)
    if {"db", "transactional_db"} & names:
        request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    elif request.node.get_closest_marker("django_db") is None:
        return  # no database in this test (the marker's own fixture has opened it otherwise)
    from incidents.querysets import incident_permission_id

    incident_permission_id("view_incident")


@pytest.fixture(autouse=True)
def _cache_scope_of_this_test(settings):
    """What is kept in the shared cache until a write makes it stale is kept per test:
    database ids are used again from one test to the next (SQLite), cached values are not."""
    import uuid

    settings.CACHE_KEY_SCOPE = f"test:{uuid.uuid4().hex}:"


@pytest.fixture(autouse=True)
def _audit_buffer_of_this_test(settings, worker_id):
    """Each test process keeps its buffered audit records under its own key (another
    process's flush would append them to that process's database), emptied per test.
    Without Redis the buffer is the process's own: reads cost no query either way."""
    settings.AUDIT_BUFFER_KEY = f"concord:test:{worker_id}:audit"
    if not settings.AUDIT_BUFFER_URL:
        settings.AUDIT_BUFFER_URL = "memory://"
    from coordination.audit import recorder

    client = recorder.buffer_client()
    if client is not None:
        client.delete(settings.AUDIT_BUFFER_KEY)
    yield
    if client is not None:
        client.delete(settings.AUDIT_BUFFER_KEY)


@pytest.fixture
def lead_agency(db):
    return AgencyFactory(
        name="Bundeskriminalamt Cybercrime",
        short_name="BKA-CC",
        country="DE",
        timezone="Europe/Berlin",
    )


@pytest.fixture
def invited_agency(db):
    return AgencyFactory(
        name="OFAC Cybercriminalité",
        short_name="OFAC",
        country="FR",
        timezone="Europe/Paris",
        language="fr",
    )


@pytest.fixture
def other_agency(db):
    return AgencyFactory(
        name="CCN-CERT",
        short_name="CCN-CERT",
        country="ES",
        kind=AgencyKind.CERT,
        timezone="Europe/Madrid",
    )


@pytest.fixture
def lead_user(lead_agency):
    return UserFactory(username="lena", agency=lead_agency, role=Role.INVESTIGATOR)


@pytest.fixture
def invited_user(invited_agency):
    return UserFactory(username="francois", agency=invited_agency, role=Role.INVESTIGATOR)


@pytest.fixture
def outsider(other_agency):
    return UserFactory(username="olga", agency=other_agency, role=Role.INVESTIGATOR)


@pytest.fixture
def incident(lead_user, invited_agency):
    return make_incident(lead_user, shared_with=[(invited_agency, ParticipationRole.CONTRIBUTOR)])


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in as ``user`` and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_login(api_client):
    def _login(user):
        api_client.force_authenticate(user)
        return api_client

    return _login


def services_required():
    """True in CI: a test that needs a real service fails instead of skipping."""
    return os.environ.get("CONCORD_REQUIRE_SERVICES") == "1"


@pytest.fixture
def require_postgres(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("This test needs PostgreSQL (DATABASE_URL) in CI.")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def require_redis():
    if not os.environ.get("REDIS_URL"):
        if services_required():
            pytest.fail("This test needs Redis (REDIS_URL) in CI.")
        pytest.skip("needs Redis: set REDIS_URL=redis://...")
    return os.environ["REDIS_URL"]


# The run leaves nothing in Redis: the keys it created (queued tasks, kombu bindings, unacked
# sets, results, buffered audit records, cached values, sessions) are deleted at its end, in the
# databases it is configured with and no other. Done by the controlling process, once every xdist worker has finished,
# never by a worker while another still uses its queues.
_REDIS_KEYS_BEFORE = pytest.StashKey[dict]()


def configured_redis_databases():
    """One URL per Redis database the settings use: broker, results, audit buffer, caches."""
    from django.conf import settings

    from coordination.redis_cache import queue_databases
    from coordination.redis_config import SCHEMES, same_database

    urls = queue_databases()
    for config in settings.CACHES.values():
        if "redis" in config["BACKEND"].lower():
            urls += config["LOCATION"].replace(";", ",").split(",")
    databases = []
    for url in urls:
        if urlsplit(url).scheme in SCHEMES and not any(same_database(url, u) for u in databases):
            databases.append(url)
    return databases


def _redis(url):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)


def redis_keys(url, match="*"):
    return set(_redis(url).scan_iter(match=match, count=1000))


def delete_keys_created_since(url, before, match="*"):
    """Delete the keys matching ``match`` that are not in ``before``; return how many."""
    client = _redis(url)
    created = [key for key in client.scan_iter(match=match, count=1000) if key not in before]
    for start in range(0, len(created), 500):
        client.delete(*created[start : start + 500])
    return len(created)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    import redis

    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controlling process cleans up
    before = {}
    for url in configured_redis_databases():
        try:
            before[url] = redis_keys(url)
        except redis.RedisError:
            continue  # unreachable: the tests that need it say so
    session.config.stash[_REDIS_KEYS_BEFORE] = before


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    import redis

    for url, before in session.config.stash.get(_REDIS_KEYS_BEFORE, {}).items():
        try:
            delete_keys_created_since(url, before)
        except redis.RedisError:
            continue

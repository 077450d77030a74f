"""The test run deletes what it created in Redis, and only that (tests/conftest.py)."""

import uuid

import redis

from tests.conftest import configured_redis_databases, delete_keys_created_since, redis_keys


def test_the_run_knows_its_redis_databases(require_redis, settings):
    databases = configured_redis_databases()
    assert settings.CELERY_BROKER_URL in databases
    assert settings.CACHES["default"]["LOCATION"] in databases
    assert settings.CACHES["sessions"]["LOCATION"] in databases
    assert len(databases) == 3  # the result backend and the audit buffer share the broker's


def test_keys_created_during_the_run_are_deleted_and_older_ones_kept(require_redis, settings):
    # Given a key that was there before the run (this test's own name space: the database is
    # shared with the run's other workers)
    url = settings.CELERY_BROKER_URL
    client = redis.Redis.from_url(url)
    space = f"cleanup-test-{uuid.uuid4().hex}:"
    client.set(space + "before", b"kept")
    before = redis_keys(url, match=space + "*")

    # When the run queues tasks, binds queues and keeps sessions, then ends
    client.lpush(space + "celery", b"{}")
    client.sadd(space + "_kombu.binding.celery", b"celery\x06\x16\x06\x16celery")
    client.set(space + "session:abc", b"x", ex=60)
    deleted = delete_keys_created_since(url, before, match=space + "*")

    # Then what it created is gone and what was there before stays
    assert deleted == 3
    assert redis_keys(url, match=space + "*") == {(space + "before").encode()}
    client.delete(space + "before")

"""Issue #13, finding 13: what sits in Redis cannot be turned against the web process.

The cache, the sessions and the Celery broker are in three Redis databases; nothing read
from a cache is unpickled unless this deployment signed it; key names give no session id
away; clearing a cache never empties the broker's database; ``check --deploy`` warns about
a Redis without password and a cache in the broker's database.
"""

import logging
import pickle
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse
from kombu.exceptions import ContentDisallowed, DecodeError
from kombu.serialization import loads as kombu_loads
from kombu.serialization import prepare_accept_content

from coordination.celery import app as celery_app
from coordination.checks import redis_broker_database_apart, redis_caches_signed, redis_has_password
from coordination.redis_cache import BrokerDatabaseClear, SignedRedisCache
from coordination.redis_config import database_number, same_database
from coordination.sessions import SessionStore
from tests.conftest import configured_redis_databases, redis_keys

REDIS_ALIASES = ("default", "sessions")
UNPICKLED = []


def _ran_on_unpickling(marker):
    UNPICKLED.append(marker)


class Exploit:
    """Unpickling it calls ``_ran_on_unpickling``: a visible stand-in for any code."""

    def __reduce__(self):
        return (_ran_on_unpickling, ("planted code ran",))


@pytest.fixture
def planted_pickle():
    payload = pickle.dumps(Exploit())
    pickle.loads(payload)  # proves the payload is live
    assert UNPICKLED == ["planted code ran"]
    UNPICKLED.clear()
    return payload


def raw_client(alias):
    return redis.Redis.from_url(settings.CACHES[alias]["LOCATION"])


@pytest.fixture
def unique_key(require_redis):
    """A key of this test alone (the databases are shared by the run's parallel workers)."""
    keys = []

    def make(alias):
        name = f"test-{uuid.uuid4().hex}"
        keys.append((alias, name))
        return name, caches[alias].make_and_validate_key(name)

    yield make
    for alias, name in keys:
        caches[alias].delete(name)


@pytest.mark.parametrize("alias", REDIS_ALIASES)
def test_a_pickle_planted_in_redis_is_never_unpickled(alias, unique_key, planted_pickle, caplog):
    # Given someone who can write to Redis plants a pickle under a key the web process reads
    name, key = unique_key(alias)
    raw_client(alias).set(key, planted_pickle)

    # When the web process reads it, alone, among others and with a default
    with caplog.at_level(logging.WARNING, logger="coordination.redis_cache"):
        value = caches[alias].get(name)
        many = caches[alias].get_many([name])
        with_default = caches[alias].get(name, "drawn afresh")

    # Then it is a miss, nothing ran, and the refusal is logged
    assert value is None and many == {} and with_default == "drawn afresh"
    assert UNPICKLED == []
    assert "not signed by this deployment" in caplog.text


@pytest.mark.parametrize("alias", REDIS_ALIASES)
def test_an_altered_value_is_a_miss(alias, unique_key):
    name, key = unique_key(alias)
    caches[alias].set(name, {"title": "Ransomware at the port authority"})
    stored = raw_client(alias).get(key)
    raw_client(alias).set(key, stored[:-1] + bytes([stored[-1] ^ 1]))

    assert caches[alias].get(name) is None


def test_a_value_signed_under_another_secret_key_is_a_miss(unique_key, settings):
    name, _ = unique_key("default")
    settings.SECRET_KEY = "another-deployment-" + "s" * 40
    caches["default"].set(name, ["kept elsewhere"])
    settings.SECRET_KEY = "this-deployment-" + "t" * 40

    assert caches["default"].get(name) is None


def test_values_written_by_us_are_read_back_and_counters_count(unique_key):
    name, _ = unique_key("default")
    counter, _ = unique_key("default")
    caches["default"].set(name, {"tlp": "red", "entries": [1, 2]})
    caches["default"].set(counter, 1)

    assert caches["default"].get(name) == {"tlp": "red", "entries": [1, 2]}
    assert caches["default"].incr(counter) == 2


@pytest.mark.django_db
def test_a_pickle_planted_as_a_session_is_not_unpickled_and_the_user_stays_signed_in(
    require_redis, client, lead_user, planted_pickle
):
    # Given a signed-in user whose cached session is replaced by a planted pickle
    client.force_login(lead_user)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    cache_key = caches["sessions"].make_and_validate_key(SessionStore(session_key).cache_key)
    assert raw_client("sessions").exists(cache_key)
    raw_client("sessions").set(cache_key, planted_pickle)

    # When the user asks for a page
    response = client.get(reverse("incidents:dashboard"))

    # Then nothing ran and the session was read from the database
    assert response.status_code == 200
    assert response.wsgi_request.user == lead_user
    assert UNPICKLED == []


@pytest.mark.django_db
def test_no_session_id_appears_in_redis_key_names(require_redis, client, lead_user):
    # Given a signed-in user who has browsed a little
    client.force_login(lead_user)
    client.get(reverse("incidents:dashboard"))
    client.get(reverse("incidents:list"))
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    # Then the session is cached, in the sessions database only, under a name without its id
    hashed = caches["sessions"].make_and_validate_key(SessionStore(session_key).cache_key)
    assert raw_client("sessions").exists(hashed)
    assert raw_client("default").exists(hashed) == 0
    every_key = set().union(*(redis_keys(url) for url in configured_redis_databases()))
    assert not [key for key in every_key if session_key.encode() in key]


def test_broker_caches_and_sessions_are_in_three_databases(require_redis):
    broker = settings.CELERY_BROKER_URL
    cache = settings.CACHES["default"]["LOCATION"]
    sessions = settings.CACHES["sessions"]["LOCATION"]

    assert broker == settings.REDIS_URL == settings.CELERY_RESULT_BACKEND
    assert len({database_number(broker), database_number(cache), database_number(sessions)}) == 3
    assert not same_database(broker, cache)
    assert not same_database(broker, sessions)
    assert not same_database(cache, sessions)
    assert settings.SESSION_CACHE_ALIAS == "sessions"


def test_every_redis_cache_signs_what_it_pickles():
    assert redis_caches_signed(None) == []
    for alias in REDIS_ALIASES:
        if "redis" in settings.CACHES[alias]["BACKEND"]:
            assert isinstance(caches[alias], SignedRedisCache)


def test_a_cache_that_unpickles_anything_is_an_error(settings):
    settings.CACHES = {
        **settings.CACHES,
        "plain": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/9",
        },
    }
    assert [error.id for error in redis_caches_signed(None)] == ["concord.E001"]


@pytest.mark.parametrize("holder", ["CELERY_BROKER_URL", "AUDIT_BUFFER_URL"])
def test_clearing_a_cache_in_a_database_holding_queues_is_refused(holder, require_redis, settings):
    # Given a task (or audit record) waiting in Redis, and a cache someone put in its database
    if holder == "AUDIT_BUFFER_URL":
        settings.AUDIT_BUFFER_URL = settings.CACHES["sessions"]["LOCATION"]
    queue_url = getattr(settings, holder)
    queued = redis.Redis.from_url(queue_url)
    queue = f"test-queue-{uuid.uuid4().hex}"
    queued.lpush(queue, b'{"task": "notifications.deliver"}')
    settings.CACHES = {
        **settings.CACHES,
        "risky": {
            "BACKEND": "coordination.redis_cache.SignedRedisCache",
            "LOCATION": written_differently(queue_url),
        },
    }
    try:
        # When that cache is cleared, it refuses, and what waited is still there
        with pytest.raises(BrokerDatabaseClear):
            caches["risky"].clear()
        assert queued.llen(queue) == 1
    finally:
        queued.delete(queue)


def written_differently(url):
    """The same database, named with ``?db=`` rather than a path."""
    return f"redis://127.0.0.1:6379/?db={database_number(url)}"


def test_the_configured_caches_may_be_cleared_without_touching_the_broker(require_redis):
    for alias in REDIS_ALIASES:
        assert caches[alias].broker_servers() == []


def test_celery_unpickles_neither_messages_nor_results(planted_pickle):
    # A message planted in the broker: the worker accepts JSON only
    accept = prepare_accept_content(celery_app.conf.accept_content)
    assert accept == {"application/json"}
    with pytest.raises(ContentDisallowed):
        kombu_loads(planted_pickle, "application/x-python-serialize", "binary", accept=accept)
    # A result planted in the result backend is read as JSON, whatever it claims to be
    assert celery_app.backend.accept == {"application/json"}
    assert celery_app.backend.content_type == "application/json"
    with pytest.raises(DecodeError):
        celery_app.backend.decode(planted_pickle)
    assert UNPICKLED == []


class TestDeployCheck:
    def test_warns_about_each_redis_url_without_a_password(self, settings):
        settings.REDIS_URL = "redis://127.0.0.1:6379/0"
        settings.CACHE_REDIS_URL = "redis://:s3cret@127.0.0.1:6379/1"
        settings.SESSION_REDIS_URL = "redis://127.0.0.1:6379/2"
        settings.AUDIT_BUFFER_URL = "redis://127.0.0.1:6379/0"

        [warning] = redis_has_password(None)

        assert warning.id == "concord.W001"
        assert "REDIS_URL" in warning.msg and "SESSION_REDIS_URL" in warning.msg
        assert "AUDIT_BUFFER_URL" in warning.msg
        assert "CACHE_REDIS_URL" not in warning.msg

    def test_is_quiet_when_every_redis_url_has_a_password(self, settings):
        settings.REDIS_URL = "rediss://concord:s3cret@redis.example.org:6380/0"
        settings.CACHE_REDIS_URL = "rediss://concord:s3cret@redis.example.org:6380/1"
        settings.SESSION_REDIS_URL = "unix:///run/redis.sock?db=2&password=s3cret"
        settings.AUDIT_BUFFER_URL = settings.REDIS_URL

        assert redis_has_password(None) == []

    def test_an_audit_buffer_in_process_memory_needs_no_password(self, settings):
        settings.REDIS_URL = settings.CACHE_REDIS_URL = settings.SESSION_REDIS_URL = ""
        settings.AUDIT_BUFFER_URL = "memory://"

        assert redis_has_password(None) == []

    def test_warns_when_a_cache_shares_the_broker_database(self, settings):
        settings.CELERY_BROKER_URL = "redis://:pw@10.0.0.5:6379/3"
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": "coordination.redis_cache.SignedRedisCache",
                "LOCATION": "redis://:pw@10.0.0.5/3",
            },
            "sessions": {
                "BACKEND": "coordination.redis_cache.SignedRedisCache",
                "LOCATION": "redis://:pw@10.0.0.5:6379/5",
            },
        }

        warnings = redis_broker_database_apart(None)

        assert [(w.id, "default" in w.msg) for w in warnings] == [("concord.W002", True)]

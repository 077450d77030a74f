"""Django's Redis cache, unpickling only what this deployment wrote.

A cached value is a pickle, and unpickling runs code: anyone who can write to Redis
could make the web process run theirs. So every value is stored with an HMAC of its
pickle under a key derived from ``SECRET_KEY``, and checked before it is unpickled; a
value without a valid signature (planted, altered, or written under an older key) is a
miss, and is logged. Integers stay plain numbers, so that ``incr()`` keeps working in
Redis; reading one never unpickles anything.

``clear()`` empties the whole Redis database: it is refused when that database holds
queues (the Celery broker's tasks and results, the audit records waiting to be appended).
"""

import logging
import pickle

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer
from django.utils.crypto import constant_time_compare, salted_hmac

from coordination.redis_config import redacted, same_database

logger = logging.getLogger(__name__)

SIGNATURE_SALT = "coordination.redis_cache.SignedPickleSerializer"
SIGNATURE_LENGTH = 32  # HMAC-SHA256


class UnsignedValue(ValueError):
    """A value in Redis that this deployment did not write."""


class BrokerDatabaseClear(RuntimeError):
    """``clear()`` was asked of a cache in the Celery broker's database."""


def queue_databases():
    """The Redis URLs holding queues: Celery's broker and results, the audit buffer."""
    names = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "AUDIT_BUFFER_URL")
    return [url for url in (getattr(settings, n, "") for n in names) if isinstance(url, str)]


def _signature(payload):
    return salted_hmac(SIGNATURE_SALT, payload, algorithm="sha256").digest()


class SignedPickleSerializer(RedisSerializer):
    def dumps(self, obj):
        data = super().dumps(obj)
        if isinstance(data, int):
            return data
        return _signature(data) + data

    def loads(self, data):
        try:
            return int(data)
        except ValueError:
            pass
        signature, payload = data[:SIGNATURE_LENGTH], data[SIGNATURE_LENGTH:]
        if len(signature) < SIGNATURE_LENGTH or not constant_time_compare(
            signature, _signature(payload)
        ):
            raise UnsignedValue
        return pickle.loads(payload)  # signed by us: checked just above


class SignedRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, serializer=None, **options):
        super().__init__(servers, serializer=serializer or SignedPickleSerializer, **options)

    def _loads(self, key, value):
        try:
            return self._serializer.loads(value)
        except UnsignedValue:
            logger.warning("cache value under %r is not signed by this deployment: ignored", key)
            raise

    def get(self, key, default):
        value = self.get_client(key).get(key)
        if value is None:
            return default
        try:
            return self._loads(key, value)
        except UnsignedValue:
            return default

    def get_many(self, keys):
        found = {}
        for key, value in zip(keys, self.get_client(None).mget(keys), strict=True):
            if value is None:
                continue
            try:
                found[key] = self._loads(key, value)
            except UnsignedValue:
                continue
        return found


class SignedRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with signed values and a safe clear."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SignedRedisCacheClient

    def broker_servers(self):
        """This cache's servers whose database holds queues (see ``queue_databases``)."""
        return [
            server
            for server in self._servers
            if any(same_database(server, url) for url in queue_databases())
        ]

    def clear(self):
        shared = self.broker_servers()
        if shared:
            raise BrokerDatabaseClear(
                f"refusing to clear {', '.join(map(redacted, shared))}: it is the database of "
                f"the Celery broker or of the audit buffer, and clearing it would drop queued "
                f"tasks or audit records (give the cache a database of its own: "
                f"CACHE_REDIS_URL, SESSION_REDIS_URL)"
            )
        return super().clear()

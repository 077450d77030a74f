"""System checks of the deployment's Redis: passwords, databases kept apart, signed caches."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from coordination.redis_cache import SignedPickleSerializer, SignedRedisCache, queue_databases
from coordination.redis_config import SCHEMES, has_password, same_database

REDIS_VARIABLES = ("REDIS_URL", "CACHE_REDIS_URL", "SESSION_REDIS_URL", "AUDIT_BUFFER_URL")


def _is_redis(url):
    return isinstance(url, str) and url.split(":", 1)[0] in SCHEMES


def _redis_caches():
    """(alias, backend class, servers) of every cache alias that lives in Redis."""
    from django.core.cache.backends.redis import RedisCache

    found = []
    for alias, config in settings.CACHES.items():
        try:
            backend = import_string(config["BACKEND"])
        except ImportError:
            continue  # Django's own cache check reports it
        if isinstance(backend, type) and issubclass(backend, RedisCache):
            location = config.get("LOCATION", "")
            servers = (
                location.replace(";", ",").split(",") if isinstance(location, str) else location
            )
            found.append((alias, backend, [s.strip() for s in servers if s.strip()]))
    return found


@register(Tags.security, deploy=True)
def redis_has_password(app_configs, **kwargs):
    unprotected = [
        name
        for name in REDIS_VARIABLES
        if _is_redis(getattr(settings, name, "")) and not has_password(getattr(settings, name))
    ]
    if not unprotected:
        return []
    return [
        Warning(
            f"Redis is reached without a password: {', '.join(unprotected)}.",
            hint=(
                "Anyone who can reach the Redis server can read the cache and the sessions and "
                "queue tasks. Set `requirepass` (or an ACL user) on the server and give the "
                "password in the URL: redis://:PASSWORD@host:6379/0 (a NAME_FILE variable can "
                "hold it)."
            ),
            id="concord.W001",
        )
    ]


@register(Tags.security, Tags.caches, deploy=True)
def redis_broker_database_apart(app_configs, **kwargs):
    queues = queue_databases()
    return [
        Warning(
            f'The cache "{alias}" is in the Redis database of the Celery broker or of the '
            "audit buffer.",
            hint=(
                "Give the caches and the sessions databases of their own (CACHE_REDIS_URL, "
                "SESSION_REDIS_URL, or leave them unset: they default to the two databases after "
                "REDIS_URL's)."
            ),
            id="concord.W002",
        )
        for alias, _, servers in _redis_caches()
        if any(same_database(server, url) for server in servers for url in queues)
    ]


@register(Tags.security, Tags.caches)
def redis_caches_signed(app_configs, **kwargs):
    errors = []
    for alias, backend, _ in _redis_caches():
        serializer = settings.CACHES[alias].get("OPTIONS", {}).get("serializer")
        if isinstance(serializer, str):
            serializer = import_string(serializer)
        signed = issubclass(backend, SignedRedisCache) and (
            serializer is None
            or (isinstance(serializer, type) and issubclass(serializer, SignedPickleSerializer))
            or isinstance(serializer, SignedPickleSerializer)
        )
        if not signed:
            errors.append(
                Error(
                    f'The cache "{alias}" unpickles whatever it reads from Redis.',
                    hint="Use coordination.redis_cache.SignedRedisCache with its own serializer.",
                    id="concord.E001",
                )
            )
    return errors

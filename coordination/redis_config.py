"""Where Redis keeps what: the broker, the caches and the sessions, each in a database of its own.

``REDIS_URL`` names the Celery broker (and result backend). The caches go to
``CACHE_REDIS_URL`` and the sessions to ``SESSION_REDIS_URL``; left unset, they are the
next two databases of the broker's server (database N+1 and N+2 of ``REDIS_URL``).
Kept apart, clearing a cache never empties the broker's queues, and a key name or value of
one never sits beside the other's.

Imported by the settings module: nothing here may read Django's settings.
"""

from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from django.core.exceptions import ImproperlyConfigured

SCHEMES = ("redis", "rediss", "unix")
DEFAULT_PORT = 6379
# A Redis server has 16 databases unless its `databases` setting says otherwise.
DATABASES = 16
CACHE_OFFSET = 1
SESSION_OFFSET = 2


class RedisLocations(NamedTuple):
    broker: str
    cache: str
    sessions: str


def _split(url):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return parts, query


def _unsplit(parts):
    # urlunsplit() would write unix:///path as unix:/path.
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return (
        url
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def redacted(url):
    """The URL without its password, fit for a message or a log line."""
    parts, query = _split(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    if "password" in query:
        query["password"] = "***"
    return _unsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))


def database_number(url):
    """The database a Redis URL selects (as redis-py reads it: ``?db=`` first, then the path)."""
    parts, query = _split(url)
    raw = query.get("db")
    if raw is None and parts.scheme != "unix":
        raw = parts.path.strip("/") or None
    return int(raw) if raw is not None else 0


def check_url(name, url):
    """Raise ImproperlyConfigured naming ``name`` unless ``url`` is a usable Redis URL."""
    try:
        parts, _ = _split(url)
        parts.port  # noqa: B018 - raises ValueError when it is not a number
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: not a valid Redis URL ({exc})") from exc
    if parts.scheme not in SCHEMES:
        raise ImproperlyConfigured(
            f"{name}: unsupported scheme {parts.scheme!r} (use redis://, rediss:// or unix://)"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}: a unix:// URL needs the socket's path")
    elif not parts.hostname:
        raise ImproperlyConfigured(f"{name}: no host name, as in redis://host:6379/0")
    try:
        db = database_number(url)
    except ValueError:
        db = -1
    if db < 0:
        raise ImproperlyConfigured(
            f"{name}: the database must be a number from 0, as in redis://host:6379/0 "
            f"(got {redacted(url)})"
        )
    return url


def with_database(url, db):
    """``url`` selecting database ``db`` instead of its own."""
    parts, query = _split(url)
    if "db" in query or parts.scheme == "unix":
        query["db"] = str(db)
        return _unsplit(parts._replace(query=urlencode(query)))
    return _unsplit(parts._replace(path=f"/{db}"))


def _derived(broker_url, offset, variable):
    db = database_number(broker_url) + offset
    if db >= DATABASES:
        raise ImproperlyConfigured(
            f"REDIS_URL: database {db - offset} leaves no room for {variable}, which defaults "
            f"to database {db} of the same server (a server has {DATABASES} unless configured "
            f"otherwise): use database {DATABASES - 1 - SESSION_OFFSET} or lower, or set "
            f"{variable}"
        )
    return with_database(broker_url, db)


def redis_locations(broker_url="", cache_url="", session_url=""):
    """The checked Redis URLs of the broker, the caches and the sessions ("" for none)."""
    broker_url, cache_url, session_url = (u.strip() for u in (broker_url, cache_url, session_url))
    if broker_url:
        check_url("REDIS_URL", broker_url)
    if cache_url:
        check_url("CACHE_REDIS_URL", cache_url)
    elif broker_url:
        cache_url = _derived(broker_url, CACHE_OFFSET, "CACHE_REDIS_URL")
    if session_url:
        check_url("SESSION_REDIS_URL", session_url)
    elif broker_url:
        session_url = _derived(broker_url, SESSION_OFFSET, "SESSION_REDIS_URL")
    return RedisLocations(broker_url, cache_url, session_url)


def _database_identity(url):
    parts, _ = _split(url)
    if parts.scheme == "unix":
        place = ("unix", parts.path)
    else:
        place = ((parts.hostname or "").lower(), parts.port or DEFAULT_PORT)
    return (*place, database_number(url))


def same_database(url, other):
    """True when both Redis URLs select the same database of the same server."""
    if not url or not other:
        return False
    try:
        if urlsplit(url).scheme not in SCHEMES or urlsplit(other).scheme not in SCHEMES:
            return False
        return _database_identity(url) == _database_identity(other)
    except ValueError:
        return False


def has_password(url):
    parts, query = _split(url)
    return bool(parts.password or unquote(query.get("password", "")))

"""Read-only pages served again while nothing has been written to the database.

Under PostgreSQL every statement reads the rows its snapshot shows, and a snapshot is
fully described by ``pg_current_snapshot()``: the transactions finished before it and
those still running. Two requests that take the same snapshot therefore read the same
rows. A page rendered for one user, one request and one snapshot is the page that user
would get again under that snapshot, so it is kept under a key made of all three and
served from the cache until any transaction commits anywhere in the database, which
changes the snapshot. Nothing needs to announce its writes: ``QuerySet.update()``, the
admin, the Celery worker and raw SQL all move the snapshot alike.

What a page shows besides rows is part of the key too: the user, their session and CSRF
cookie (the page carries a CSRF token), language, time zone, the path with its query
string, the headers that change the answer (htmx, ``Accept``) and the current minute, so
that "due in" and "overdue" do not outlive the minute they were drawn in.

Nothing is cached when the database cannot say what its snapshot is (SQLite), inside a
transaction (its own writes do not move the snapshot), for anonymous users, when flash
messages wait to be shown, or when the answer sets a cookie or is not a 200.
"""

import functools
import hashlib
import logging
import time
import zlib

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
# The headers a view's answer may depend on besides the path, the user and the cookies.
_VARYING_HEADERS = ("HX-Request", "HX-Target", "HX-Trigger", "HX-Current-URL", "Accept")


def database_snapshot():
    """The snapshot a statement run now would read under, or None where unknown."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def _messages_waiting(request):
    """Flash messages wait in their cookie or in the session (Django's default storages)."""
    session = getattr(request, "session", None)
    return "messages" in request.COOKIES or (session is not None and "_messages" in session)


def page_key(request, user, *parts, embeds_csrf_token=True):
    """The cache key of this request's page for ``user``, or None if it must not be cached.

    A page that ``embeds_csrf_token`` is only cached for a browser that already holds its
    CSRF cookie: the token drawn into it is valid for that cookie only.
    """
    if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return None
    if user is None or not user.is_authenticated:
        return None
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if (embeds_csrf_token and not csrf_cookie) or _messages_waiting(request):
        return None
    snapshot = database_snapshot()
    if snapshot is None:
        return None
    session = getattr(request, "session", None)
    identity = [
        str(user.pk),
        getattr(session, "session_key", None) or "",
        csrf_cookie or "",
        request.META.get("HTTP_AUTHORIZATION", ""),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        request.get_full_path(),
        *(request.headers.get(name, "") for name in _VARYING_HEADERS),
        str(current_minute()),
        snapshot,
        *map(str, parts),
    ]
    return hashlib.sha256("\x1f".join(identity).encode()).hexdigest()


def _stored(response):
    # Pages are text: level 1 shrinks them about tenfold for well under a millisecond.
    return {
        "status": response.status_code,
        "content": zlib.compress(response.content, 1),
        "headers": dict(response.items()),
    }


def _restored(entry):
    response = HttpResponse(zlib.decompress(entry["content"]), status=entry["status"])
    for name, value in entry["headers"].items():
        response[name] = value
    return response


def current_minute():
    """The minute a page is drawn in: part of its key."""
    return int(time.time() // 60)


def _lifetime():
    """Seconds to keep a page: never past the minute its key names, which no one asks again."""
    left_in_minute = 60 - int(time.time() % 60)
    return max(1, min(settings.PAGE_CACHE_SECONDS, left_in_minute))


def cacheable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
    )


def serve(key, produce):
    """The page stored under ``key``, or the one ``produce()`` draws, stored if it may be.

    The cache is a help, not a dependency: if it cannot be reached, the page is drawn.
    """
    if key is None:
        return produce()
    cache = caches[CACHE_ALIAS]
    try:
        entry = cache.get(key)
    except Exception:  # any backend failure: draw the page instead
        logger.warning("page cache unreachable; drawing the page", exc_info=True)
        return produce()
    if entry is not None:
        return _restored(entry)
    response = produce()
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if cacheable(response):
        try:
            cache.set(key, _stored(response), _lifetime())
        except Exception:  # the page is drawn; keeping it is optional
            logger.warning("page cache unreachable; page not kept", exc_info=True)
    return response


def snapshot_cached(view):
    """Serve a read-only view's page from the cache while the database is unchanged.

    Put it under ``login_required``: the user must already be known.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = page_key(request, getattr(request, "user", None))
        response = serve(key, lambda: view(request, *args, **kwargs))
        get_token(request)  # as a drawn page would: the CSRF cookie's expiry is renewed
        return response

    return wrapper

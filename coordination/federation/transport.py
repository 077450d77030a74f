"""HTTP between nodes: the one place that opens a connection to a peer."""

import json
import urllib.error
import urllib.request
from contextlib import contextmanager

from django.conf import settings


class TransportError(Exception):
    """The peer could not be reached, or answered with an error (transient: retried)."""


class Refused(TransportError):
    """The peer answered 4xx: it read the message and will not take it."""

    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


def request(method, url, *, body=None, headers=None):
    """``(status, text)`` of a request to a peer; network errors raise TransportError."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=settings.FEDERATION_HTTP_TIMEOUT_SECONDS) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from exc


def get_json(url, headers=None):
    status, text = request("GET", url, headers={"Accept": "application/json", **(headers or {})})
    if 400 <= status < 500:
        raise Refused(status, text)
    if status != 200:
        raise TransportError(f"HTTP {status} from {url}")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise TransportError(f"not JSON from {url}") from exc


@contextmanager
def stream(url, headers=None):
    """A GET whose body is read as it comes (a file): the open response, if 200."""
    req = urllib.request.Request(url, method="GET", headers=headers or {})
    try:
        response = urllib.request.urlopen(req, timeout=settings.FEDERATION_HTTP_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as exc:
        body = exc.read(2000).decode("utf-8", "replace")
        if 400 <= exc.code < 500:
            raise Refused(exc.code, body) from exc
        raise TransportError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from exc
    with response:
        if response.status != 200:
            raise TransportError(f"HTTP {response.status} from {url}")
        try:
            yield response
        except OSError as exc:  # the connection broke while the body was read
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

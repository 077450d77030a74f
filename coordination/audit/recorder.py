"""Writing the audit trail.

``record()`` appends a security event in the caller's transaction. Consultations and
exports (recorded by ``coordination.audit.middleware`` on every read) go through
``record_buffered()``: with Redis they wait in a list on the broker's server and a
periodic task appends them in batches, so that reading a page does not also write and
commit to the database; without Redis they are appended at once.
"""

import json
import logging
import threading
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from coordination.audit import chain
from coordination.audit.choices import Via, category_of

logger = logging.getLogger(__name__)

FLUSH_BATCH = 1000


def _agency_id(value):
    return getattr(value, "pk", value)


def client_address(request):
    """The client's address as the throttle sees it (trusted proxies applied)."""
    if request is None:
        return ""
    from accounts.throttle import client_address as trusted_client_address

    return (trusted_client_address(request) or "")[:45]


def _via(request):
    if request is None:
        return Via.SYSTEM
    path = request.path or ""
    if path.startswith("/api/"):
        return Via.API
    if path.startswith("/taxii2/"):
        return Via.TAXII
    if path.startswith("/admin/"):
        return Via.ADMIN
    return Via.WEB


def _actor_of(request, actor):
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    return actor


def event(
    action,
    *,
    request=None,
    actor=None,
    target=None,
    agency=None,
    object_type="",
    object_ref="",
    recipient="",
    justification="",
    details=None,
    at=None,
):
    """The fields of one record, before it has a place in the chain."""
    actor = _actor_of(request, actor)
    actor_agency_id = getattr(actor, "agency_id", None) if actor is not None else None
    # The agency's short name only if already loaded: a token-authenticated user was read
    # without it, and recording must not cost the request a query (append fills it in).
    loaded = getattr(getattr(actor, "_state", None), "fields_cache", {})
    actor_agency = loaded.get("agency")
    if target is not None:
        object_type = object_type or target._meta.model_name
        object_ref = object_ref or str(
            getattr(target, "reference", None) or getattr(target, "username", None) or target.pk
        )
    if agency is None and target is not None:
        agency = getattr(target, "agency_id", None)
    if agency is None and not object_ref and actor_agency_id is not None:
        agency = actor_agency_id  # nothing to resolve an owner from: the actor's agency
    actor_name = ""
    if actor is not None:
        actor_name = getattr(actor, "username", "") or str(actor)
    return {
        "event_id": str(uuid.uuid4()),
        "at": (at or timezone.now()).isoformat(),
        "category": str(category_of(action)),
        "action": str(action),
        "actor_id": getattr(actor, "pk", None),
        "actor_name": actor_name[:150],
        "actor_agency_id": actor_agency_id,
        "actor_agency_name": (getattr(actor_agency, "short_name", "") or "")[:40],
        "agency_id": _agency_id(agency),
        "object_type": object_type[:32],
        "object_ref": str(object_ref)[:128],
        "recipient": str(recipient)[:200],
        "justification": str(justification)[:300],
        "via": str(_via(request)),
        "client_address": client_address(request),
        "method": (getattr(request, "method", None) or "")[:8],
        "path": (request.get_full_path() if request is not None else "")[:300],
        "details": details or {},
    }


def record(action, **kwargs):
    """Append one record now, in the caller's transaction. Returns it."""
    return append([event(action, **kwargs)])[0]


def record_buffered(action, **kwargs):
    """Queue a consultation or export record; appended by the next flush."""
    fields = event(action, **kwargs)
    client = buffer_client()
    if client is None:
        append([fields])
        return
    try:
        client.rpush(_key(), _signed(fields))
    except Exception:  # Redis unreachable: the record is written now, not lost
        logger.warning("audit buffer unreachable; appending the record directly", exc_info=True)
        append([fields])


def _signed(fields):
    """The buffered entry with its HMAC: whoever can write to Redis cannot plant records
    that the flush would chain as genuine."""
    from django.utils.crypto import salted_hmac

    payload = json.dumps(fields, sort_keys=True)
    return salted_hmac(_SALT, payload, algorithm="sha256").hexdigest() + payload


def _verified(raw):
    """The fields of a buffered entry, or None when its HMAC does not match."""
    from django.utils.crypto import constant_time_compare, salted_hmac

    text = raw.decode() if isinstance(raw, bytes) else raw
    mac, payload = text[:64], text[64:]
    expected = salted_hmac(_SALT, payload, algorithm="sha256").hexdigest()
    if not constant_time_compare(mac, expected):
        return None
    return json.loads(payload)


_SALT = "concord.audit.buffer"


def _key(suffix=""):
    return settings.AUDIT_BUFFER_KEY + suffix


def buffer_client():
    url = getattr(settings, "AUDIT_BUFFER_URL", "")
    if not url:
        return None
    if url not in _clients:
        if url == "memory://":
            _clients[url] = ProcessBuffer()
        else:
            import redis

            _clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return _clients[url]


class ProcessBuffer:
    """``AUDIT_BUFFER_URL=memory://``: the buffer in this process only (one process that
    flushes itself, as the test suite without Redis does); the Redis calls it answers."""

    def __init__(self):
        self.lists = {}

    def rpush(self, key, value):
        self.lists.setdefault(key, []).append(value)

    def lrange(self, key, start, end):
        return list(self.lists.get(key, [])[start : end + 1])

    def ltrim(self, key, start, end):
        self.lists[key] = self.lists.get(key, [])[start:]

    def llen(self, key):
        return len(self.lists.get(key, []))

    def delete(self, key):
        self.lists.pop(key, None)

    def lock(self, name, **kwargs):
        return threading.Lock()


_clients = {}


def append(events):
    """Append ``events`` (dicts from ``event()``) to the chain, in order, atomically.

    The chain head's row lock makes concurrent appends take their turn; an event whose
    id is already in the chain (a batch flushed twice) is left out.
    """
    from coordination.audit.models import AuditChainHead, AuditRecord

    _resolve_subject_agencies(events)
    _fill_agency_names(events)
    with transaction.atomic():
        head = _locked_head()
        ids = [item["event_id"] for item in events]
        known = {
            str(value)
            for value in AuditRecord.objects.filter(event_id__in=ids).values_list(
                "event_id", flat=True
            )
        }
        records = []
        prev_hash, seq = head.entry_hash, head.seq
        for item in events:
            if item["event_id"] in known:
                continue
            known.add(item["event_id"])
            values = dict(item)
            values["at"] = _datetime(values["at"])
            values["event_id"] = uuid.UUID(values["event_id"])
            seq += 1
            values["seq"] = seq
            digest = chain.entry_hash(prev_hash, values)
            records.append(AuditRecord(**values, prev_hash=prev_hash, entry_hash=digest))
            prev_hash = digest
        if records:
            AuditRecord.objects.bulk_create(records)
            AuditChainHead.objects.filter(pk=head.pk).update(seq=seq, entry_hash=prev_hash)
    return records


def _datetime(value):
    import datetime

    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value


def _locked_head():
    from coordination.audit.models import AuditChainHead

    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=1, seq=0, entry_hash=chain.GENESIS)
        except IntegrityError:
            pass  # created meanwhile by another process
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def flush(*, limit=None):
    """Append the buffered records. Returns how many were appended.

    One flusher at a time (a Redis lock); records are removed from the buffer only after
    their batch committed, and a batch seen twice after a crash is appended once.
    """
    client = buffer_client()
    if client is None:
        return 0
    lock = client.lock(_key(":flush-lock"), timeout=120, blocking_timeout=10)
    if not lock.acquire():
        return 0
    total = 0
    try:
        while limit is None or total < limit:
            raw = client.lrange(_key(), 0, FLUSH_BATCH - 1)
            if not raw:
                break
            events = []
            for item in raw:
                try:
                    fields = _verified(item)
                except ValueError:
                    fields = None
                if fields is None:
                    logger.error("audit buffer held an unsigned or altered entry; kept aside")
                    client.rpush(_key(":refused"), item)
                    continue
                events.append(fields)
            total += len(append(coalesce(events)))
            client.ltrim(_key(), len(raw), -1)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - expired: the next flusher takes over
            logger.warning("audit flush lock expired before release")
    return total


COALESCE_SECONDS = 60


def coalesce(events):
    """One record for a reader's requests of the same object through the same channel
    within a minute (a page and the fragments it loads): the paths are listed in it."""
    import datetime

    kept, latest = [], {}
    for item in events:
        key = (
            item["action"],
            item["actor_id"],
            item["object_type"],
            item["object_ref"],
            item["via"],
            item["recipient"],
            item["justification"],
        )
        first = latest.get(key)
        at = _datetime(item["at"])
        if (
            first is not None
            and item["object_ref"]
            and at - _datetime(first["at"]) <= datetime.timedelta(seconds=COALESCE_SECONDS)
        ):
            paths = first["details"].setdefault("paths", [first["path"]])
            if item["path"] not in paths and len(paths) < 20:
                paths.append(item["path"])
            first["details"]["requests"] = first["details"].get("requests", 1) + 1
            continue
        latest[key] = item
        kept.append(item)
    return kept


def pending():
    client = buffer_client()
    return client.llen(_key()) if client is not None else 0


def _fill_agency_names(events):
    missing = {
        item["actor_agency_id"]
        for item in events
        if item.get("actor_agency_id") and not item.get("actor_agency_name")
    }
    if not missing:
        return
    from accounts.models import Agency

    names = dict(Agency.objects.filter(pk__in=missing).values_list("pk", "short_name"))
    for item in events:
        if item.get("actor_agency_id") in names and not item.get("actor_agency_name"):
            item["actor_agency_name"] = names[item["actor_agency_id"]][:40]


def _resolve_subject_agencies(events):
    """For consulted or exported objects: the owning agency and, when no one gave one,
    the justification (the reader's agency's part in the case), one query per kind."""
    from coordination.audit.subjects import participation_roles, subjects

    wanted = {}
    for item in events:
        unresolved = item.get("agency_id") is None or not item.get("justification")
        if item.get("object_type") and item.get("object_ref") and unresolved:
            wanted.setdefault(item["object_type"], set()).add(item["object_ref"])
    if not wanted:
        return
    found = subjects(wanted)
    roles = participation_roles(
        {
            (subject.incident_id, item["actor_agency_id"])
            for item in events
            if (subject := found.get((item.get("object_type"), item.get("object_ref"))))
            and subject.incident_id
            and item.get("actor_agency_id")
        }
    )
    for item in events:
        subject = found.get((item.get("object_type"), item.get("object_ref")))
        if subject is None:
            continue
        if item.get("agency_id") is None:
            item["agency_id"] = subject.owner_agency_id
        if not item.get("justification"):
            item["justification"] = justification(item, subject, roles)


def justification(item, subject, roles):
    """Why the reader could open the object: their agency's part in the case."""
    agency = item.get("actor_agency_id")
    if subject.requesting_agency_id is not None:
        if agency == subject.requesting_agency_id:
            return f"requesting agency of {item['object_ref']}"
        if agency in subject.requested_agency_ids:
            return f"requested agency of {item['object_ref']}"
    role = roles.get((subject.incident_id, agency))
    if role and subject.incident_ref:
        return f"{role} agency of {subject.incident_ref}"
    if subject.incident_ref:
        return f"named reader of {subject.incident_ref}"
    return ""

"""The audit hash chain: ``entry_hash = SHA-256(prev_hash + canonical JSON)``.

The first record chains from GENESIS; after a retention purge the chain restarts from
the last anchor (the number and hash of the last purged record), so what remains
still verifies and a record removed any other way is found.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64

HASHED_FIELDS = (
    "seq",
    "event_id",
    "at",
    "category",
    "action",
    "actor_id",
    "actor_name",
    "actor_agency_id",
    "actor_agency_name",
    "agency_id",
    "object_type",
    "object_ref",
    "recipient",
    "justification",
    "via",
    "client_address",
    "method",
    "path",
    "details",
)


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if hasattr(value, "hex") and not isinstance(value, bytes | int | float | str):
        return str(value)  # UUID
    return value


def canonical_json(values):
    document = {name: _plain(values[name]) for name in HASHED_FIELDS}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash, values):
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_json(values))
    return digest.hexdigest()


@dataclass
class Verification:
    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self):
        return not self.problem


def verify(*, batch_size=5000):
    """Recompute the whole chain from the stored rows; report the first broken link."""
    from coordination.audit.models import AuditAnchor, AuditChainHead, AuditRecord

    result = Verification()
    anchor = AuditAnchor.objects.order_by("-seq").first()
    expected_prev = anchor.entry_hash if anchor else GENESIS
    expected_seq = anchor.seq + 1 if anchor else 1
    rows = (
        AuditRecord.objects.order_by("seq")
        .values_list(*HASHED_FIELDS, "prev_hash", "entry_hash")
        .iterator(chunk_size=batch_size)
    )
    n = len(HASHED_FIELDS)
    for row in rows:
        values = dict(zip(HASHED_FIELDS, row[:n], strict=True))
        prev_hash, stored = row[n], row[n + 1]
        seq = values["seq"]
        if result.first_seq is None:
            result.first_seq = seq
        if seq != expected_seq:
            result.broken_seq = expected_seq
            result.problem = f"record {expected_seq} is missing (found {seq} next)"
            return result
        if prev_hash != expected_prev:
            result.broken_seq = seq
            result.problem = f"record {seq} does not link to the record before it"
            return result
        if entry_hash(prev_hash, values) != stored:
            result.broken_seq = seq
            result.problem = f"record {seq} was altered (its hash does not recompute)"
            return result
        result.checked += 1
        result.last_seq = seq
        expected_prev = stored
        expected_seq += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS)
    if (head_seq, head_hash) != (expected_seq - 1, expected_prev):
        result.broken_seq = expected_seq
        result.problem = (
            f"the chain ends at record {expected_seq - 1} but its head says {head_seq}: "
            "records at the end were removed"
        )
    return result

"""The custody hash chain: canonical JSON, entry hashes and verification.

``entry_hash = SHA-256(prev_hash + canonical JSON of the event's fields)``. The first
event chains from the item's own SHA-256, so a chain belongs to one item's content.
The canonical form is fixed here and nowhere else: sorted keys, no whitespace, UTF-8,
times in UTC with microseconds, agencies and users by id (names change; ids do not).
"""

import datetime
import hashlib
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# The fields an entry hash covers, in the order they are read from the database.
HASHED_FIELDS = (
    "seq",
    "action",
    "from_agency_id",
    "from_person",
    "to_agency_id",
    "to_person",
    "occurred_at",
    "location",
    "purpose",
    "channel",
    "seal_ids",
    "hash_observed",
    "hash_matches",
    "notes",
    "recorded_by_id",
    "recorded_by_name",
    "recorded_by_agency_id",
    "recorded_at",
)
# The ids a step's hash covers: those of the node that recorded it. A step copied from
# another node keeps them in ``origin_ids`` (its own columns name agencies of this node).
ID_FIELDS = ("from_agency_id", "to_agency_id", "recorded_by_id", "recorded_by_agency_id")
READ_FIELDS = (*HASHED_FIELDS, "prev_hash", "entry_hash", "origin_ids")


def _utc(value):
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(evidence_reference, values):
    """The bytes an entry hash is computed over. ``values`` maps HASHED_FIELDS to values."""
    document = {"evidence": evidence_reference}
    for name in HASHED_FIELDS:
        value = values[name]
        if isinstance(value, datetime.datetime):
            value = _utc(value)
        document[name] = value
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def entry_hash(prev_hash, evidence_reference, values):
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_json(evidence_reference, values))
    return digest.hexdigest()


def event_values(event):
    """HASHED_FIELDS of a ``CustodyEvent``, with the ids of the node that recorded it."""
    values = {name: getattr(event, name) for name in HASHED_FIELDS}
    if event.origin_ids is not None:
        values.update(hashed_ids(event.origin_ids))
    return values


def hashed_ids(origin_ids):
    """ID_FIELDS from a replicated step's ``origin_ids`` (a missing one reads as None, so
    that a removed key breaks the hash rather than the verification)."""
    if not isinstance(origin_ids, dict):
        return dict.fromkeys(ID_FIELDS)
    return {name: origin_ids.get(name) for name in ID_FIELDS}


@dataclass
class BrokenLink:
    seq: int
    what: str  # "seq", "prev_hash", "entry_hash" or "head"
    expected: str
    found: str

    def what_label(self):
        labels = {
            "seq": _("step number"),
            "prev_hash": _("link to the previous step"),
            "entry_hash": _("entry hash"),
            "head": _("end of the chain"),
        }
        return labels.get(self.what, self.what)

    def describe(self):
        return _("Step %(seq)s: %(what)s expected %(expected)s, found %(found)s.") % {
            "seq": self.seq,
            "what": self.what_label(),
            "expected": self.expected,
            "found": self.found,
        }


@dataclass
class Verification:
    """What a verification found. ``length`` and ``final_hash`` describe the whole chain
    as stored (every step, and the last step's entry hash), broken or not; ``verified_length``
    counts the steps that recompute before the first broken link."""

    reference: str
    length: int = 0
    final_hash: str = ""
    verified_length: int = 0
    broken: BrokenLink | None = None
    checked_at: datetime.datetime | None = None
    compromised: list = field(default_factory=list)  # steps whose observed hash differed

    @property
    def ok(self):
        return self.broken is None

    @property
    def broken_seq(self):
        return None if self.broken is None else self.broken.seq

    def as_dict(self):
        return {
            "evidence": self.reference,
            "ok": self.ok,
            "length": self.length,
            "final_hash": self.final_hash,
            "verified_length": self.verified_length,
            "first_broken_link": None
            if self.ok
            else {
                "seq": self.broken.seq,
                "what": self.broken.what,
                "expected": self.broken.expected,
                "found": self.broken.found,
            },
            "hash_mismatch_steps": self.compromised,
            "checked_at": self.checked_at,
        }


def verify(evidence, *, batch_size=2000):
    """Recompute ``evidence``'s chain from the stored rows; name the first broken link.

    Reads plain tuples in seq order, in batches (memory stays flat for long chains).
    Checks, for every row: its number follows the previous one's, its ``prev_hash`` is
    the previous entry hash (the item's SHA-256 for the first), and its ``entry_hash``
    recomputes (a step copied from another node with that node's ids, so a chain that
    crossed nodes verifies end to end on each); at the end, that the chain ends where the item says (length and head).
    After the first broken link the rest is still read, so that ``length`` and
    ``final_hash`` describe the whole stored chain.
    """
    from django.utils import timezone

    from incidents.models import CustodyEvent

    result = Verification(reference=evidence.reference, checked_at=timezone.now())
    expected_prev = evidence.sha256
    expected_seq = 1
    rows = (
        CustodyEvent.objects.filter(evidence_id=evidence.pk)
        .order_by("seq")
        .values_list(*READ_FIELDS)
        .iterator(chunk_size=batch_size)
    )
    n_hashed = len(HASHED_FIELDS)
    reference = evidence.chain_reference
    for row in rows:
        values = dict(zip(HASHED_FIELDS, row[:n_hashed], strict=True))
        prev_hash, stored_hash, origin_ids = row[n_hashed : n_hashed + 3]
        if origin_ids is not None:  # a step recorded on another node: its ids there
            values.update(hashed_ids(origin_ids))
        result.length += 1
        result.final_hash = stored_hash
        if result.broken is not None:
            continue
        seq = values["seq"]
        if seq != expected_seq:
            result.broken = BrokenLink(expected_seq, "seq", str(expected_seq), str(seq))
        elif prev_hash != expected_prev:
            result.broken = BrokenLink(seq, "prev_hash", expected_prev, prev_hash)
        else:
            recomputed = entry_hash(prev_hash, reference, values)
            if recomputed != stored_hash:
                result.broken = BrokenLink(seq, "entry_hash", recomputed, stored_hash)
        if result.broken is not None:
            continue
        if values["hash_matches"] is False:
            result.compromised.append(seq)
        result.verified_length = seq
        expected_prev = stored_hash
        expected_seq += 1
    if result.broken is None and (
        result.length != evidence.custody_length or result.final_hash != evidence.custody_head
    ):
        result.broken = BrokenLink(
            result.length + 1 if result.length < evidence.custody_length else result.length,
            "head",
            f"{evidence.custody_length}:{evidence.custody_head}",
            f"{result.length}:{result.final_hash}",
        )
    return result

"""The agency directory a node publishes to its peers (``directory.published``, schema 1).

Body: ``{"agencies": [{"id", "name", "short_name", "kind", "country", "is_24_7_contact",
"mailbox", "phone", "timezone", "language"}]}``, the node's active agencies, whole: an
agency missing from it is no longer listed on the receiving node.
"""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django_countries import countries

from accounts.choices import AgencyKind
from accounts.models import Agency
from accounts.timezones import validate_timezone
from coordination.federation import outbox
from coordination.federation.choices import PeerState
from coordination.federation.handlers import BodyError, handles
from coordination.federation.models import Peer

MESSAGE_TYPE = "directory.published"
STREAM = "directory"
FIELDS = (
    "name", "short_name", "kind", "country", "is_24_7_contact", "mailbox", "phone",
    "timezone", "language",
)  # fmt: skip


def snapshot():
    agencies = [
        {"id": row.pop("pk"), **row}
        for row in Agency.objects.active().order_by("pk").values("pk", *FIELDS)
    ]
    return {"agencies": agencies}


def digest(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def publish_to(peer, body=None):
    body = body if body is not None else snapshot()
    with transaction.atomic():
        outbox.enqueue(peer, MESSAGE_TYPE, STREAM, body)
        Peer.objects.filter(pk=peer.pk).update(directory_digest=digest(body))


def publish_changes():
    """Publish the directory to each active peer that has not had its current state."""
    body = snapshot()
    current = digest(body)
    peers = Peer.objects.filter(state=PeerState.ACTIVE).exclude(directory_digest=current)
    for peer in peers:
        publish_to(peer, body)
    return len(peers)


def withdraw_agencies_of(peer):
    return Agency.objects.filter(node=peer, is_active=True).update(is_active=False)


def _clean(entry):
    if not isinstance(entry, dict):
        raise BodyError("an agency is not a JSON object")
    errors = []
    remote_id = entry.get("id")
    if not isinstance(remote_id, int) or isinstance(remote_id, bool) or remote_id < 1:
        errors.append("id: a whole number from 1")
    for name, limit in (("name", 200), ("short_name", 40)):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            errors.append(f"{name}: text of 1 to {limit} characters")
    if entry.get("kind") not in AgencyKind.values:
        errors.append("kind: one of " + ", ".join(AgencyKind.values))
    if entry.get("country") not in dict(countries):
        errors.append("country: an ISO 3166-1 alpha-2 code")
    mailbox = entry.get("mailbox") or ""
    try:
        if mailbox:
            validate_email(mailbox)
        validate_timezone(entry.get("timezone") or "UTC")
    except ValidationError as exc:
        errors.append("; ".join(exc.messages))
    if errors:
        raise BodyError(f"agency {remote_id}: " + "; ".join(errors))
    return {
        "name": entry["name"].strip(),
        "short_name": entry["short_name"].strip(),
        "kind": entry["kind"],
        "country": entry["country"],
        "is_24_7_contact": bool(entry.get("is_24_7_contact")),
        "mailbox": mailbox,
        "phone": str(entry.get("phone") or "")[:40],
        "timezone": entry.get("timezone") or "UTC",
        "language": str(entry.get("language") or "en")[:8],
    }


@handles(MESSAGE_TYPE, schema_version=1)
def apply_directory(peer, body, message):
    entries = body.get("agencies")
    if not isinstance(entries, list):
        raise BodyError("agencies: a list")
    listed = []
    for entry in entries:
        fields = _clean(entry)
        agency = Agency.objects.filter(node=peer, remote_id=entry["id"]).first()
        if agency is None:
            agency = Agency(node=peer, remote_id=entry["id"])
        for name, value in fields.items():
            setattr(agency, name, value)
        agency.is_active = True
        agency.save()
        listed.append(agency.pk)
    Agency.objects.filter(node=peer, is_active=True).exclude(pk__in=listed).update(is_active=False)

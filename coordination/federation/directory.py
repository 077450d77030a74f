"""The agency directory a node publishes to its peers (``directory.published``, schema 1).

Body: ``{"agencies": [{"id", "name", "short_name", "kind", "country", "is_24_7_contact",
"mailbox", "phone", "timezone", "language", "people"}]}``, the node's active agencies,
whole: an agency missing from it is no longer listed on the receiving node.

``people`` (optional in schema 1) lists the agency's active people as ``{"username",
"name"}``: what a TLP:RED item needs to name them on another node, and nothing more (no
address, no role). The receiving node keeps each as an inactive row that signs in nowhere
(``User.listed_by_node``); one missing from the list can no longer be named there.
"""

import hashlib
import json

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django_countries import countries

from accounts.choices import AgencyKind
from accounts.models import Agency, User
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
    people = {}
    for agency_id, username, first, last in (
        User.objects.filter(is_active=True, agency__node__isnull=True, agency__is_active=True)
        .order_by("agency_id", "username")
        .values_list("agency_id", "username", "first_name", "last_name")
    ):
        name = f"{first} {last}".strip() or username
        people.setdefault(agency_id, []).append({"username": username, "name": name})
    agencies = [
        {
            "id": row["pk"],
            **{name: row[name] for name in FIELDS},
            "people": people.get(row["pk"], []),
        }
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
    User.objects.filter(agency__node=peer, listed_by_node=True).update(listed_by_node=False)
    return Agency.objects.filter(node=peer, is_active=True).update(is_active=False)


def person_username(peer, username):
    """The row here of a person of ``peer``: ``<node>:<username there>``, a name no person of
    this node can have (a colon is not allowed in a username)."""
    return f"{peer.name}:{username}"


def username_there(user):
    """The username on its own node of a person named here."""
    if user.agency_id and user.agency.node_id:
        return user.username.removeprefix(f"{user.agency.node.name}:")
    return user.username


def _clean_people(peer, entry, remote_id):
    people = entry.get("people", [])
    if not isinstance(people, list):
        raise BodyError(f"agency {remote_id}: people: a list")
    cleaned = {}
    for person in people:
        username = person.get("username") if isinstance(person, dict) else None
        name = person.get("name") if isinstance(person, dict) else None
        try:
            # The row's username here is "<node>:<username>", at most 150 characters.
            limit = 149 - len(peer.name)
            if not isinstance(username, str) or not 1 <= len(username) <= limit:
                raise ValidationError(f"a username of 1 to {limit} characters")
            UnicodeUsernameValidator()(username)
        except ValidationError as exc:
            raise BodyError(
                f"agency {remote_id}: people: {username!r}: " + "; ".join(exc.messages)
            ) from exc
        if not isinstance(name, str) or not name.strip() or len(name) > 150:
            raise BodyError(f"agency {remote_id}: people: {username}: name of 1 to 150 characters")
        cleaned[username] = name.strip()
    return cleaned


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
    listed, people = [], {}
    for entry in entries:
        fields = _clean(entry)
        listed_people = _clean_people(peer, entry, entry["id"])
        agency = Agency.objects.filter(node=peer, remote_id=entry["id"]).first()
        if agency is None:
            agency = Agency(node=peer, remote_id=entry["id"])
        for name, value in fields.items():
            setattr(agency, name, value)
        agency.is_active = True
        agency.save()
        listed.append(agency.pk)
        for username, name in listed_people.items():
            people[person_username(peer, username)] = (agency, name)
    Agency.objects.filter(node=peer, is_active=True).exclude(pk__in=listed).update(is_active=False)
    _apply_people(peer, people)


def _apply_people(peer, people):
    """Create, update or unlist the rows of the peer's people (``{username here: (agency,
    name)}``). Written in bulk: such a row has no password, group or token to keep."""
    known = {user.username: user for user in User.objects.filter(username__in=people)}
    changed, created = [], []
    for username, (agency, name) in people.items():
        user = known.get(username)
        if user is None:
            user = User(username=username, is_active=False, listed_by_node=True)
            user.set_unusable_password()
            user.agency, user.first_name = agency, name
            created.append(user)
        elif (user.agency_id, user.first_name, user.listed_by_node) != (agency.pk, name, True):
            user.agency, user.first_name, user.listed_by_node = agency, name, True
            changed.append(user)
    User.objects.bulk_create(created)
    User.objects.bulk_update(changed, ["agency", "first_name", "listed_by_node"])
    unlisted = User.objects.filter(agency__node=peer, listed_by_node=True)
    unlisted.exclude(username__in=people).update(listed_by_node=False)

"""What each message type does on the receiving node: ``type -> (newest schema, apply)``.

``apply(peer, body, message)`` runs inside the transaction that marks the message applied.
A body it cannot use raises ``BodyError``: the message is kept, marked failed, and the
stream waits (the admin sees it on the peers page). A message its sender had no authority to
send raises ``Refused``.
"""

from django.utils.dateparse import parse_datetime

HANDLERS = {}


class BodyError(Exception):
    pass


class Refused(Exception):
    """The sender had no authority for this message, or it breaks a TLP rule: nothing is
    written, the refusal is audited (``MESSAGE_REFUSED``) and the stream moves on."""


def handles(message_type, schema_version=1):
    def register(function):
        HANDLERS[message_type] = (schema_version, function)
        return function

    return register


def handler_of(message_type):
    # The modules that register handlers are imported on first use.
    from coordination.assistance import federated  # noqa: F401
    from coordination.federation import custody, directory, keys, replicas  # noqa: F401

    return HANDLERS.get(message_type)


# Reading a body's fields (each raises BodyError naming the field) ------------------------


def body_text(body, name, limit, *, required=False):
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise BodyError(f"{name}: text of {'1' if required else '0'} to {limit} characters")
    return value


def body_choice(body, name, choices):
    value = body.get(name)
    if value not in choices.values:
        raise BodyError(f"{name}: one of " + ", ".join(choices.values))
    return value


def body_moment(body, name, *, required=False):
    value = body.get(name)
    if value is None and not required:
        return None
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        raise BodyError(f"{name}: an ISO 8601 time with its offset")
    return moment

"""What each message type does on the receiving node: ``type -> (newest schema, apply)``.

``apply(peer, body, message)`` runs inside the transaction that marks the message applied.
A body it cannot use raises ``BodyError``: the message is kept, marked failed, and the
stream waits (the admin sees it on the peers page). A message its sender had no authority to
send raises ``Refused``.
"""

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

"""The files of timeline entries written on another node.

An ``incident.entry`` message lists its attachments (name, type, size, SHA-256), never their
bytes. The receiving node records each as a replica whose file has not arrived, then fetches
it from the node that sent the entry:

``GET {sender}/federation/files/?node=N&id=I`` with ``Authorization: Concord <JWS>``, a
request signed by the asking node for ``{"file": {"node": N, "id": I}}``. The sender answers
the file (``application/octet-stream``) if the entry may go to the asking node (the same TLP
rule as the entry itself), 404 while it does not hold the file yet (a relay that is still
fetching it), 403 otherwise. The receiver stores it like any evidence file, refusing it
unless its SHA-256 and size are those announced. The beat sweep asks again for what has not
arrived, so a file comes when its node is back.

A replica's file counts against no agency's storage quota here: it was counted on the node
where it was uploaded, within the same per-entry limit.
"""

import logging
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction

from coordination.federation import gaps, replication, transport
from coordination.federation.choices import PeerState
from coordination.federation.handlers import BodyError
from coordination.federation.models import Peer
from coordination.federation.protocol import ProtocolError
from incidents.choices import TLP
from incidents.evidence import storage
from incidents.models import EntryAttachment

logger = logging.getLogger(__name__)

HEX = frozenset("0123456789abcdef")
SWEEP_BATCH = 50


# Receiving an entry's list ------------------------------------------------------------


def _attachment_fields(item):
    if not isinstance(item, dict):
        raise BodyError("attachments: a list of objects")
    reference = item.get("attachment")
    if not isinstance(reference, dict) or not isinstance(reference.get("id"), int):
        raise BodyError("attachments: each names its attachment {node, id}")
    name, content_type = item.get("file_name"), item.get("content_type") or ""
    sha256, size = item.get("sha256"), item.get("size")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise BodyError("attachments: file_name, 1 to 255 characters")
    if not isinstance(content_type, str) or len(content_type) > 100:
        raise BodyError("attachments: content_type, at most 100 characters")
    if not isinstance(sha256, str) or len(sha256) != 64 or not set(sha256) <= HEX:
        raise BodyError("attachments: sha256, 64 lowercase hexadecimal digits")
    if not isinstance(size, int) or size < 0:
        raise BodyError("attachments: size, a whole number of bytes")
    return reference, {
        "file_name": name,
        "content_type": content_type,
        "sha256": sha256,
        "size": size,
    }


def record_pending(entry, items, uploaded_by, agency):
    """The attachments of a replicated entry, each waiting for its file (fetched after the
    transaction commits)."""
    from django.conf import settings

    if items in (None, []):
        return []
    if not isinstance(items, list):
        raise BodyError("attachments: a list of objects")
    parsed = [_attachment_fields(item) for item in items]
    if sum(fields["size"] for _ref, fields in parsed) > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        raise BodyError("attachments: more than one entry may carry")
    created = []
    for reference, fields in parsed:
        if replication.find(EntryAttachment, reference) is not None:
            continue
        created.append(
            EntryAttachment.objects.create(
                entry=entry,
                origin_node=reference.get("node") or "",
                origin_id=reference["id"],
                file_path="",
                uploaded_by=uploaded_by,
                uploaded_by_agency=agency,
                **fields,
            )
        )
    if created:
        from coordination.federation.tasks import fetch_attachment

        for attachment in created:
            transaction.on_commit(lambda pk=attachment.pk: fetch_attachment.delay(pk))
    return created


# Fetching -------------------------------------------------------------------------------


def source_peer(attachment):
    """The node a replica's file comes from: the lead's node for a replica of a case, the
    node where it was written for a case led here."""
    incident = attachment.entry.incident
    name = incident.origin_node or attachment.origin_node
    return Peer.objects.filter(name=name, state=PeerState.ACTIVE).first()


class _Body:
    """The response as ``storage.store`` reads an upload: chunks by ``read``, no seek."""

    def __init__(self, response):
        self.response = response

    def read(self, size=-1):
        return self.response.read(size)


def fetch(attachment_id):
    """Fetch a replica's file from its node; True once it is here."""
    attachment = (
        EntryAttachment.objects.select_related("entry__incident")
        .filter(pk=attachment_id, file_path="")
        .exclude(origin_node="")
        .first()
    )
    if attachment is None:
        return True  # arrived already, or not a replica
    peer = source_peer(attachment)
    if peer is None:
        return False
    reference = replication.ref(attachment)
    url = f"{peer.base_url}/federation/files/?{urlencode(reference)}"
    try:
        with transport.stream(url, gaps.signed_request(peer, {"file": reference})) as response:
            stored = storage.store(_Body(response), expected_sha256=attachment.sha256)
    except transport.TransportError as exc:
        logger.info("federation: file %s from %s not fetched: %s", reference, peer, exc)
        return False
    except ValidationError as exc:
        logger.warning("federation: file %s from %s refused: %s", reference, peer, exc)
        return False
    if stored.size != attachment.size:
        stored.discard()
        logger.warning("federation: file %s from %s has another size", reference, peer)
        return False
    if not EntryAttachment.objects.filter(pk=attachment.pk, file_path="").update(
        file_path=stored.path
    ):
        stored.discard()  # another fetch stored it first
    return True


def pending_ids(limit=SWEEP_BATCH):
    """Replicas whose file has not arrived (the partial index ``attachment_pending_idx``)."""
    return list(
        EntryAttachment.objects.filter(file_path="")
        .exclude(origin_node="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# Serving ----------------------------------------------------------------------------------


class NotHereYet(Exception):
    """The file is a replica here that has not arrived: the asking node tries again later."""


def serve(authorization, reference):
    """The attachment the signing peer asks for, if the entry may go to its node."""
    peer = gaps.verify_request(authorization, {"file": reference})
    attachment = replication.find(EntryAttachment, reference)
    if attachment is None:
        raise ProtocolError(404, {"file": "no such file on this node"}, peer=peer)
    if attachment.is_pending:
        raise NotHereYet
    entry = attachment.entry
    audience = ()
    if entry.tlp == TLP.RED:
        audience = replication.audience_by_node(entry.audience.select_related("agency__node"))
    allowed = replication.destinations(entry.incident, entry.origin_node, entry.tlp, audience)
    if peer not in allowed:
        raise ProtocolError(403, {"file": "its entry is not shared with your node"}, peer=peer)
    return attachment

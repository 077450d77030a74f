# ruff: noqa: F811 (the fixtures of test_shared_incidents, imported, are arguments here)
"""The files of timeline entries across nodes: the entry lists them, the receiving node
fetches each from the node that sent it, signed, and keeps it only if its hash is the one
announced; the sending node gives a file only to a node its entry may go to."""

import hashlib
import io
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination.federation import files, gaps, transport
from coordination.federation.choices import InboxStatus
from coordination.federation.models import InboxMessage
from incidents import actions
from incidents.choices import TLP, ParticipationRole
from incidents.models import EntryAttachment, TimelineEntry
from tests.factories import make_incident
from tests.federation.test_shared_incidents import (  # noqa: F401 (fixtures)
    DE_CASE,
    STREAM,
    entry_from,
    replica,
    sent,
)

pytestmark = [pytest.mark.federation, pytest.mark.django_db]

NOTE = b"YOUR FILES ARE ENCRYPTED. Write to leak.example.\n"
NOTE_HASH = hashlib.sha256(NOTE).hexdigest()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(content=NOTE, name="ransom-note.txt"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def announced(attachment_id=501, content=NOTE, **fields):
    return {
        "attachment": {"node": "de-node", "id": attachment_id},
        "file_name": "ransom-note.txt",
        "content_type": "text/plain",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        **fields,
    }


@pytest.fixture
def pending(replica, remote, post_message):
    body = entry_from("de-node", 930, DE_CASE, attachments=[announced()])
    post_message(remote.message(2, type="incident.entry", stream=STREAM, body=body))
    return EntryAttachment.objects.get(origin_node="de-node", origin_id=501)


@contextmanager
def answering(content):
    """The sending node's answer to a file fetch (the HTTP exchange, not the database)."""
    yield io.BytesIO(content)


def test_an_entry_with_files_lists_them_for_the_other_nodes(investigator, bka, remote):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])

    entry = actions.add_timeline_entry(incident, investigator, "The note", attachments=[upload()])

    (message,) = [m for m in sent(remote.peer, "incident.entry") if m.body["body"] == "The note"]
    (item,) = message.body["attachments"]
    assert item == {
        "attachment": {"node": "fr-node", "id": entry.attachments.get().pk},
        "file_name": "ransom-note.txt",
        "content_type": "text/plain",
        "size": len(NOTE),
        "sha256": NOTE_HASH,
    }


def test_a_received_entrys_files_wait_for_their_bytes_and_say_so(pending, investigator, client):
    assert pending.is_pending and pending.sha256 == NOTE_HASH
    assert pending.entry.origin_id == 930
    client.force_login(investigator)
    page = client.get(f"/incidents/{pending.entry.incident.reference}/").content.decode()
    assert "the file is on its way from the node de-node" in page
    download = client.get(reverse("incidents:attachment", args=[pending.pk]))
    assert download.status_code == 404


def test_a_fetched_file_is_kept_when_its_hash_is_the_one_announced(pending, monkeypatch):
    asked = []

    def serve(url, headers):
        asked.append((url, headers))
        return answering(NOTE)

    monkeypatch.setattr(transport, "stream", serve)

    assert files.fetch(pending.pk) is True

    pending.refresh_from_db()
    assert not pending.is_pending
    assert pending.file_path.endswith(NOTE_HASH)
    ((url, headers),) = asked
    assert url == "http://de.node.test/federation/files/?node=de-node&id=501"
    assert headers["Authorization"].startswith("Concord ")


def test_a_fetched_file_with_another_hash_is_not_kept(pending, monkeypatch):
    monkeypatch.setattr(transport, "stream", lambda url, headers: answering(b"tampered bytes"))

    assert files.fetch(pending.pk) is False

    pending.refresh_from_db()
    assert pending.is_pending
    assert files.pending_ids() == [pending.pk]


def test_a_file_list_that_is_not_well_formed_keeps_the_entry_out(replica, remote, post_message):
    body = entry_from("de-node", 931, DE_CASE, attachments=[announced(sha256="not-a-hash")])

    post_message(remote.message(2, type="incident.entry", stream=STREAM, body=body))

    assert InboxMessage.objects.get(seq=2).status == InboxStatus.FAILED
    assert not TimelineEntry.objects.filter(origin_id=931).exists()


# Serving ----------------------------------------------------------------------------------


@pytest.fixture
def shared_file(investigator, bka):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    entry = actions.add_timeline_entry(incident, investigator, "Note", attachments=[upload()])
    return entry.attachments.get()


def fetch_as(client, remote, attachment, *, key=None, reference=None):
    """The remote node asks this node for ``attachment``, signing with ``key``."""
    reference = reference or {"node": "fr-node", "id": attachment.pk}
    token = remote.sign(
        {
            "id": "7d7b3f0e-0000-4000-8000-000000000001",
            "sender": remote.name,
            "recipient": "fr-node",
            "file": reference,
            "sent_at": gaps.protocol.now_iso(),
        },
        key=key,
        typ=gaps.protocol.REQUEST_TYP,
    )
    return client.get(
        f"/federation/files/?node={reference['node']}&id={reference['id']}",
        HTTP_AUTHORIZATION=f"Concord {token}",
    )


def test_a_node_the_entry_went_to_gets_its_file(client, remote, shared_file):
    response = fetch_as(client, remote, shared_file)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == NOTE
    assert response["X-Concord-SHA256"] == NOTE_HASH


def test_a_file_is_refused_without_a_peers_signature(client, remote, shared_file):
    from joserfc.jwk import OKPKey

    stranger = OKPKey.generate_key("Ed25519", private=True)

    assert client.get(f"/federation/files/?node=fr-node&id={shared_file.pk}").status_code == 403
    assert fetch_as(client, remote, shared_file, key=stranger).status_code == 403


def test_the_file_of_an_entry_that_stays_on_this_node_is_refused(client, remote, investigator, bka):
    incident = make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])
    entry = actions.add_timeline_entry(
        incident, investigator, "Source", tlp=TLP.AMBER_STRICT, attachments=[upload()]
    )

    response = fetch_as(client, remote, entry.attachments.get())

    assert response.status_code == 403
    assert b"YOUR FILES" not in response.content


def test_the_file_of_a_case_not_shared_with_the_node_is_refused(client, remote, investigator):
    incident = make_incident(investigator)
    entry = actions.add_timeline_entry(incident, investigator, "Local", attachments=[upload()])

    assert fetch_as(client, remote, entry.attachments.get()).status_code == 403


def test_a_relay_answers_not_yet_until_it_holds_the_file(client, remote, pending):
    reference = {"node": "de-node", "id": 501}

    response = fetch_as(client, remote, pending, reference=reference)

    assert response.status_code == 404
    assert "ask again" in response.content.decode()

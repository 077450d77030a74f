"""Evidence files: hashed while streamed, stored by content hash, nothing half-stored."""

import hashlib
import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from incidents.evidence import actions, storage
from incidents.evidence.choices import CustodyAction
from incidents.models import Evidence
from tests.evidence.conftest import CONTENT, CONTENT_SHA256, upload_of

pytestmark = pytest.mark.django_db


def stored_files(root):
    objects = root / storage.OBJECTS
    return sorted(p for p in objects.rglob("*") if p.is_file()) if objects.exists() else []


def leftover_parts(root):
    incoming = root / storage.INCOMING
    return list(incoming.iterdir()) if incoming.exists() else []


def test_upload_is_stored_under_its_content_hash(incident, lead_user, make_evidence, _media_root):
    item = make_evidence(incident, lead_user, upload=upload_of(), sha256="", size=None)
    assert item.sha256 == CONTENT_SHA256
    assert item.size == len(CONTENT) and item.file_name == "fs02.dd"
    assert (
        item.file_path
        == f"evidence/objects/{CONTENT_SHA256[:2]}/{CONTENT_SHA256[2:4]}/{CONTENT_SHA256}"
    )
    assert (_media_root / item.file_path).read_bytes() == CONTENT
    assert not leftover_parts(_media_root)


def test_typed_hash_that_matches_the_file_is_accepted(incident, lead_user, make_evidence):
    item = make_evidence(incident, lead_user, upload=upload_of(), sha256=CONTENT_SHA256.upper())
    assert item.has_file


def test_mismatching_typed_hash_is_refused_and_nothing_is_stored(
    incident, lead_user, make_evidence, _media_root
):
    with pytest.raises(ValidationError) as exc:
        make_evidence(incident, lead_user, upload=upload_of(), sha256="a" * 64)
    assert CONTENT_SHA256 in exc.value.message_dict["file"][0]
    assert not Evidence.objects.exists()
    assert stored_files(_media_root) == [] and not leftover_parts(_media_root)


def test_file_is_removed_when_the_database_write_fails(
    incident, lead_user, make_evidence, _media_root, monkeypatch
):
    def fail(*args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(actions.events, "evidence_logged", fail)
    with pytest.raises(IntegrityError):
        make_evidence(incident, lead_user, upload=upload_of())
    assert not Evidence.objects.exists()
    assert stored_files(_media_root) == []


def test_same_content_twice_is_stored_once(incident, lead_user, make_evidence, _media_root):
    first = make_evidence(incident, lead_user, upload=upload_of())
    second = make_evidence(incident, lead_user, upload=upload_of(name="copy.dd"))
    assert first.file_path == second.file_path
    assert len(stored_files(_media_root)) == 1


def test_hashing_handler_hashes_chunks_as_they_arrive(_media_root, rf):
    handler = storage.HashingUploadHandler(rf.post("/"))
    handler.new_file("file", "big.bin", "application/octet-stream", None)
    chunks = [os.urandom(1024) for _ in range(10)]
    for i, chunk in enumerate(chunks):
        assert handler.receive_data_chunk(chunk, i * 1024) is None
    uploaded = handler.file_complete(10 * 1024)
    assert uploaded.sha256 == hashlib.sha256(b"".join(chunks)).hexdigest()
    stored = storage.store(uploaded)
    assert (_media_root / stored.path).read_bytes() == b"".join(chunks)
    uploaded.close()  # closing after the move deletes nothing stored
    assert (_media_root / stored.path).exists() and not leftover_parts(_media_root)


def test_interrupted_upload_leaves_no_part_file(_media_root, rf):
    handler = storage.HashingUploadHandler(rf.post("/"))
    handler.new_file("file", "big.bin", "application/octet-stream", None)
    handler.receive_data_chunk(b"x" * 100, 0)
    handler.upload_interrupted()
    assert not leftover_parts(_media_root)


def test_unclaimed_upload_is_deleted_when_closed(_media_root, rf):
    handler = storage.HashingUploadHandler(rf.post("/"))
    handler.new_file("file", "big.bin", "application/octet-stream", None)
    handler.receive_data_chunk(b"abc", 0)
    uploaded = handler.file_complete(3)
    uploaded.close()  # Django closes request files at the end of the response
    assert not leftover_parts(_media_root)


def test_stream_without_the_handler_is_spooled_in_chunks(_media_root):
    stored = storage.store(io.BytesIO(CONTENT))
    assert stored.sha256 == CONTENT_SHA256 and stored.size == len(CONTENT)


def test_file_attached_later_must_match_the_item_hash(evidence, lead_user, _media_root):
    with pytest.raises(ValidationError):
        actions.attach_file(evidence, lead_user, upload_of(b"something else"))
    assert stored_files(_media_root) == []
    actions.attach_file(evidence, lead_user, upload_of())
    evidence.refresh_from_db()
    assert evidence.has_file and evidence.size == len(CONTENT)
    with pytest.raises(ValidationError):
        actions.attach_file(evidence, lead_user, upload_of())


def test_download_is_logged_as_an_accessed_step(incident, lead_user, invited_user, make_evidence):
    item = make_evidence(incident, lead_user, upload=upload_of())
    event = actions.record_access(item, invited_user)
    assert event.action == CustodyAction.ACCESSED and event.seq == 2
    assert event.to_agency_id == invited_user.agency_id
    assert item.custody_length == 2


def test_no_download_after_disposal(incident, lead_user, make_evidence):
    from incidents.exceptions import TransitionNotAllowed

    item = make_evidence(incident, lead_user, upload=upload_of())
    actions.record_custody_event(item, lead_user, CustodyAction.DISPOSED, purpose="Court order")
    with pytest.raises(TransitionNotAllowed):
        actions.record_access(item, lead_user)
    assert item.custody.count() == 2


def test_download_of_an_item_without_file_is_refused(evidence, lead_user):
    with pytest.raises(ValidationError):
        actions.record_access(evidence, lead_user)

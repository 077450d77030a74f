"""prune_evidence_files: files nobody refers to go, referenced and young files stay."""

import io
import os
import time

import pytest
from django.core.management import call_command
from django.db import transaction

from incidents.evidence import storage
from tests.evidence.conftest import upload_of

pytestmark = pytest.mark.django_db


def _age(path, hours):
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


def _prune(*args):
    out = io.StringIO()
    call_command("prune_evidence_files", *args, stdout=out)
    return out.getvalue()


def test_file_left_by_a_rolled_back_transaction_is_pruned_and_kept_files_stay(
    incident, lead_user, make_evidence
):
    kept = make_evidence(incident, lead_user, upload=upload_of(b"kept image"), sha256="")
    with pytest.raises(RuntimeError), transaction.atomic():
        make_evidence(incident, lead_user, upload=upload_of(b"rolled back"), sha256="")
        raise RuntimeError("the enclosing work failed")
    objects = [p for p in (storage.media_root() / storage.OBJECTS).rglob("*") if p.is_file()]
    assert len(objects) == 2
    orphan = next(p for p in objects if p.name != kept.sha256)
    stale_part = storage.media_root() / storage.INCOMING / "crashed.part"
    stale_part.write_bytes(b"half an upload")
    for path in [*objects, stale_part]:
        _age(path, 48)

    listed = _prune("--dry-run")
    assert orphan.exists() and "would delete" in listed and "2 unreferenced" in listed

    report = _prune()
    assert not orphan.exists() and not stale_part.exists()
    assert storage.absolute(kept.file_path).exists()
    assert "2 unreferenced file(s)" in report


def test_young_unreferenced_files_are_left_for_uploads_in_flight(incident, lead_user):
    part = storage.media_root() / storage.INCOMING / "uploading.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"still arriving")
    assert "0 unreferenced" in _prune()
    assert part.exists()

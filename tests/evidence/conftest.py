"""Evidence fixtures: a private MEDIA_ROOT per test, items logged through the real action."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from incidents.evidence import actions
from incidents.evidence.choices import EvidenceKind

CONTENT = b"disk image of the encrypted file server\n" * 100
CONTENT_SHA256 = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def evidence_fields(**overrides):
    fields = {
        "title": "Image of file server FS-02",
        "description": "Full disk image, write-blocked.",
        "kind": EvidenceKind.DISK_IMAGE,
        "sha256": CONTENT_SHA256,
        "size": len(CONTENT),
        "acquired_at": timezone.now() - timezone.timedelta(hours=2),
        "acquired_by_name": "KHK Weber",
        "acquired_where": "Hospital data centre, Mainz",
        "acquisition_method": "dd via hardware write blocker",
        "seal_number": "",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_evidence():
    def _make(incident, by, *, upload=None, **overrides):
        return actions.create_evidence(incident, by, upload=upload, **evidence_fields(**overrides))

    return _make


@pytest.fixture
def evidence(incident, lead_user, make_evidence):
    return make_evidence(incident, lead_user)


def upload_of(content=CONTENT, name="fs02.dd"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def tamper():
    """``tamper(sql, params)`` runs raw SQL on the custody table, trigger disabled on PG."""

    def _run(sql, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Inside the test's transaction: rolled back with it. Deferred foreign-key
                # checks must fire first (ALTER TABLE refuses pending trigger events).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "ALTER TABLE incidents_custodyevent DISABLE TRIGGER custodyevent_append_only"
                )
            cursor.execute(sql, params)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE incidents_custodyevent ENABLE TRIGGER custodyevent_append_only"
                )
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    return _run

"""Issue #13, finding 11: evidence uploads have a size limit and a per-agency quota.

The attack: a 1 GiB upload was accepted, and nothing stopped an agency's uploads from
filling the shared file store. Now a request whose declared size is too large is refused
before its body is read, an upload that passes the limit while streaming is cut off and
its part file deleted, and the agency's stored bytes are capped. Errors are a form error
beside the file field (page) or a 413/400 with a field message (API).
"""

import hashlib
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import StopUpload
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from incidents.evidence import actions, storage
from incidents.models import Evidence
from tests.evidence.conftest import evidence_fields, upload_of
from tests.infra.test_settings import manage

pytestmark = pytest.mark.django_db

GIB = 1024**3


@pytest.fixture
def limits(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 64 * 1024
    settings.EVIDENCE_AGENCY_QUOTA_BYTES = 256 * 1024
    return settings


def nothing_left(media_root):
    """No stored object and no part file on disk."""
    return not [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else True


def page_fields(content, name="dump.bin"):
    fields = evidence_fields(sha256="", size="")
    fields["acquired_at"] = fields["acquired_at"].strftime("%Y-%m-%dT%H:%M")
    fields["file"] = upload_of(content, name)
    return fields


def api_fields(incident, content):
    fields = evidence_fields(sha256="")
    fields.pop("size")
    fields["acquired_at"] = fields["acquired_at"].isoformat()
    return {**fields, "incident": incident.reference, "file": upload_of(content)}


def declaring(size):
    """Headers of a request that says its body is ``size`` bytes: reading it would fail
    (the test client holds far fewer bytes), so an answer proves the body was not read."""
    return {"CONTENT_LENGTH": str(size)}


# Refused before the body is read ----------------------------------------------------


def test_page_refuses_a_1_gib_upload_before_reading_it(login, lead_user, incident, _media_root):
    body = encode_multipart(BOUNDARY, page_fields(b"x" * 10))
    response = login(lead_user).generic(
        "POST",
        f"/incidents/{incident.reference}/evidence/new/",
        body,
        content_type=MULTIPART_CONTENT,
        **declaring(GIB),
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert 'id="id_file_error"' in html and "512" in html and "SHA-256" in html
    assert not Evidence.objects.exists() and nothing_left(_media_root)


def test_api_refuses_a_1_gib_upload_before_reading_it(api_login, lead_user, incident, _media_root):
    body = encode_multipart(BOUNDARY, api_fields(incident, b"x" * 10))
    response = api_login(lead_user).generic(
        "POST", "/api/v1/evidence/", body, content_type=MULTIPART_CONTENT, **declaring(GIB)
    )
    assert response.status_code == 413
    assert "512" in response.json()["file"][0]
    assert not Evidence.objects.exists() and nothing_left(_media_root)


def test_api_refuses_a_file_attached_later_that_is_too_large(
    api_login, lead_user, evidence, _media_root
):
    body = encode_multipart(BOUNDARY, {"file": upload_of(b"x" * 10)})
    response = api_login(lead_user).generic(
        "PUT",
        f"/api/v1/evidence/{evidence.reference}/file/",
        body,
        content_type=MULTIPART_CONTENT,
        **declaring(GIB),
    )
    assert response.status_code == 413 and "file" in response.json()
    evidence.refresh_from_db()
    assert not evidence.has_file


def test_declared_size_over_the_agency_quota_is_refused_before_reading(
    settings, login, lead_user, incident, _media_root
):
    settings.EVIDENCE_AGENCY_QUOTA_BYTES = 100 * 1024**2
    body = encode_multipart(BOUNDARY, page_fields(b"x" * 10))
    response = login(lead_user).generic(
        "POST",
        f"/incidents/{incident.reference}/evidence/new/",
        body,
        content_type=MULTIPART_CONTENT,
        **declaring(200 * 1024**2),
    )
    assert response.status_code == 413
    assert "storage is full" in response.content.decode()
    assert not Evidence.objects.exists()


def test_outsider_hears_404_not_the_size_refusal(login, outsider, incident):
    body = encode_multipart(BOUNDARY, page_fields(b"x" * 10))
    response = login(outsider).generic(
        "POST",
        f"/incidents/{incident.reference}/evidence/new/",
        body,
        content_type=MULTIPART_CONTENT,
        **declaring(GIB),
    )
    assert response.status_code == 404


# Cut off while streaming ------------------------------------------------------------


def test_handler_stops_at_the_chunk_that_passes_the_limit_and_deletes_the_part(
    limits, rf, _media_root
):
    request = rf.post("/")
    handler = storage.HashingUploadHandler(request)
    handler.new_file("file", "big.bin", "application/octet-stream", None)
    handler.receive_data_chunk(b"x" * 60 * 1024, 0)
    with pytest.raises(StopUpload) as stop:
        handler.receive_data_chunk(b"x" * 8 * 1024, 60 * 1024)
    assert stop.value.connection_reset  # the rest of the body is not read
    assert "larger than 64" in storage.refusal(request)
    assert nothing_left(_media_root)


def test_page_upload_passing_the_limit_is_refused_beside_the_field(
    limits, login, lead_user, incident, _media_root
):
    response = login(lead_user).post(
        f"/incidents/{incident.reference}/evidence/new/", page_fields(os.urandom(100 * 1024))
    )
    assert response.status_code == 413
    assert 'id="id_file_error"' in response.content.decode()
    assert not Evidence.objects.exists() and nothing_left(_media_root)


def test_api_upload_passing_the_limit_is_413_and_leaves_nothing(
    limits, api_login, lead_user, incident, _media_root
):
    response = api_login(lead_user).post(
        "/api/v1/evidence/", api_fields(incident, os.urandom(100 * 1024)), format="multipart"
    )
    assert response.status_code == 413
    assert "larger than 64" in response.json()["file"][0]
    assert not Evidence.objects.exists() and nothing_left(_media_root)


def test_a_file_within_the_limit_is_still_stored(limits, api_login, lead_user, incident):
    content = os.urandom(60 * 1024)
    response = api_login(lead_user).post(
        "/api/v1/evidence/", api_fields(incident, content), format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()


# The agency's quota ----------------------------------------------------------------


def test_agency_quota_counts_its_stored_files(limits, login, lead_user, incident, _media_root):
    client = login(lead_user)
    for _ in range(4):  # 4 x 60 KiB of the 256 KiB quota
        response = client.post(
            f"/incidents/{incident.reference}/evidence/new/", page_fields(os.urandom(60 * 1024))
        )
        assert response.status_code == 302
    assert actions.agency_storage_used(lead_user.agency_id) == 4 * 60 * 1024
    response = client.post(
        f"/incidents/{incident.reference}/evidence/new/", page_fields(os.urandom(60 * 1024))
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_file_error"' in html and "storage is full" in html
    assert Evidence.objects.count() == 4
    assert not list((_media_root / storage.INCOMING).iterdir())


def test_quota_is_per_agency(limits, lead_user, invited_user, incident):
    for _ in range(4):
        actions.create_evidence(
            incident,
            lead_user,
            upload=upload_of(os.urandom(60 * 1024)),
            **evidence_fields(sha256=""),
        )
    with pytest.raises(ValidationError) as refused:
        actions.create_evidence(
            incident,
            lead_user,
            upload=upload_of(os.urandom(60 * 1024)),
            **evidence_fields(sha256=""),
        )
    assert "storage is full" in refused.value.message_dict["file"][0]
    item = actions.create_evidence(
        incident,
        invited_user,
        upload=upload_of(os.urandom(60 * 1024)),
        **evidence_fields(sha256=""),
    )
    assert item.has_file


def test_items_logged_by_hash_alone_do_not_count(limits, lead_user, incident):
    actions.create_evidence(incident, lead_user, **evidence_fields(size=10 * GIB))
    assert actions.agency_storage_used(lead_user.agency_id) == 0


def test_limits_are_settings_read_from_the_environment():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s;"
        "print(s.EVIDENCE_MAX_UPLOAD_BYTES, s.EVIDENCE_AGENCY_QUOTA_BYTES)",
        DEBUG="true",
        EVIDENCE_MAX_UPLOAD_BYTES="1_000_000",
        EVIDENCE_AGENCY_QUOTA_BYTES="5000000",
    )
    assert result.stdout.split()[-2:] == ["1000000", "5000000"], result.stderr
    bad = manage("check", DEBUG="true", EVIDENCE_MAX_UPLOAD_BYTES="2GB")
    assert bad.returncode != 0 and "EVIDENCE_MAX_UPLOAD_BYTES" in bad.stderr

"""Evidence files: streamed to disk in chunks while hashed, stored by content hash.

An upload never sits in memory: ``HashingUploadHandler`` (installed by the upload views
before the request body is read) writes each chunk Django's multipart parser hands it to
a part file under ``MEDIA_ROOT/evidence/incoming/`` and feeds it to SHA-256 on the way.
``store()`` then moves the part file to ``MEDIA_ROOT/evidence/objects/ab/cd/<sha256>``
(one rename on the same file system) or, when the investigator typed a hash that differs,
deletes it: nothing half-stored remains. Files that did not come through the handler
(tests, scripts) are copied in chunks the same way.

No file is larger than ``EVIDENCE_MAX_UPLOAD_BYTES``: the views refuse a request whose
``Content-Length`` says so before reading its body (``declared_upload_size``), and the
handler stops reading as soon as a file passes the limit (a chunked body, a lying
client), deleting its part file.
"""

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

CHUNK_SIZE = 1024 * 1024  # 1 MiB: bounded memory whatever the file's size
INCOMING = "evidence/incoming"
OBJECTS = "evidence/objects"
# What a multipart body holds besides its file: boundaries, headers and the form's fields.
FORM_FIELDS_ALLOWANCE = 1024 * 1024
# Set on the request by the handler when it stopped reading an upload too large.
REFUSED = "evidence_upload_refused"


def too_large_message():
    return _(
        "The file is larger than %(limit)s, the most an upload may be. Nothing was stored: "
        "log the item by its SHA-256 and keep the file with its holder."
    ) % {"limit": filesizeformat(settings.EVIDENCE_MAX_UPLOAD_BYTES)}


def declared_upload_size(request):
    """The most the file of this request can weigh, from its ``Content-Length``."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return max(0, length - FORM_FIELDS_ALLOWANCE)


def refusal(request):
    """Why the handler stopped reading this request's upload, or ``None``."""
    return getattr(request, REFUSED, None)


def media_root():
    return Path(settings.MEDIA_ROOT)


def _incoming_path():
    directory = media_root() / INCOMING
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{uuid.uuid4().hex}.part"


def object_path(sha256):
    """Relative path of the content with this SHA-256 (two levels of fan-out)."""
    return f"{OBJECTS}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def absolute(relative):
    return media_root() / relative


class HashedUploadedFile(UploadedFile):
    """An upload already on disk as a part file, with its SHA-256 and size.

    Closing it (Django closes request files when the response ends) deletes the part
    file unless ``store()`` has moved it into place.
    """

    def __init__(self, part_path, name, content_type, size, charset, sha256):
        super().__init__(open(part_path, "rb"), name, content_type, size, charset)  # noqa: SIM115
        self.part_path = Path(part_path)
        self.sha256 = sha256

    def temporary_file_path(self):
        return str(self.part_path)

    def close(self):
        try:
            return self.file.close()
        finally:
            self.part_path.unlink(missing_ok=True)


class HashingUploadHandler(FileUploadHandler):
    """Write uploaded files straight to a part file, computing SHA-256 chunk by chunk."""

    chunk_size = CHUNK_SIZE

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.part_path = _incoming_path()
        self.part = open(self.part_path, "wb")  # noqa: SIM115 - closed in file_complete
        self.digest = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.EVIDENCE_MAX_UPLOAD_BYTES:
            self.upload_interrupted()
            setattr(self.request, REFUSED, too_large_message())
            # Read no further: the rest of the body is not wanted.
            raise StopUpload(connection_reset=True)
        self.part.write(raw_data)
        self.digest.update(raw_data)
        # consumed: no later handler sees the chunk

    def file_complete(self, file_size):
        self.part.close()
        return HashedUploadedFile(
            self.part_path,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.digest.hexdigest(),
        )

    def upload_interrupted(self):
        part = getattr(self, "part", None)
        if part is not None:
            part.close()
            self.part_path.unlink(missing_ok=True)
            self.part = None


def install_handler(request):
    """Use the hashing handler for this request (call before the body is read)."""
    request.upload_handlers = [HashingUploadHandler(request)]


@dataclass
class StoredFile:
    sha256: str
    size: int
    path: str  # relative to MEDIA_ROOT
    created: bool  # False: the same content was already stored

    def discard(self):
        """Undo a store whose database write failed (only if this call created it)."""
        if self.created:
            absolute(self.path).unlink(missing_ok=True)


def _spool(upload):
    """Copy a file that did not come through the handler to a part file, hashing it."""
    part_path = _incoming_path()
    digest = hashlib.sha256()
    size = 0
    try:
        with open(part_path, "wb") as part:
            if hasattr(upload, "seek"):
                upload.seek(0)
            for chunk in (
                upload.chunks(CHUNK_SIZE)
                if hasattr(upload, "chunks")
                else iter(lambda: upload.read(CHUNK_SIZE), b"")
            ):
                size += len(chunk)
                if size > settings.EVIDENCE_MAX_UPLOAD_BYTES:
                    raise ValidationError({"file": too_large_message()})
                part.write(chunk)
                digest.update(chunk)
    except BaseException:
        part_path.unlink(missing_ok=True)
        raise
    return part_path, digest.hexdigest(), size


def store(upload, expected_sha256=""):
    """Put ``upload`` in place by its content hash; refuse it if ``expected_sha256`` differs.

    Returns a ``StoredFile``. On a mismatch raises ``ValidationError`` on ``file`` and
    leaves nothing behind.
    """
    if isinstance(upload, HashedUploadedFile):
        part_path, sha256, size = upload.part_path, upload.sha256, upload.size
    else:
        part_path, sha256, size = _spool(upload)
    if size > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        Path(part_path).unlink(missing_ok=True)
        raise ValidationError({"file": too_large_message()})
    expected = (expected_sha256 or "").strip().lower()
    if expected and expected != sha256:
        Path(part_path).unlink(missing_ok=True)
        raise ValidationError(
            {
                "file": _(
                    "The file's SHA-256 is %(actual)s, not the %(expected)s you typed. "
                    "Nothing was stored: check the file or the hash."
                )
                % {"actual": sha256, "expected": expected}
            }
        )
    relative = object_path(sha256)
    target = absolute(relative)
    if target.exists():  # same content stored before: content addressing deduplicates
        Path(part_path).unlink(missing_ok=True)
        return StoredFile(sha256, size, relative, created=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part_path, target)
    os.chmod(target, 0o440)  # read-only on disk: stored evidence is never rewritten
    return StoredFile(sha256, size, relative, created=True)

"""The node's identity: its name, base URL and Ed25519 signing key.

The private key lives in a PEM file (``FEDERATION_KEY_FILE``, mode 0600), never in the
database. After a rotation the previous key is kept beside it (``*.previous.pem``): the
message announcing the new key is signed with the old one.
"""

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import OKPKey

# RFC 9864's fully specified name for EdDSA over Ed25519.
ALGORITHM = "Ed25519"
PROTOCOL_VERSIONS = ["1"]


def is_enabled():
    return bool(settings.FEDERATION_NODE_NAME)


def node_name():
    return settings.FEDERATION_NODE_NAME


def base_url():
    return settings.FEDERATION_BASE_URL


def key_path():
    return Path(settings.FEDERATION_KEY_FILE)


def previous_key_path():
    path = key_path()
    return path.with_name(path.stem + ".previous" + path.suffix)


def _write_private(path, key):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.as_pem(private=True))
    os.replace(tmp, path)
    # A second write within the file system's timestamp granularity keeps the stamp: this
    # process knows the key it wrote without trusting the stamp.
    _loaded[path] = (_stamp(path), key)


def _read(path):
    try:
        return OKPKey.import_key(path.read_bytes())
    except OSError as exc:
        raise ImproperlyConfigured(
            f"FEDERATION_KEY_FILE: cannot read {path} ({exc}); "
            "run `manage.py federation_key --generate`."
        ) from exc


_loaded = {}


def _stamp(path):
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_mtime_ns)


def _cached(path):
    stamp = _stamp(path)
    cached = _loaded.get(path)
    if cached is None or cached[0] != stamp:
        cached = _loaded[path] = (stamp, _read(path))
    return cached[1]


def has_key():
    return key_path().is_file()


def signing_key():
    return _cached(key_path())


def previous_signing_key():
    path = previous_key_path()
    return _cached(path) if path.is_file() else None


def generate_key():
    """Create the node's key; refuses to replace an existing one (that is a rotation)."""
    path = key_path()
    if path.exists():
        raise FileExistsError(path)
    key = OKPKey.generate_key("Ed25519", private=True)
    _write_private(path, key)
    return key


def new_key():
    return OKPKey.generate_key("Ed25519", private=True)


def install_key(current, key):
    """``key`` replaces ``current``, which is kept as the previous key (one only: what was
    signed with an older one can no longer be signed)."""
    _write_private(previous_key_path(), current)
    _write_private(key_path(), key)


def public_jwk(key):
    """The public half as a JWK dict (``kty``, ``crv``, ``x``)."""
    return key.as_dict(private=False)


def import_public(jwk):
    """An Ed25519 public key from its JWK; the private part, if sent by mistake, is dropped."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 JWK")
    return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk.get("x")})


def fingerprint(key):
    """SHA-256 of the raw 32-byte public key, 64 lowercase hex digits."""
    raw = key.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def normalise_fingerprint(text):
    """What an admin typed (any case, spaces or colons) as 64 hex digits, or ''."""
    cleaned = "".join(ch for ch in (text or "").lower() if ch not in " :-\t\n")
    if len(cleaned) != 64 or any(ch not in "0123456789abcdef" for ch in cleaned):
        return ""
    return cleaned


def grouped(fp):
    """A fingerprint as an admin reads it aloud: groups of four hex digits."""
    return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


def node_document():
    """What ``/.well-known/concord-node`` publishes."""
    key = signing_key()
    fp = fingerprint(key)
    return {
        "name": node_name(),
        "base_url": base_url(),
        "public_key": public_jwk(key),
        "fingerprint": fp,
        "protocol_versions": PROTOCOL_VERSIONS,
        "inbox": f"{base_url()}/federation/inbox/",
        "outbox": f"{base_url()}/federation/outbox/",
    }

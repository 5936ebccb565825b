"""Encryption at rest for the care registry: AES-256-GCM per value, keys outside the database.

The keys live in a JSON key file named by ``settings.CARE_KEYS_FILE`` (the ``CARE_KEYS_FILE``
environment variable in production; ``jinguo.care.checks`` refuses to serve without it)::

    {"current": "k2", "keys": {"k1": "<base64 of 32 bytes>", "k2": "..."}, "hmac": "<base64 of 32 bytes>"}

Each stored value is ``<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``: the key id says which key
decrypts it, so ``manage.py rotatecarekeys`` re-encrypts in batches whatever is not under the
current key while both keys are in the file. The associated data is the column
(``care.Person.id_number``), so a value copied into another column does not decrypt.

The ``hmac`` key is separate: it makes the keyed digest of a normalised ID number that finds a
person again (dedup, exact search) without the number itself being stored in clear.

For the local demo a key file is generated under ``var/`` on first use (never committed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID_RE = re.compile(r"^[a-z0-9]{1,8}$")
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value that the keys in the key file cannot open (wrong key, tampered, wrong column)."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]
    hmac_key: bytes

    def aead(self, key_id: str) -> AESGCM:
        try:
            return AESGCM(self.keys[key_id])
        except KeyError:
            raise DecryptionError(f"key {key_id!r} is not in the care key file") from None


_lock = threading.Lock()
_cache: dict[str, tuple[float, Keyring]] = {}


def _b64key(text: str, what: str) -> bytes:
    raw = base64.b64decode(text)
    if len(raw) != 32:
        raise ImproperlyConfigured(f"care key {what} must be 32 bytes (base64)")
    return raw


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def write_key_file(path: Path, data: dict) -> None:
    """Write the key file readable by its owner only (created so, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def _generate_demo_file(path: Path) -> None:
    write_key_file(path, {"current": "k1", "keys": {"k1": new_key_text()}, "hmac": new_key_text()})


def keyring() -> Keyring:
    """The keys of ``settings.CARE_KEYS_FILE``, read again when the file changes."""
    path = Path(settings.CARE_KEYS_FILE)
    with _lock:
        if not path.exists():
            if getattr(settings, "CARE_KEYS_FROM_ENV", False):
                raise ImproperlyConfigured(f"CARE_KEYS_FILE {path} does not exist")
            _generate_demo_file(path)
        mtime = path.stat().st_mtime_ns
        cached = _cache.get(str(path))
        if cached and cached[0] == mtime:
            return cached[1]
        data = json.loads(path.read_text())
        keys = {kid: _b64key(text, kid) for kid, text in data["keys"].items()}
        if data["current"] not in keys or not all(KEY_ID_RE.match(k) for k in keys):
            raise ImproperlyConfigured("care key file: 'current' must name one of 'keys' (ids a-z0-9, ≤8)")
        ring = Keyring(current=data["current"], keys=keys, hmac_key=_b64key(data["hmac"], "hmac"))
        _cache[str(path)] = (mtime, ring)
        return ring


def encrypt(plaintext: str, *, purpose: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.aead(ring.current).encrypt(nonce, plaintext.encode(), purpose.encode())
    return f"{ring.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    return token.partition(":")[0]


def decrypt(token: str, *, purpose: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    key_id, sep, body = token.partition(":")
    if not sep:
        raise DecryptionError("not an encrypted value")
    raw = base64.urlsafe_b64decode(body)
    try:
        return ring.aead(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode()
    except InvalidTag:
        raise DecryptionError("the value does not open with its key (tampered or moved)") from None


def encrypt_bytes(data: bytes, *, purpose: str) -> bytes:
    ring = keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.aead(ring.current).encrypt(nonce, data, purpose.encode())
    return ring.current.encode() + b":" + nonce + sealed


def decrypt_bytes(blob: bytes, *, purpose: str) -> bytes:
    ring = keyring()
    key_id, sep, raw = blob.partition(b":")
    if not sep:
        raise DecryptionError("not an encrypted file")
    try:
        return ring.aead(key_id.decode()).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
    except InvalidTag:
        raise DecryptionError("the file does not open with its key") from None


def id_digest(normalised_number: str) -> str:
    """The keyed digest (HMAC-SHA256, the separate ``hmac`` key) of a normalised ID number."""
    return hmac.new(keyring().hmac_key, normalised_number.encode(), hashlib.sha256).hexdigest()


ATTACHMENT_PURPOSE = "care.HelpAttachment.file"

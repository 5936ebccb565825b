"""Uploads kept between an import's preview (dry run) and its confirmation.

The file is written once under ``settings.UPLOADS_DIR`` with a random token; the token is remembered in
the uploader's session, so the token alone opens nothing, and the confirmation re-reads the very
file that was previewed (never content sent back in hidden form fields). Files older than a day
are swept on the next upload.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest

MAX_AGE_SECONDS = 24 * 60 * 60
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class KeptUploads:
    """The kept uploads of one kind of import (``orgs``, ``activities`` …)."""

    def __init__(self, kind: str, *, seal: Callable[[bytes], bytes] | None = None, unseal=None):
        """``seal``/``unseal``: how the file is written and read back (the care registry encrypts
        its uploads, which hold ID numbers, so they never lie on disk in clear)."""
        self.kind = kind
        self.session_key = f"{kind}_imports"
        self.seal = seal or (lambda data: data)
        self.unseal = unseal or (lambda data: data)

    def _folder(self) -> Path:
        folder = Path(settings.UPLOADS_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _path(self, token: str, filename: str) -> Path:
        return self._folder() / f"{self.kind}-{token}{Path(filename).suffix.lower()}"

    def keep(self, request: HttpRequest, *, filename: str, data: bytes, tag: str = "") -> str:
        """Write the upload, remember it in the session, return its token. ``tag`` binds the
        upload to what it was uploaded for (a question bank's pk): ``get`` must name the same."""
        cutoff = time.time() - MAX_AGE_SECONDS
        for old in self._folder().glob(f"{self.kind}-*"):
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        token = secrets.token_urlsafe(24)
        self._path(token, filename).write_bytes(self.seal(data))
        uploads = request.session.get(self.session_key, {})
        uploads[token] = [filename, tag]
        request.session[self.session_key] = uploads
        return token

    def get(self, request: HttpRequest, token: str, tag: str = "") -> tuple[Path, str]:
        """The kept file and its original name; 404 unless this session kept it for ``tag``."""
        uploads = request.session.get(self.session_key, {})
        entry = uploads.get(token) if TOKEN_RE.match(token) else None
        if not entry or entry[1] != tag:
            raise Http404
        filename = entry[0]
        path = self._path(token, filename)
        if not path.is_file():
            raise Http404
        return path, filename

    def read(self, path: Path) -> bytes:
        return self.unseal(path.read_bytes())

    def discard(self, request: HttpRequest, token: str) -> None:
        uploads = request.session.get(self.session_key, {})
        entry = uploads.pop(token, None)
        request.session[self.session_key] = uploads
        if entry is not None:
            self._path(token, entry[0]).unlink(missing_ok=True)

"""Where contest files live: outside MEDIA_ROOT, with no URL at all.

An essay carries its author's name and phone; a judge must never reach the original through a
guessable link. Files are read only by the views that check scope (``views.entry_file``), so the
storage has no ``base_url``: asking it for a URL raises instead of handing one out.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    # Read at each access (not at import) so that tests, which move VAR_DIR to a temporary
    # folder, keep their files there; PRIVATE_MEDIA_ROOT overrides it for a deployment.
    explicit = getattr(settings, "PRIVATE_MEDIA_ROOT", "")
    return Path(explicit) if explicit else Path(settings.VAR_DIR) / "private"


class PrivateStorage(FileSystemStorage):
    """File-system storage under ``private_root()`` that never hands out a URL."""

    @property
    def base_location(self):
        return str(private_root())

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("contest files have no public URL; serve them through a scoped view")


@cache
def private_storage() -> PrivateStorage:
    """The storage of every contest file (a callable, so migrations name it instead of pickling it)."""
    return PrivateStorage()

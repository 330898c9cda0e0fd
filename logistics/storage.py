"""Private file storage: proof-of-delivery photos live outside MEDIA_ROOT (nothing serves them by
URL); a permission-checked view streams them."""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT (default: DATA_DIR/private), read from the settings on each use."""

    @property
    def base_location(self):
        return str(getattr(settings, "PRIVATE_MEDIA_ROOT", None) or Path(settings.DATA_DIR) / "private")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL.")


_STORAGE = PrivateStorage()


def private_storage():
    """The storage (a callable, so migrations do not record it)."""
    return _STORAGE

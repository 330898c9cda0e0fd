"""Evidence files: the type decided by the file's content (a pure-Python sniffer, `filetype`, and
Pillow for images), size limits, thumbnails, and a short check of MP4 videos' duration.

Only JPEG, PNG and WebP images, PDF documents and MP4 videos are accepted, whatever the file's name
says; a refused upload raises ValidationError({"file": why})."""

import io
import struct
import uuid
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from installation.photos import thumbnail_bytes

ALLOWED = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
MAX_VIDEO_SECONDS = 180
MAX_IMAGE_PIXELS = 60_000_000


@dataclass
class CheckedUpload:
    name: str
    stem: str
    extension: str
    content_type: str
    size: int
    data: bytes
    thumbnail: bytes | None


def content_file(data: bytes) -> ContentFile:
    return ContentFile(data)


def sniff(data: bytes) -> str | None:
    """The MIME type the content says (None if unknown or not allowed)."""
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind else None
    if mime is None and data[:5] == b"%PDF-":
        mime = "application/pdf"
    if mime in ("video/quicktime", "video/x-m4v") and _is_mp4(data):
        mime = "video/mp4"
    return mime if mime in ALLOWED else None


def _is_mp4(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def mp4_seconds(data: bytes) -> float | None:
    """The duration in the MP4's movie header (`moov/mvhd`), or None if it cannot be read (a box
    cut short included)."""
    try:
        return _mp4_seconds(data)
    except (struct.error, IndexError):
        return None


def _mp4_seconds(data: bytes) -> float | None:
    position = 0
    while position + 8 <= len(data):
        size, box = struct.unpack(">I4s", data[position:position + 8])
        header = 8
        if size == 1 and position + 16 <= len(data):
            size = struct.unpack(">Q", data[position + 8:position + 16])[0]
            header = 16
        elif size == 0:
            size = len(data) - position
        if size < header:
            return None
        if box == b"moov":
            inner = position + header
            end = min(position + size, len(data))
            while inner + 8 <= end:
                inner_size, inner_box = struct.unpack(">I4s", data[inner:inner + 8])
                if inner_size < 8:
                    return None
                if inner_box == b"mvhd":
                    version = data[inner + 8]
                    if version == 1:
                        timescale, duration = struct.unpack(">IQ", data[inner + 28:inner + 40])
                    else:
                        timescale, duration = struct.unpack(">II", data[inner + 20:inner + 28])
                    return duration / timescale if timescale else None
                inner += inner_size
            return None
        position += size
    return None


def check_upload(upload, *, max_bytes: int) -> CheckedUpload:
    """Read and check one uploaded file (a Django UploadedFile or any object with read/name/size)."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError({"file": _("The file is larger than %(limit)s MB.") % {"limit": max_bytes // (1024 * 1024)}})
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError({"file": _("The file is larger than %(limit)s MB.") % {"limit": max_bytes // (1024 * 1024)}})
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    mime = sniff(data)
    if mime is None:
        raise ValidationError({"file": _("Only JPEG, PNG or WebP images, PDF documents and MP4 videos are accepted; "
                                         "this file's content is none of them (whatever its name says).")})
    thumb = None
    if mime in IMAGE_TYPES:
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise ValidationError({"file": _("The image is too large (more than 60 megapixels).")})
                image.verify()
            thumb = thumbnail_bytes(data)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise ValidationError({"file": _("The image is damaged and cannot be read.")}) from None
    elif mime == "video/mp4":
        seconds = mp4_seconds(data)
        if seconds is None:
            raise ValidationError({"file": _("The video cannot be read (no MP4 movie header).")})
        if seconds > MAX_VIDEO_SECONDS:
            raise ValidationError({"file": _("The video is longer than %(seconds)s seconds.") % {
                "seconds": MAX_VIDEO_SECONDS}})
    original = PurePath(str(getattr(upload, "name", "") or "file")).name[:200] or "file"
    return CheckedUpload(name=original, stem=uuid.uuid4().hex, extension=ALLOWED[mime], content_type=mime,
                         size=len(data), data=data, thumbnail=thumb)

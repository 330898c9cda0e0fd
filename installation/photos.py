"""Proof photos uploaded on the job page: checked by their content (JPEG, PNG or WebP, within the
size limit, the same rule as the own-delivery proof photo), stored in private storage (nothing
serves them by URL) with a small JPEG thumbnail, streamed by a view to whoever may see the job."""

from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from logistics.appointments import check_photo
from logistics.storage import private_storage

THUMBNAIL_SIZE = (320, 320)
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# A small file may declare a huge image (a decompression bomb): decoding it would take gigabytes.
MAX_IMAGE_PIXELS = 60_000_000


def check_uploads(files) -> list[tuple[str, bytes]]:
    """(extension, thumbnail) of each uploaded file; a ValidationError on `photos` for the first bad
    one. The thumbnail is made here, so an image that passes the format check but does not decode
    (a damaged or cut-off file) is refused too, before anything is written."""
    checked = []
    for upload in files:
        try:
            extension = check_photo(upload)
            checked.append((extension, _thumbnail(upload)))
        except ValidationError as error:
            raise ValidationError({"photos": [f"{upload.name}: {message}" for message in error.messages]}) from None
    return checked


def thumbnail_name(name: str) -> str:
    return name.rsplit(".", 1)[0] + "-thumb.jpg"


def thumbnail_bytes(data: bytes) -> bytes:
    """A JPEG thumbnail of an image's bytes (at most `THUMBNAIL_SIZE`, orientation applied); the
    one thumbnail rule of the portal (the refund desk's evidence photos use it too)."""
    from PIL import Image, ImageOps

    with Image.open(BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail(THUMBNAIL_SIZE)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()


def _thumbnail(upload) -> bytes:
    """The thumbnail of an uploaded image; a ValidationError if it has too many pixels or does not decode."""
    from PIL import Image

    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        with Image.open(BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationError(_("The image is too large (more than 60 megapixels)."))
        return thumbnail_bytes(data)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("The image is damaged and cannot be read.")) from None


def save_uploads(event, files, checked) -> list[str]:
    """Store the checked uploads of `event` (`check_uploads`) and their thumbnails; returns the stored names."""
    storage = private_storage()
    names = []
    for index, (upload, (extension, thumbnail)) in enumerate(zip(files, checked, strict=True), start=1):
        base = f"installation/{event.job_id}/event-{event.pk}-{index}"
        name = storage.save(f"{base}.{extension}", upload)
        storage.save(thumbnail_name(name), ContentFile(thumbnail))
        names.append(name)
    return names


def open_photo(name: str, *, thumbnail=False):
    """(file, content type) of a stored photo or its thumbnail."""
    storage = private_storage()
    if thumbnail:
        return storage.open(thumbnail_name(name), "rb"), "image/jpeg"
    return storage.open(name, "rb"), CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")

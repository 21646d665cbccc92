"""Evidence photos: checked by content, turned upright, shrunk, hashed, thumbnailed.

Tablets send multi-megabyte camera pictures; the ledger needs a faithful picture that
loads quickly on a phone. A file is accepted only if Pillow recognises it as a JPEG, PNG
or WebP image by its bytes (the file name is never trusted), within a size limit and a
pixel limit that stops decompression bombs before they are decoded.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from audit.errors import InvalidInput, Key

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000
"""Pixels a file may declare in its header; read before anything is decoded."""
MAX_DECODED_PIXELS = {"JPEG": 12_600_000, "MPO": 12_600_000, "PNG": 12_600_000, "WEBP": 6_500_000}
"""Pixels actually decoded, so that one photo peaks under 150 MB (`tests/security/test_photos.py`).
A JPEG is decoded at 1/2, 1/4 or 1/8 size when that still fills the stored photo, so a
48-megapixel camera JPEG passes; Pillow's WebP decoder needs about 15 bytes a pixel, the others 8."""
MAX_PROGRESSIVE_PIXELS = 16_000_000
"""A progressive JPEG keeps every coefficient of the whole picture (up to 6 bytes a pixel) while decoding."""
STORED_EDGE = 2048
THUMBNAIL_EDGE = 320
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "MPO": "image/jpeg"}


@dataclass(frozen=True)
class PreparedPhoto:
    sha256: str
    mime: str
    width: int
    height: int
    data: bytes
    thumbnail: bytes

    @property
    def size_bytes(self) -> int:
        return len(self.data)


def _named(name: str | None) -> str:
    return name or Key("photo.error.unnamed")


def _encode(image: Image.Image, edge: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _too_many_pixels(image: Image.Image) -> bool:
    """Judged on the header alone; for a JPEG, on the size it will be decoded at."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        return True
    if image.format in ("JPEG", "MPO"):
        if image.info.get("progressive") and width * height > MAX_PROGRESSIVE_PIXELS:
            return True
        longest = max(width, height)
        image.draft("RGB", (max(1, width * STORED_EDGE // longest), max(1, height * STORED_EDGE // longest)))
    return image.width * image.height > MAX_DECODED_PIXELS[image.format]


def _decoded(data: bytes, name: str | None) -> Image.Image:
    """The picture, decoded only once its header says it is a photo of a sane size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise InvalidInput("photo.error.format", field="photo", photo=_named(name), format=image.format)
            if _too_many_pixels(image):
                raise InvalidInput("photo.error.pixels", field="photo", photo=_named(name))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("photo.error.pixels", field="photo", photo=_named(name)) from None
    except UnidentifiedImageError:
        raise InvalidInput("photo.error.not_an_image", field="photo", photo=_named(name)) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput("photo.error.damaged", field="photo", photo=_named(name)) from None
    return image


def _rgb(image: Image.Image) -> Image.Image:
    rgb = image.convert("RGB")
    rgb.info = image.info  # the EXIF orientation, still to be applied
    image.close()
    return rgb


def prepare_photo(data: bytes, name: str | None = None) -> PreparedPhoto:
    """Validate and normalise one uploaded or camera photo; raises InvalidInput naming the problem."""
    if not data:
        raise InvalidInput("photo.error.empty", field="photo", photo=_named(name))
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            "photo.error.too_big",
            field="photo",
            photo=_named(name),
            size=f"{len(data) / 1048576:.1f}",
            limit=MAX_BYTES // 1048576,
        )
    image = _decoded(data, name)
    if image.mode != "RGB":  # the one full-size copy; alpha would double the work of shrinking
        image = _rgb(image)
    # In place. Bicubic: at the halving a 12-megapixel camera photo needs it looks the same as Lanczos
    # and takes about half the time, most of the time an inspector waits for a photo (bench/tablet.py).
    image.thumbnail((STORED_EDGE, STORED_EDGE), Image.Resampling.BICUBIC)
    upright = ImageOps.exif_transpose(image)
    del image
    stored = _encode(upright, STORED_EDGE, 85)
    with Image.open(io.BytesIO(stored)) as check:
        width, height = check.size
    return PreparedPhoto(
        sha256=hashlib.sha256(stored).hexdigest(),
        mime="image/jpeg",
        width=width,
        height=height,
        data=stored,
        thumbnail=_encode(upright, THUMBNAIL_EDGE, 75),
    )

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
MAX_PIXELS = 60_000_000
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


def prepare_photo(data: bytes, name: str | None = None) -> PreparedPhoto:
    """Validate and normalise one uploaded or camera photo; raises InvalidInput naming the problem."""
    if not data:
        raise InvalidInput("photo.error.empty", field="photo", photo=_named(name))
    if len(data) > MAX_BYTES:
        raise InvalidInput("photo.error.too_big", field="photo", photo=_named(name), size=f"{len(data) / 1048576:.1f}",
                           limit=MAX_BYTES // 1048576)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise InvalidInput("photo.error.format", field="photo", photo=_named(name), format=image.format)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput("photo.error.pixels", field="photo", photo=_named(name))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("photo.error.pixels", field="photo", photo=_named(name)) from None
    except UnidentifiedImageError:
        raise InvalidInput("photo.error.not_an_image", field="photo", photo=_named(name)) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput("photo.error.damaged", field="photo", photo=_named(name)) from None
    upright = ImageOps.exif_transpose(image).convert("RGB")
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

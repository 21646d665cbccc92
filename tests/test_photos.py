"""Photos are judged by their bytes: real images in, everything else refused plainly."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from PIL import Image

from audit.errors import InvalidInput
from audit.photos import MAX_BYTES, THUMBNAIL_EDGE, prepare_photo
from audit.store.photos import attach_photo, photo_bytes, photos_of_finding, save_photo
from tests.factories import picture


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_real_images_are_accepted_and_normalised(format):
    photo = prepare_photo(picture(format), "现场.jpg")
    assert photo.mime == "image/jpeg"
    assert (photo.width, photo.height) == (1200, 800)
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == THUMBNAIL_EDGE


def test_a_sideways_camera_photo_is_turned_upright():
    photo = prepare_photo(picture(size=(1200, 800), exif_orientation=6))
    assert (photo.width, photo.height) == (800, 1200)


def test_large_photos_are_shrunk_for_the_ledger():
    photo = prepare_photo(picture(size=(4000, 3000)))
    assert max(photo.width, photo.height) == 2048


def test_the_same_picture_is_stored_once(db):
    photo = prepare_photo(picture())
    now = datetime(2026, 3, 1, 23, 5)
    with db.write() as cursor:
        save_photo(cursor, photo, now)
        save_photo(cursor, prepare_photo(picture()), now)
        attach_photo(cursor, "f1", photo.sha256, stage="found", added_by="陈明", now=now)
    with db.read() as cursor:
        assert cursor.execute("SELECT count(*) FROM photos").fetchone()[0] == 1
        assert photo_bytes(cursor, photo.sha256) == photo.data
        assert [link.stage for link in photos_of_finding(cursor, "f1")] == ["found"]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"%PDF-1.4 not a picture", "not a JPEG, PNG or WebP"),
        (b"<script>alert(1)</script>", "not a JPEG, PNG or WebP"),
        (picture()[:400], "damaged or incomplete"),
        (b"\xff" * (MAX_BYTES + 1), "the limit is 15 MB"),
    ],
    ids=["empty", "pdf-renamed", "html-renamed", "truncated", "oversized"],
)
def test_bad_files_are_refused_with_a_reason(data, reason):
    with pytest.raises(InvalidInput, match=reason) as error:
        prepare_photo(data, "photo.jpg")
    assert error.value.field == "photo"


def test_gif_is_refused_by_content_not_name():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    with pytest.raises(InvalidInput, match="GIF files are not accepted"):
        prepare_photo(buffer.getvalue(), "looks-like.jpg")


def test_decompression_bomb_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")  # tiny file, 400 megapixels
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(InvalidInput, match="too many pixels"):
        prepare_photo(buffer.getvalue())

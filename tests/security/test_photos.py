"""Photos: a small file cannot make the server decode a huge picture, and evidence counts are bounded."""

from __future__ import annotations

import pytest

from audit.errors import InvalidInput
from audit.model import Status
from audit.photos import MAX_BYTES, MAX_DECODED_PIXELS
from audit.services import rectification as r
from audit.services.limits import MAX_PHOTOS
from audit.store.photos import photos_of_finding
from tests.factories import picture
from tests.security.hostile import camera_photo, peak_mb, png_bomb
from tests.test_rectification import UNIT, current, finding_in

PEAK_MB = 150


def prepare_in_child(path) -> tuple[float, str]:
    setup = f"from pathlib import Path\nfrom audit.photos import prepare_photo\ndata = Path({str(path)!r}).read_bytes()"
    return peak_mb(setup, "prepare_photo(data)")


def test_a_small_png_declaring_60_megapixels_is_refused_before_it_is_decoded(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(7740, 7740))
    assert path.stat().st_size < 300_000
    peak, outcome = prepare_in_child(path)
    assert outcome.startswith("InvalidInput") and "too many pixels" in outcome
    assert peak < 60, f"{peak:.0f} MB: the picture was decoded before it was refused"


@pytest.mark.parametrize(
    "size, fmt, mode, options",
    [
        ((4032, 3024), "JPEG", "RGB", {"quality": 92, "subsampling": 0}),  # a 12-megapixel phone photo
        ((8000, 6000), "JPEG", "RGB", {"quality": 75}),  # a 48-megapixel one, decoded at half size
        ((4096, 3072), "JPEG", "RGB", {"quality": 90, "subsampling": 0, "progressive": True}),
        ((4096, 3072), "PNG", "RGBA", {}),  # at the PNG limit, with alpha
        ((2940, 2200), "WEBP", "RGB", {"quality": 80}),  # at the WebP limit
    ],
    ids=["jpeg-12mp", "jpeg-48mp", "progressive-12mp", "png-rgba-at-limit", "webp-at-limit"],
)
def test_one_accepted_photo_peaks_under_150_mb(tmp_path, size, fmt, mode, options):
    path = tmp_path / f"photo.{fmt.lower()}"
    path.write_bytes(camera_photo(size, fmt, mode, **options))
    assert path.stat().st_size <= MAX_BYTES
    peak, outcome = prepare_in_child(path)
    assert outcome == "accepted"
    assert peak < PEAK_MB, f"{peak:.0f} MB for one {size[0]}x{size[1]} {fmt}"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_just_over_the_decoded_limit_is_refused_with_a_reason(fmt):
    side = int(MAX_DECODED_PIXELS[fmt] ** 0.5) + 2
    data = png_bomb(side, side) if fmt == "PNG" else picture("WEBP", size=(side, side))
    with pytest.raises(InvalidInput, match="too many pixels") as refused:
        r.prepare_photo(data)
    assert refused.value.field == "photo"


def test_a_fix_report_may_carry_no_more_photos_than_a_finding(db):
    finding_id = finding_in(db, Status.OPEN)
    with pytest.raises(InvalidInput) as refused:
        r.report_fix(db, UNIT, finding_id, version=1, fix_report="已整改", photos=[picture()] * 60)
    assert refused.value.field == "photos" and str(MAX_PHOTOS) in refused.value.message
    assert current(db, finding_id).status is Status.OPEN
    with db.read() as cursor:
        assert photos_of_finding(cursor, finding_id) == []
    r.report_fix(db, UNIT, finding_id, version=1, fix_report="已整改", photos=[picture()] * MAX_PHOTOS)
    assert current(db, finding_id).status is Status.AWAITING_VERIFICATION

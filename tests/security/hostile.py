"""Hostile files built on the spot, and the peak memory of one call measured in a child process.

The peak is the child's high-water resident size since it started (VmHWM; its ru_maxrss would
also count the pages of the forked pytest process, which execve keeps in that figure), so the
test's own allocations do not count and the figure is what one call costs a fresh process.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[2]


def peak_mb(setup: str, call: str) -> tuple[float, str]:
    """Run `setup` then `call` in a fresh interpreter; returns (peak resident MB, what became of the call)."""
    script = (f"{setup}\n"
              f"try:\n    {call}\n    outcome = 'accepted'\n"
              "except Exception as error:\n    outcome = f'{type(error).__name__}: {error}'\n"
              "print(outcome.splitlines()[0] if outcome else '')\n"
              "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    outcome, kilobytes = done.stdout.strip().splitlines()[-2:]
    return int(kilobytes) / 1024, outcome


def png_bomb(width: int, height: int) -> bytes:
    """A PNG that declares width x height RGB pixels of zeros, compressed as it is made: a tiny file."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), b"\0" * (1 + 3 * width)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def camera_photo(size: tuple[int, int], fmt: str = "JPEG", mode: str = "RGB", **options) -> bytes:
    """A picture with the detail of a photo (edges, grain, gradients), so it compresses like one."""
    detail = Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 60)
    grain = Image.effect_noise(size, 25).filter(ImageFilter.BoxBlur(1))
    image = Image.merge("RGB", (detail, grain, Image.linear_gradient("L").resize(size)))
    buffer = io.BytesIO()
    (image if mode == "RGB" else image.convert(mode)).save(buffer, format=fmt, **options)
    return buffer.getvalue()

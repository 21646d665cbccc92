"""Hostile files built on the spot, and the peak memory of one call measured in a child process.

The peak is the child's high-water resident size since it started (VmHWM; its ru_maxrss would
also count the pages of the forked pytest process, which execve keeps in that figure), so the
test's own allocations do not count and the figure is what one call costs a fresh process.
"""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[2]


def peak_mb(setup: str, call: str) -> tuple[float, str]:
    """Run `setup` then `call` in a fresh interpreter; returns (peak resident MB, what became of the call)."""
    script = (
        f"{setup}\n"
        f"try:\n    {call}\n    outcome = 'accepted'\n"
        "except Exception as error:\n    outcome = f'{type(error).__name__}: {error}'\n"
        "print(outcome.splitlines()[0] if outcome else '')\n"
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))\n"
    )
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


def yaml_alias_bomb(levels: int = 9) -> str:
    """The 'billion laughs': each level a list of ten aliases of the one before; a few hundred bytes."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def shared_strings_bomb(path: Path, strings: int, unique: bool = False) -> None:
    """An XLSX whose shared-strings part lists `strings` short strings, which openpyxl would hold
    in memory, one Python object a string: the same two letters (a tiny file), or random ones
    (a file that packs no better than real text)."""
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r - 1}</v></c></row>' for r in range(1, 4))
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            letters = random.Random(strings)
            for _ in range(strings // 10_000):
                part.write(
                    b"".join(
                        b"<si><t>%s</t></si>" % (letters.randbytes(6).hex().encode() if unique else b"ab")
                        for _ in range(10_000)
                    )
                )
            part.write(b"</sst>")

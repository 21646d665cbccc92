"""A Chinese font embedded in the PDF, so a notice prints the same on any machine.

ReportLab's built-in CID fonts (STSong-Light) are not embedded and show as empty boxes
where the reader lacks them, so they are never used. A real font is looked up (the
AUDIT_PDF_FONT setting first, then the usual places on Linux, macOS and Windows).
ReportLab embeds TrueType outlines only; a font with PostScript (CFF) outlines, such as
Debian's Noto Sans CJK, is cut down with fontTools to the characters the notice uses
and its outlines converted to TrueType first. Either way the PDF carries a small subset.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, newTable
from fontTools.ttLib import TTFont as FontFile
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from audit.errors import AuditError
from audit.settings import settings

SETTING = "AUDIT_PDF_FONT"
KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",  # Windows: Microsoft YaHei
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
PROBE = "整改通知书"


class FontMissing(AuditError):
    title_key = "error.title.font_missing"


def find_font() -> Path:
    """The font file to use: the setting if given (it must exist), else the first known one present."""
    named = settings().pdf_font
    if named:
        if not Path(named).is_file():
            raise FontMissing("font.error.not_a_file", setting=SETTING, path=named)
        return Path(named)
    for candidate in KNOWN_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("font.error.none", setting=SETTING, looked=", ".join(KNOWN_FONTS))


@lru_cache(maxsize=8)
def _face(path: Path) -> int:
    """In a collection, the Simplified Chinese face: the same character is drawn differently in JP, KR, TC."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return -1
    faces = TTCollection(str(path), lazy=True).fonts
    names = [face["name"].getDebugName(1) or "" for face in faces]
    for preferred in (" SC", "GB", "YaHei", "Hei", "SimSun"):
        for index, name in enumerate(names):
            if preferred in name:
                return index
    return 0


def _check_chinese(font: FontFile, path: Path) -> None:
    cmap = font.getBestCmap() or {}
    if not all(ord(char) in cmap for char in PROBE):
        raise FontMissing("font.error.no_chinese", setting=SETTING, path=str(path))


def _truetype_subset(path: Path, text: str, name: str) -> bytes:
    """The characters of `text` from the font, with outlines converted to TrueType quadratics.

    Each subset carries its own PostScript name: ReportLab keys a document's fonts by that name, and
    two subsets sharing one would map characters through the wrong table when copied out of the PDF.
    """
    font = FontFile(str(path), fontNumber=_face(path), lazy=False)
    _check_chinese(font, path)
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline, options.hinting = [], ["*"], True, False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if "CFF " in font:
        _cff_to_glyf(font)
    for record in font["name"].names:
        if record.nameID == 6:
            record.string = name
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _cff_to_glyf(font: FontFile) -> None:
    order, glyphs = font.getGlyphOrder(), font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    del font["CFF "]
    for table in ("VORG",):
        if table in font:
            del font[table]
    font["glyf"], font["loca"] = glyf, newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    font["head"].glyphDataFormat = 0
    font["post"].formatType, font["post"].extraNames, font["post"].mapping = 3.0, [], {}
    font.sfntVersion = "\x00\x01\x00\x00"


def register_font(text: str) -> str:
    """Register with ReportLab a font able to draw `text`; returns its name for styles."""
    path = find_font()
    try:
        font = TTFont(
            "CJK-" + hashlib.sha1(str(path).encode()).hexdigest()[:8], str(path), subfontIndex=max(_face(path), 0)
        )
        _check_chinese(FontFile(str(path), fontNumber=_face(path), lazy=True), path)
    except TTFError as error:
        if "postscript outlines" not in str(error).lower():
            raise FontMissing("font.error.unusable", setting=SETTING, path=str(path), detail=str(error)) from error
        characters = "".join(sorted(set(text) | set(PROBE) | {chr(c) for c in range(32, 127)}))
        name = "CJK-" + hashlib.sha1((str(path) + characters).encode()).hexdigest()[:12]
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(_truetype_subset(path, characters, name))))
        return name
    if font.fontName not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(font)
    return font.fontName

"""A bulletin as a Word document (opens in Word and WPS), drawn from its blocks.

Fonts are named as Chinese offices expect (仿宋 for the body, 黑体 for headings, 宋体 for the
title); Word and WPS put a close substitute where one is missing. Characters XML cannot hold
(C0 controls) are shown as their visible symbols (U+2400...), so nothing typed is dropped.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from audit.exports.bulletin_document import Block

RED = RGBColor(0xC0, 0x00, 0x00)
_CONTROLS = {code: 0x2400 + code for code in range(32) if chr(code) not in "\t\n\r"}


def visible(text: str) -> str:
    return text.translate(_CONTROLS)


def _font(run, name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if colour is not None:
        run.font.color.rgb = colour


def _paragraph(
    document,
    text: str,
    *,
    font: str = "仿宋",
    size: float = 14,
    bold: bool = False,
    align=None,
    colour=None,
    indent: bool = False,
):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    paragraph.paragraph_format.space_after = Pt(4)
    _font(paragraph.add_run(visible(text)), font, size, bold=bold, colour=colour)
    return paragraph


def _table(document, rows: tuple[tuple[str, ...], ...]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.text = ""
            _font(cell.paragraphs[0].add_run(visible(text)), "黑体" if r == 0 else "仿宋", 12, bold=r == 0)


def write_docx(items: list[Block], *, title: str) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    document.core_properties.title = visible(title)
    document.core_properties.author = ""
    for block in items:
        if block.kind == "header":
            _paragraph(
                document, block.text, font="宋体", size=36, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, colour=RED
            )
        elif block.kind == "center":
            _paragraph(document, block.text, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif block.kind == "title":
            _paragraph(document, block.text, font="宋体", size=20, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif block.kind == "heading":
            _paragraph(document, block.text, font="黑体", size=16)
        elif block.kind == "subheading":
            _paragraph(document, block.text, font="楷体", size=15, bold=True)
        elif block.kind == "paragraph":
            _paragraph(document, block.text, indent=True)
        elif block.kind == "note":
            _paragraph(document, block.text, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif block.kind == "signature":
            _paragraph(document, block.text, align=WD_ALIGN_PARAGRAPH.RIGHT)
        elif block.kind == "table":
            _table(document, block.rows)
        elif block.kind == "image":
            document.add_picture(io.BytesIO(block.image), width=Cm(14))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _paragraph(document, block.text, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()

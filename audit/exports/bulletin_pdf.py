"""A bulletin as PDF, drawn from the same blocks as the DOCX, with the Chinese font embedded."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from audit.exports.bulletin_document import Block, characters
from audit.exports.bulletin_docx import visible
from audit.exports.cjk_font import register_font

WIDTH = A4[0] - 52 * mm


def _styles(font: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName=font, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24, spaceAfter=4
    )
    return {
        "header": ParagraphStyle(
            "header",
            parent=body,
            fontSize=32,
            leading=42,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#C00000"),
            firstLineIndent=0,
            spaceAfter=6,
        ),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER, firstLineIndent=0),
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontSize=17,
            leading=26,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceBefore=10,
            spaceAfter=10,
        ),
        "heading": ParagraphStyle("heading", parent=body, fontSize=14, leading=22, firstLineIndent=0, spaceBefore=8),
        "subheading": ParagraphStyle("subheading", parent=body, fontSize=12.5, firstLineIndent=0, spaceBefore=4),
        "paragraph": body,
        "note": ParagraphStyle("note", parent=body, fontSize=10, leading=14, alignment=TA_CENTER, firstLineIndent=0),
        "signature": ParagraphStyle("signature", parent=body, alignment=TA_RIGHT, firstLineIndent=0),
        "cell": ParagraphStyle("cell", parent=body, fontSize=10.5, leading=15, firstLineIndent=0, spaceAfter=0),
    }


def _text(text: str) -> str:
    # Markup-free: the text is escaped for ReportLab's mini-HTML; line breaks kept as breaks.
    return escape(visible(text)).replace("\n", "<br/>")


def _image(png: bytes, caption: str, styles) -> KeepTogether:
    width, height = PILImage.open(io.BytesIO(png)).size
    shown = min(WIDTH, 140 * mm, 90 * mm * width / height)  # wide charts and tall photos both fit the page
    return KeepTogether(
        [Image(io.BytesIO(png), width=shown, height=shown * height / width), Paragraph(_text(caption), styles["note"])]
    )


def _table(rows, styles) -> Table:
    table = Table(
        [[Paragraph(_text(cell), styles["cell"]) for cell in row] for row in rows],
        colWidths=[WIDTH * 0.38, WIDTH * 0.44, WIDTH * 0.18],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONTNAME", (0, 0), (-1, -1), styles["cell"].fontName),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def write_pdf(items: list[Block], *, title: str) -> bytes:
    font = register_font(characters(items) + title)
    styles = _styles(font)
    story: list = []
    for block in items:
        if block.kind == "table":
            story.append(_table(block.rows, styles))
        elif block.kind == "image":
            story.append(_image(block.image, block.text, styles))
        else:
            story.append(Paragraph(_text(block.text), styles[block.kind]))
        if block.kind == "header":
            story.append(
                Table(
                    [[""]],
                    colWidths=[WIDTH],
                    style=[
                        ("LINEABOVE", (0, 0), (-1, 0), 1.5, colors.HexColor("#C00000")),
                        ("FONTNAME", (0, 0), (-1, -1), font),
                    ],
                )
            )
        if block.kind == "signature" and story and block is items[-1]:
            story.append(Spacer(1, 6 * mm))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=26 * mm,
        rightMargin=26 * mm,
        topMargin=30 * mm,
        bottomMargin=25 * mm,
        title=visible(title),
        author="",
        creator="",
        initialFontName=font,
    ).build(story)
    return out.getvalue()

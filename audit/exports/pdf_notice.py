"""Printable rectification notices (整改通知书): one per responsible unit, its open findings listed.

A notice is what the inspection group hands the unit: whom it is for, what is wrong,
what must be done by when, and lines to sign on issue and receipt. Chinese is drawn
with an embedded font (see cjk_font), never a font the reader's machine may lack.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from audit import i18n
from audit.exports.cjk_font import register_font
from audit.model import ExportProgress, ExportStage

NOTICE_FIELDS = ("responsible_unit", "number", "site", "description", "requirement", "deadline")


@dataclass(frozen=True)
class NoticeLine:
    responsible_unit: str
    number: str
    site: str | None
    description: str
    requirement: str | None
    deadline: date


def _styles(font: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=font, bulletFontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=8),
        "to": ParagraphStyle("to", parent=body, fontSize=12, leading=20, spaceBefore=6),
        "body": ParagraphStyle("body_indent", parent=body, firstLineIndent=21, spaceAfter=8),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=12.5),
        "head": ParagraphStyle("head", parent=body, fontSize=9, leading=12.5, alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", parent=body, fontSize=11, leading=22),
    }


def _t(language: str):
    return lambda key, **values: i18n.t(key, language, **values)


def _table(lines: list[NoticeLine], styles, t) -> Table:
    head = [
        t("ledger.notice.row"),
        t("ledger.column.number"),
        t("ledger.column.site"),
        t("ledger.column.description"),
        t("ledger.column.requirement"),
        t("ledger.column.deadline"),
    ]
    rows = [[Paragraph(escape(text), styles["head"]) for text in head]]
    for index, line in enumerate(lines, 1):
        cells = [
            str(index),
            line.number,
            line.site or "",
            line.description,
            line.requirement or "",
            f"{line.deadline:%Y-%m-%d}",
        ]
        rows.append([Paragraph(escape(text), styles["cell"]) for text in cells])
    table = Table(rows, colWidths=[11 * mm, 23 * mm, 25 * mm, 50 * mm, 43 * mm, 24 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles["cell"].fontName),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE4EE")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ]
        )
    )
    return table


def _signatures(styles, t) -> Table:
    line = "_" * 18
    rows = [
        [
            Paragraph(escape(t("ledger.notice.issued") + line), styles["sign"]),
            Paragraph(escape(t("ledger.notice.issued_on") + t("ledger.notice.date_blank")), styles["sign"]),
        ],
        [
            Paragraph(escape(t("ledger.notice.received") + line), styles["sign"]),
            Paragraph(escape(t("ledger.notice.received_on") + t("ledger.notice.date_blank")), styles["sign"]),
        ],
    ]
    table = Table(rows, colWidths=[95 * mm, 81 * mm])
    table.setStyle(
        TableStyle([("TOPPADDING", (0, 0), (-1, -1), 10), ("FONTNAME", (0, 0), (-1, -1), styles["sign"].fontName)])
    )
    return table


def _notice(unit: str, lines: list[NoticeLine], styles, t) -> list:
    return [
        Paragraph(escape(t("ledger.notice.title")), styles["title"]),
        Paragraph(escape(t("ledger.notice.to", unit=unit)), styles["to"]),
        Paragraph(escape(t("ledger.notice.body", count=len(lines))), styles["body"]),
        _table(lines, styles, t),
        KeepTogether([Spacer(1, 14 * mm), _signatures(styles, t)]),  # never a signature line alone on a page
    ]


def _characters(lines: list[NoticeLine], language: str) -> str:
    words = "".join(i18n.catalog(language).values())
    return words + "".join(
        f"{line.responsible_unit}{line.number}{line.site}{line.description}{line.requirement}" for line in lines
    )


def write_notices(
    lines: Iterable[NoticeLine], out: BinaryIO | str, *, language: str, progress: ExportProgress | None = None
) -> int:
    """One notice per responsible unit, in the order given (grouped by unit); returns the units."""
    lines = list(lines)
    font = register_font(_characters(lines, language))
    styles, t = _styles(font), _t(language)
    units = [(unit, list(group)) for unit, group in groupby(lines, key=lambda line: line.responsible_unit)]
    story: list = []
    for done, (unit, group) in enumerate(units, 1):
        if story:
            story.append(PageBreak())
        story += _notice(unit, group, styles, t)
        if progress:
            progress(done, len(units), ExportStage.WRITING)

    def footer(canvas, doc) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, t("ledger.notice.page", page=doc.page))

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=17 * mm,
        rightMargin=17 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=t("ledger.notice.title"),
        author="",
        creator="",
        initialFontName=font,
    )
    if progress:
        progress(len(units), len(units), ExportStage.FINISHING)  # laying out the pages takes most of the time
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    if progress:
        progress(len(units), len(units), ExportStage.DONE)
    return len(units)

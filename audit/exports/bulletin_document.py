"""A bulletin laid out once, as a list of blocks, which the DOCX and PDF writers both draw.

The layout follows the bulletins inspection offices issue: the red header (督查通报), kind and
issue number, the issuing office and date, the title, the summary, the charts, then four
numbered parts (main problems, typical cases, late units, next steps) and the signature.
Every text is carried as typed; the writers never read it as markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd
import vl_convert
from PIL import Image

from audit import i18n
from audit.model import Bulletin

CHINESE_NUMERALS = "一二三四五六七八九十"
PHOTO_EDGE = 1200  # enough for a printed half page; keeps a bulletin with 20 cases small enough to mail
SENTENCE_ENDS = "。！？.!?；;"


@dataclass(frozen=True)
class Block:
    """kind: header, center, title, paragraph, heading, table, image, note, signature."""

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    image: bytes | None = None


def _day(day: date, language: str) -> str:
    return f"{day:%Y-%m-%d}" if language == "en" else f"{day.year}年{day.month}月{day.day}日"


def _sentence(text: str) -> str:
    """A field as a sentence: trailing space dropped, a full stop added when it has none."""
    text = text.rstrip()
    return text if not text or text[-1] in SENTENCE_ENDS else text + "。"


def _case_number(index: int, language: str) -> str:
    if language == "en" or index > len(CHINESE_NUMERALS):
        return str(index)
    return CHINESE_NUMERALS[index - 1]


def document_photo(data: bytes) -> bytes:
    """A stored evidence photo made the size a printed bulletin needs."""
    with Image.open(io.BytesIO(data)) as image:
        if max(image.size) <= PHOTO_EDGE:
            return data
        image.thumbnail((PHOTO_EDGE, PHOTO_EDGE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=80, optimize=True)
        return out.getvalue()


def _chart_png(frame: pd.DataFrame, chart: alt.Chart) -> bytes:
    return vl_convert.vegalite_to_png(chart.to_json(), scale=2)


def subdistrict_chart(bulletin: Bulletin, t: Callable[..., str]) -> bytes | None:
    entries = bulletin.figures.by_subdistrict
    if not entries:
        return None
    frame = pd.DataFrame({"name": [e.unit for e in entries], "count": [e.count for e in entries]})
    chart = (
        alt.Chart(frame)
        .mark_bar(color="#B22222")
        .encode(
            x=alt.X("count:Q", title=t("bulletin.doc.chart.axis.count"), axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("name:N", sort="-x", title=t("bulletin.doc.chart.axis.subdistrict")),
        )
        .properties(width=420, height=max(60, 24 * len(frame)))
    )
    return _chart_png(frame, chart)


def trend_chart(bulletin: Bulletin, t: Callable[..., str]) -> bytes | None:
    days = pd.date_range(bulletin.period_from, bulletin.period_to, freq="D")
    if not bulletin.figures.by_day:
        return None
    counts = {day: n for day, n in bulletin.figures.by_day}
    frame = pd.DataFrame({"day": days, "count": [counts.get(day.date(), 0) for day in days]})
    chart = (
        alt.Chart(frame)
        .mark_line(point=True, color="#B22222")
        .encode(
            x=alt.X("day:T", title=t("bulletin.doc.chart.axis.day"), axis=alt.Axis(format="%m-%d")),
            y=alt.Y("count:Q", title=t("bulletin.doc.chart.axis.count"), axis=alt.Axis(tickMinStep=1)),
        )
        .properties(width=420, height=180)
    )
    return _chart_png(frame, chart)


def blocks(bulletin: Bulletin, *, title: str, photos: dict[str, bytes | None]) -> list[Block]:
    """The whole bulletin in reading order; `photos` maps a case photo's hash to its bytes (None if gone)."""
    language = bulletin.language

    def t(key: str, **values) -> str:
        return i18n.t(key, language, **values)

    kind = t(f"bulletin.kind.{bulletin.kind.value}")
    number = (
        t("bulletin.doc.number", number=bulletin.number)
        if bulletin.number is not None
        else t("bulletin.doc.draft_number")
    )
    dated = bulletin.issued_at.date() if bulletin.issued_at else bulletin.as_of
    out = [
        Block("header", t("bulletin.doc.header")),
        Block("center", t("bulletin.doc.kind", kind=kind)),
        Block("center", number),
        Block("center", f"{bulletin.signature}　{_day(dated, language)}"),
        Block("title", title),
    ]
    if bulletin.corrects_label:
        out.append(Block("paragraph", t("bulletin.doc.correction", label=bulletin.corrects_label)))
    out.append(Block("paragraph", bulletin.summary + t("bulletin.doc.as_of", day=_day(bulletin.as_of, language))))
    for caption, png in (
        (t("bulletin.doc.chart.subdistrict"), subdistrict_chart(bulletin, t)),
        (t("bulletin.doc.chart.trend"), trend_chart(bulletin, t)),
    ):
        out += (
            [Block("image", caption, image=png)]
            if png
            else [Block("note", caption + "：" + t("bulletin.doc.chart.none"))]
        )

    out.append(Block("heading", t("bulletin.doc.problems")))
    if bulletin.problems:
        head = (t("bulletin.doc.table.checklist"), t("bulletin.doc.table.section"), t("bulletin.doc.table.count"))
        out.append(Block("table", rows=(head, *((p.checklist, p.section, str(p.count)) for p in bulletin.problems))))
    else:
        out.append(Block("paragraph", t("bulletin.doc.no_problems")))

    out.append(Block("heading", t("bulletin.doc.cases")))
    if not bulletin.cases:
        out.append(Block("paragraph", t("bulletin.doc.no_cases")))
    for index, case in enumerate(bulletin.cases, 1):
        out.append(
            Block("subheading", t("bulletin.doc.case_head", index=_case_number(index, language), site=case.site))
        )
        text = _sentence(case.description)
        if case.immediate_measure.strip():
            text += t("bulletin.doc.case_measure") + _sentence(case.immediate_measure)
        if case.requirement.strip():
            text += t("bulletin.doc.case_requirement") + _sentence(case.requirement)
        text += t("bulletin.doc.case_unit") + _sentence(case.responsible_unit)
        out.append(Block("paragraph", text))
        if case.photo_sha256:
            picture = photos.get(case.photo_sha256)
            out.append(
                Block("image", t("bulletin.doc.photo_caption", number=case.number), image=picture)
                if picture
                else Block("note", t("bulletin.doc.photo_missing"))
            )

    out.append(Block("heading", t("bulletin.doc.late")))
    if bulletin.overdue_units:
        out += [
            Block("paragraph", t("bulletin.doc.late_line", unit=u.unit, count=u.count)) for u in bulletin.overdue_units
        ]
    else:
        out.append(Block("paragraph", t("bulletin.doc.no_late")))

    out.append(Block("heading", t("bulletin.doc.accountability")))
    if bulletin.measures:
        out += [
            Block(
                "paragraph",
                t(
                    "bulletin.doc.measure_line",
                    day=_day(m.decided_on, language),
                    unit=m.unit,
                    person=f"{m.person}" if m.person else "",
                    kind=m.kind,
                ),
            )
            for m in bulletin.measures
        ]
    else:
        out.append(Block("paragraph", t("bulletin.doc.no_measures")))

    out.append(Block("heading", t("bulletin.doc.requirements")))
    out += [Block("paragraph", line) for line in bulletin.requirements.splitlines() if line.strip()]
    out += [Block("signature", bulletin.signature), Block("signature", _day(dated, language))]
    if bulletin.content_hash:
        out.append(Block("note", t("bulletin.doc.hash", hash=bulletin.content_hash)))
    return out


def characters(items: list[Block]) -> str:
    """Every character drawn, so the embedded font subset holds them all."""
    return "".join(block.text + "".join("".join(row) for row in block.rows) for block in items)

"""The ledger as an Excel workbook that looks like the sheet offices already keep.

Bold frozen header row with filters, widths that fit Chinese text, wrapped long text,
dates as real dates, printing landscape one page wide with the header on every page.
Text is only ever written as a string cell, so nothing a person typed can become a
formula. `constant_memory` streams rows to disk: memory stays flat however long the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from audit.exports.columns import LEDGER_COLUMNS

PROGRESS_ROWS = 5_000
Progress = Callable[[int, int], None]

# Text that needs none of XlsxWriter's escapes: no XML specials, no control characters,
# no literal _xHHHH_, no whitespace at either end, well under Excel's length limit.
_LONGEST_PLAIN = 8000
_PLAIN = re.compile(rf"\A(?!\s)[^&<>\x00-\x1f\ufffe\uffff]{{1,{_LONGEST_PLAIN}}}(?<!\s)\Z")
_ESCAPE_LIKE = re.compile(r"_x[0-9a-fA-F]{4}_")


def _needs_escaping(text: str) -> bool:
    return not _PLAIN.match(text) or ("_x" in text and _ESCAPE_LIKE.search(text) is not None)


# The same test for a whole batch at once, in Arrow (RE2, which has no lookarounds). It may
# flag text that turns out plain, never the other way round: a flagged row is checked cell
# by cell, an unflagged one is written as it is. Python's whitespace is RE2's \s, the
# Unicode separators \pZ, U+0085, and control characters, which are flagged anywhere.
_MAYBE_ESCAPE = r"[&<>\x00-\x1f\x{fffe}\x{ffff}]|_x|^[\s\pZ\x{85}]|[\s\pZ\x{85}]$"


def plain_rows(batch: pa.RecordBatch) -> list[bool]:
    """For each row of the batch, True when none of its text needs XlsxWriter's escapes."""
    flagged = pa.array([False] * batch.num_rows)
    for column in batch.columns:
        kind = column.type
        if pa.types.is_temporal(kind) or pa.types.is_null(kind):
            continue
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)):
            return [False] * batch.num_rows  # text of some other shape: every cell is checked
        maybe = pc.or_(pc.match_substring_regex(column, _MAYBE_ESCAPE),
                       pc.greater(pc.utf8_length(column), _LONGEST_PLAIN))
        flagged = pc.or_(flagged, pc.fill_null(maybe, False))
    return pc.invert(flagged).to_pylist()


class LedgerSheet(Worksheet):
    """A worksheet that can write a whole ledger row in one step.

    Cell by cell, XlsxWriter spends most of a 100,000-row export on checks and escapes
    that plain text does not need. For a row whose text is all plain this writes the very
    XML XlsxWriter would (a test compares the two); any other row goes through the
    ordinary `write_string` / `write_datetime`.
    """

    def write_ledger_row(self, row: int, values: Sequence, styles: Sequence[Format], *, plain: bool = False) -> None:
        """`plain` promises that no text in the row needs escaping (see `plain_rows`)."""
        if not self.constant_memory:
            raise ValueError("ledger rows are streamed: open the workbook with constant_memory")
        letters, xfs, serials = self._ledger_columns(styles)
        cells, first, last, number = [], None, None, row + 1
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if value.__class__ is str:
                if not plain and _needs_escaping(value):
                    self._write_cells(row, values, styles)
                    return
                cells.append(f'<c r="{letters[col]}{number}" s="{xfs[col]}" t="inlineStr"><is><t>{value}</t></is></c>')
            else:
                serial = serials.get(value)
                if serial is None:
                    serial = self._convert_date_time(value)
                    if value.__class__ is date:  # deadlines repeat; times of finding hardly ever do
                        serials[value] = serial
                cells.append(f'<c r="{letters[col]}{number}" s="{xfs[col]}"><v>{serial:.16G}</v></c>')
            first = col if first is None else first
            last = col
        if first is None:
            return
        if self._check_dimensions(row, first) or self._check_dimensions(row, last):
            raise ValueError(f"row {row} is outside the sheet or before a row already written")
        self._write_single_row(row)  # the row buffered before this one, if any, goes out first
        self._write_row(row, None)
        self.fh.write("".join(cells))
        self._xml_end_tag("row")

    def _ledger_columns(self, styles: Sequence[Format]) -> tuple[list[str], list[int], dict]:
        """Column letters, style indexes and a cache of day serials, worked out once per sheet."""
        cached = getattr(self, "_ledger_cache", None)
        if cached is None or cached[0] is not styles:
            letters = [xl_col_to_name(col) for col in range(len(styles))]
            self._ledger_cache = cached = (styles, letters, [style._get_xf_index() for style in styles], {})
        return cached[1], cached[2], cached[3]

    def _write_cells(self, row: int, values: Sequence, styles: Sequence[Format]) -> None:
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                self.write_datetime(row, col, value, styles[col])
            else:
                self.write_string(row, col, value, styles[col])


def _formats(workbook) -> dict[str, Format]:
    base = {"valign": "top", "font_size": 10}
    return {
        "header": workbook.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "align": "center",
                                       "bg_color": "#DDE4EE", "border": 1, "font_size": 10}),
        "text": workbook.add_format(base),
        "long": workbook.add_format(base | {"text_wrap": True}),
        "date": workbook.add_format(base | {"num_format": "yyyy-mm-dd", "align": "left"}),
        "datetime": workbook.add_format(base | {"num_format": "yyyy-mm-dd hh:mm", "align": "left"}),
    }


def _layout(sheet: Worksheet, headings: list[str], formats: dict, total: int) -> None:
    for index, column in enumerate(LEDGER_COLUMNS):
        sheet.set_column(index, index, column.width)
    sheet.set_row(0, 32)
    for index, text in enumerate(headings):
        sheet.write_string(0, index, text, formats["header"])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(total, 1), len(headings) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def write_xlsx(batches: Iterable[pa.RecordBatch], headings: list[str], out: BinaryIO | str, *, sheet_name: str,
               total: int, progress: Progress | None = None) -> int:
    """Stream Arrow batches (columns in LEDGER_COLUMNS order) into a workbook; returns the rows written."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = workbook.add_worksheet(sheet_name[:31], worksheet_class=LedgerSheet)
    formats = _formats(workbook)
    _layout(sheet, headings, formats, total)
    styles = [formats[column.kind] for column in LEDGER_COLUMNS]
    written = 0
    for batch in batches:
        rows = zip(*(column.to_pylist() for column in batch.columns))
        for row, plain in zip(rows, plain_rows(batch)):
            written += 1
            sheet.write_ledger_row(written, row, styles, plain=plain)
            if progress and written % PROGRESS_ROWS == 0:
                progress(written, total)
    workbook.close()
    if progress:
        progress(written, total)
    return written

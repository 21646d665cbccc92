"""The ledger as an Excel workbook that looks like the sheet offices already keep.

Bold frozen header row with filters, widths that fit Chinese text, wrapped long text,
dates as real dates, printing landscape one page wide with the header on every page.
Text is only ever written as a string cell, so nothing a person typed can become a
formula. `constant_memory` streams rows to disk: memory stays flat however long the ledger.
"""

from __future__ import annotations

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

# Text XlsxWriter writes as it is, but for &, < and > (escaped here too): no control
# characters, no literal _xHHHH_, no whitespace at either end, well under Excel's length
# limit. Checked for a whole batch at once in Arrow (RE2, which has no lookarounds), this
# may flag text that turns out plain, never the other way round: a flagged row goes
# through XlsxWriter cell by cell. Python's whitespace, which XlsxWriter tests for, is
# RE2's \s, the Unicode separators \pZ and U+0085, besides control characters.
_MAYBE_ESCAPE = r"[\x00-\x1f\x{fffe}\x{ffff}]|_x|^[\s\pZ\x{85}]|[\s\pZ\x{85}]$"
_LONGEST_PLAIN = 8000


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def plain_rows(batch: pa.RecordBatch) -> list[bool]:
    """For each row of the batch, True when its text needs no more than &, < and > escaped."""
    flagged = pa.array([False] * batch.num_rows)
    for column in batch.columns:
        if pa.types.is_temporal(column.type) or pa.types.is_null(column.type):
            continue
        if not _is_text(column.type):
            return [False] * batch.num_rows  # values of some other shape: every cell is checked
        maybe = pc.or_(
            pc.match_substring_regex(column, _MAYBE_ESCAPE), pc.greater(pc.utf8_length(column), _LONGEST_PLAIN)
        )
        flagged = pc.or_(flagged, pc.fill_null(maybe, False))
    return pc.invert(flagged).to_pylist()


class LedgerSheet(Worksheet):
    """A worksheet that writes the ledger a batch of rows at a time.

    Cell by cell, XlsxWriter spends most of a 100,000-row export in Python on checks and
    escapes that most text does not need. For rows whose text is all plain this builds the very
    XML XlsxWriter would (a test compares the two) in Arrow, a column at a time; any other
    row goes through the ordinary `write_string` / `write_datetime`.

    It uses XlsxWriter internals (`_check_dimensions`, `_write_single_row`, `_write_row`,
    `_xml_end_tag`, `_convert_date_time`, `fh`, `Format._get_xf_index`), hence the exact pin.
    Kept because XlsxWriter's public API is about 3 times slower, which misses the 10 s target
    for 100,000 findings: `python bench/export.py --writers` (same rows, constant_memory) printed
    `ledger_sheet_s=44.4 write_row_s=137.6 write_cells_s=142.2` on a machine loaded 8-fold; the
    whole export with this writer took 6.8 s on the idle machine, so about 21 s with the public API.
    """

    def write_ledger_batch(self, first_row: int, batch: pa.RecordBatch, styles: Sequence[Format]) -> int:
        """Write the batch's rows from sheet row `first_row` on; returns the rows written."""
        if not self.constant_memory:
            raise ValueError("ledger rows are streamed: open the workbook with constant_memory")
        letters, xfs, serials = self._ledger_columns(styles)
        plain = plain_rows(batch)
        plain_mask = pa.array(plain, pa.bool_())
        numbers = pa.array([str(row + 1) for row in range(first_row, first_row + batch.num_rows)])
        cells, used = [], []
        for col, column in enumerate(batch.columns):
            if pa.types.is_temporal(column.type):
                values = pa.array(
                    [None if value is None else f"{self._serial(value, serials):.16G}" for value in column.to_pylist()],
                    pa.string(),
                )
                opening, closing = "><v>", "</v></c>"
            else:
                # Text of another shape is left to the cell-by-cell writer (plain_rows flags it).
                values = pc.cast(column, pa.string()) if _is_text(column.type) else pa.nulls(len(column), pa.string())
                values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
                for character, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
                    values = pc.replace_substring(values, character, entity)
                opening, closing = ' t="inlineStr"><is><t>', "</t></is></c>"
            cells.append(
                pc.binary_join_element_wise(
                    f'<c r="{letters[col]}', numbers, f'" s="{xfs[col]}"{opening}', values, closing, ""
                )
            )
            used.append(pc.any(pc.and_(pc.is_valid(values), plain_mask)).as_py())
        xml = pc.binary_join_element_wise(*cells, "", null_handling="skip").to_pylist()
        columns = [col for col, present in enumerate(used) if present]
        for offset, row_xml in enumerate(xml):
            row = first_row + offset
            if not plain[offset]:
                self._write_cells(row, [column[offset].as_py() for column in batch.columns], styles)
                continue
            if not row_xml:
                continue
            if self._check_dimensions(row, columns[0]) or self._check_dimensions(row, columns[-1]):
                raise ValueError(f"row {row} is outside the sheet or before a row already written")
            self._write_single_row(row)  # the row buffered before this one, if any, goes out first
            self._write_row(row, None)
            self.fh.write(row_xml)
            self._xml_end_tag("row")
        return batch.num_rows

    def _serial(self, value, serials: dict) -> float:
        serial = serials.get(value)
        if serial is None:
            serial = self._convert_date_time(value)
            if value.__class__ is date:  # deadlines repeat; times of finding hardly ever do
                serials[value] = serial
        return serial

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
        "header": workbook.add_format(
            {
                "bold": True,
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
                "bg_color": "#DDE4EE",
                "border": 1,
                "font_size": 10,
            }
        ),
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


def write_xlsx(
    batches: Iterable[pa.RecordBatch],
    headings: list[str],
    out: BinaryIO | str,
    *,
    sheet_name: str,
    total: int,
    progress: Progress | None = None,
) -> int:
    """Stream Arrow batches (columns in LEDGER_COLUMNS order) into a workbook; returns the rows written."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = workbook.add_worksheet(sheet_name[:31], worksheet_class=LedgerSheet)
    formats = _formats(workbook)
    _layout(sheet, headings, formats, total)
    styles = [formats[column.kind] for column in LEDGER_COLUMNS]
    written = 0
    for batch in batches:
        written += sheet.write_ledger_batch(written + 1, batch, styles)
        if progress and written // PROGRESS_ROWS > (written - batch.num_rows) // PROGRESS_ROWS:
            progress(written, total)
    workbook.close()
    if progress:
        progress(written, total)
    return written

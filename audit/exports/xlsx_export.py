"""The ledger as an Excel workbook that looks like the sheet offices already keep.

Bold frozen header row with filters, widths that fit Chinese text, wrapped long text,
dates as real dates, printing landscape one page wide with the header on every page.
Text is only ever written as a string cell, so nothing a person typed can become a
formula.

The file is streamed. XlsxWriter first writes every part of the workbook but the rows (styles,
print titles, the sheet with its heading row, layout and the extent of the rows to come); the
rows then go straight into the sheet's entry of the zip, compressed as they come. Memory stays
flat however long the ledger, no temporary copy of the sheet is written, read and copied again,
and closing the file takes only its last chunk and the zip's directory: when the last row is
written the file is all but done, which is what the progress bar says.
"""

from __future__ import annotations

import io
import zipfile
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from audit.exports.columns import LEDGER_COLUMNS
from audit.model import ExportProgress, ExportStage

PROGRESS_ROWS = 5_000
SHEET = "xl/worksheets/sheet1.xml"
# zlib level of the sheet. On 200,000 rows of the demo ledger (312 MB of XML), level 1 took 2.9 s of CPU
# for a 43 MB file, level 3 3.5 s for 39 MB, the default (6) 5.7 s for 33 MB.
COMPRESSION = 1
CHUNK = 4 << 20  # bytes of XML handed to the compressing thread at a time

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


def _is_day_or_time(kind: pa.DataType) -> bool:
    """Dates, and times of day without a time zone: what `excel_serials` turns into numbers."""
    return pa.types.is_date(kind) or (pa.types.is_timestamp(kind) and kind.tz is None)


def plain_rows(batch: pa.RecordBatch) -> list[bool]:
    """For each row of the batch, True when its text needs no more than &, < and > escaped."""
    flagged = pa.array([False] * batch.num_rows)
    for column in batch.columns:
        if _is_day_or_time(column.type) or pa.types.is_null(column.type):
            continue
        if not _is_text(column.type):
            return [False] * batch.num_rows  # values of some other shape: every cell is checked
        maybe = pc.or_(
            pc.match_substring_regex(column, _MAYBE_ESCAPE), pc.greater(pc.utf8_length(column), _LONGEST_PLAIN)
        )
        flagged = pc.or_(flagged, pc.fill_null(maybe, False))
    return pc.invert(flagged).to_pylist()


_DAY_US = 86_400_000_000
_EPOCH_DAYS = 25_568  # 1899-12-31, XlsxWriter's epoch, to 1970-01-01


def excel_serials(column: pa.Array) -> pa.Array:
    """Excel's day numbers of a date or timestamp column, as text.

    The same arithmetic as XlsxWriter's `_datetime_to_excel_datetime` (days since 1899-12-31 plus
    the fraction of the day, one more past Excel's 29 February 1900), so each number is the very
    double XlsxWriter works out. Arrow writes it as the shortest text that reads back as that
    double, where XlsxWriter rounds to 16 digits: now and then the last digit differs, a
    millionth of a second apart, the same minute in every spreadsheet. (XlsxWriter also takes a day
    off times on 1 January 1900, which no ledger holds.)
    """
    if pa.types.is_date(column.type):
        days = pc.add(pc.cast(pc.cast(pc.cast(column, pa.date32()), pa.int32()), pa.int64()), _EPOCH_DAYS)
        return pc.cast(pc.if_else(pc.greater(days, 59), pc.add(days, 1), days), pa.string())
    micros = pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64())
    days = pc.floor(pc.divide(pc.cast(micros, pa.float64()), float(_DAY_US)))
    within = pc.subtract(micros, pc.multiply(pc.cast(days, pa.int64()), _DAY_US))  # 0 <= within < a day
    seconds = pc.divide(within, 1_000_000)  # integer division, as timedelta.seconds
    rest = pc.subtract(within, pc.multiply(seconds, 1_000_000))  # as timedelta.microseconds
    fraction = pc.divide(pc.add(pc.cast(seconds, pa.float64()), pc.divide(pc.cast(rest, pa.float64()), 1e6)), 86_400.0)
    serial = pc.add(pc.add(days, float(_EPOCH_DAYS)), fraction)
    return pc.cast(pc.if_else(pc.greater(serial, 59.0), pc.add(serial, 1.0), serial), pa.string())


def _utf8(rows: pa.Array) -> memoryview:
    """The text of a run of non-null string values, end to end, without a copy."""
    _, offsets, data = rows.buffers()
    first, last = memoryview(offsets).cast("i")[rows.offset :: len(rows)][:2]  # int32 offsets of a StringArray
    return memoryview(data)[first:last]


class LedgerSheet(Worksheet):
    """A worksheet that writes the ledger a batch of rows at a time.

    Cell by cell, XlsxWriter spends most of a 100,000-row export in Python on checks and
    escapes that most text does not need. For rows whose text is all plain this builds the very
    XML XlsxWriter would (a test compares the two) in Arrow, whole rows at a time, and hands each
    run of such rows to the file as one piece of UTF-8; any other row goes through the ordinary
    `write_string` / `write_datetime`.

    It uses XlsxWriter internals (`_write_single_row`, `previous_row`, `xls_rowmax`, `fh`,
    `Format._get_xf_index`), hence the exact pin. Kept because XlsxWriter's public API is about 3
    times slower: `python bench/export.py --writers` compares them on the same rows.
    """

    def write_ledger_batch(self, first_row: int, batch: pa.RecordBatch, styles: Sequence[Format]) -> int:
        """Write the batch's rows from sheet row `first_row` on; returns the rows written."""
        if not self.constant_memory:
            raise ValueError("ledger rows are streamed: open the workbook with constant_memory")
        if first_row < self.previous_row or first_row + batch.num_rows > self.xls_rowmax:
            raise ValueError(f"row {first_row} is outside the sheet or before a row already written")
        letters, xfs = self._ledger_columns(styles)
        plain = plain_rows(batch)
        numbers = pc.cast(pa.array(range(first_row + 1, first_row + batch.num_rows + 1)), pa.string())
        cells = []
        for col, column in enumerate(batch.columns):
            if _is_day_or_time(column.type):
                values, opening, closing = excel_serials(column), "><v>", "</v></c>"
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
        row_cells = pc.binary_join_element_wise(*cells, "", null_handling="skip")
        # A row with no cell at all is not written, as XlsxWriter leaves it out.
        rows = pc.binary_join_element_wise('<row r="', numbers, '">', row_cells, "</row>", "")
        rows = pc.if_else(pc.equal(row_cells, ""), pa.scalar(None, pa.string()), rows)
        written = pc.and_(pa.array(plain, pa.bool_()), pc.is_valid(rows)).to_pylist()
        used = [col for col, cell in enumerate(cells) if pc.any(pc.and_(pc.is_valid(cell), pa.array(written))).as_py()]
        offset = 0
        while offset < batch.num_rows:
            end = offset + 1
            while end < batch.num_rows and plain[end] == plain[offset]:
                end += 1
            if not plain[offset]:
                for row in range(offset, end):
                    self._write_cells(first_row + row, [column[row].as_py() for column in batch.columns], styles)
            elif runs := list(_runs(written, offset, end)):
                self._check_dimensions(first_row + runs[0][0], used[0])
                self._check_dimensions(first_row + runs[-1][1] - 1, used[-1])
                self._write_single_row(first_row + end - 1)  # a row the cell writer buffered goes out first
                for start, stop in runs:
                    self._write_utf8(_utf8(rows.slice(start, stop - start)))
            offset = end
        return batch.num_rows

    def stream_rows(self, fh) -> None:
        """Write the rows that follow into `fh`, once the workbook has been closed with the heading row alone."""
        self.fh = fh
        self.previous_row = 1  # the heading row, written with the workbook

    def _write_utf8(self, text: memoryview) -> None:
        self.fh.write(str(text, "utf-8") if isinstance(self.fh, io.TextIOBase) else text)

    def _ledger_columns(self, styles: Sequence[Format]) -> tuple[list[str], list[int]]:
        """Column letters and style indexes, worked out once per sheet."""
        cached = getattr(self, "_ledger_cache", None)
        if cached is None or cached[0] is not styles:
            letters = [xl_col_to_name(col) for col in range(len(styles))]
            self._ledger_cache = cached = (styles, letters, [style._get_xf_index() for style in styles])
        return cached[1], cached[2]

    def _write_cells(self, row: int, values: Sequence, styles: Sequence[Format]) -> None:
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                self.write_datetime(row, col, value, styles[col])
            else:
                self.write_string(row, col, value, styles[col])


def _runs(flags: list[bool], start: int, end: int) -> Iterable[tuple[int, int]]:
    """(first, past the last) of each run of True in flags[start:end]."""
    first = None
    for index in range(start, end):
        if flags[index] and first is None:
            first = index
        elif not flags[index] and first is not None:
            yield first, index
            first = None
    if first is not None:
        yield first, end


class _SheetEntry:
    """The sheet's entry in the zip, as the file XlsxWriter's worksheet writes to.

    Text gathers into chunks that a second thread compresses (zlib lets go of Python's lock
    while it works, so this runs beside the making of the next rows); at most two chunks wait.
    """

    def __init__(self, entry: BinaryIO) -> None:
        self._entry = entry
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="xlsx-deflate")
        self._waiting: deque[Future] = deque()
        self._parts: list = []
        self._size = 0

    def write(self, data: str | memoryview) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._parts.append(data)
        self._size += len(data)
        if self._size >= CHUNK:
            self._hand_over()

    def _hand_over(self) -> None:
        chunk, self._parts, self._size = b"".join(self._parts), [], 0
        while len(self._waiting) >= 2:
            self._waiting.popleft().result()
        self._waiting.append(self._thread.submit(self._entry.write, chunk))

    def close(self) -> None:
        """Compress what is left and wait for the thread; its error, if any, is raised here."""
        try:
            self._hand_over()
            while self._waiting:
                self._waiting.popleft().result()
        finally:
            self._thread.shutdown(cancel_futures=True)


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
    progress: ExportProgress | None = None,
) -> int:
    """Stream Arrow batches (columns in LEDGER_COLUMNS order, `total` rows) into a workbook; returns the rows written.

    The sheet's extent and filter are those of `total` rows, given before the rows are written:
    count them in the same snapshot as the rows.
    """
    parts, sheet, styles = _parts(headings, sheet_name, total)
    head, tail = parts[SHEET].split(b"</sheetData>", 1)
    written = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as book:
        for name, data in parts.items():
            if name != SHEET:
                book.writestr(name, data)
                continue
            with book.open(SHEET, "w") as entry:
                stream = _SheetEntry(entry)
                try:
                    stream.write(head)
                    sheet.stream_rows(stream)
                    for batch in batches:
                        written += sheet.write_ledger_batch(written + 1, batch, styles)
                        if progress and written // PROGRESS_ROWS > (written - batch.num_rows) // PROGRESS_ROWS:
                            progress(written, total, ExportStage.WRITING)
                    sheet._write_single_row()  # the last row, if the cell writer holds it
                    if progress:
                        progress(written, total, ExportStage.FINISHING)
                    stream.write(b"</sheetData>" + tail)
                finally:
                    stream.close()
    if progress:
        progress(written, total, ExportStage.DONE)
    return written


def _parts(headings: list[str], sheet_name: str, total: int) -> tuple[dict[str, bytes], LedgerSheet, list[Format]]:
    """Every part of the workbook, by name, as XlsxWriter writes it with the heading row as the only row,
    the sheet whose rows are still to come, and the styles of its columns."""
    made = io.BytesIO()
    workbook = xlsxwriter.Workbook(made, {"constant_memory": True})
    sheet = workbook.add_worksheet(sheet_name[:31], worksheet_class=LedgerSheet)
    formats = _formats(workbook)
    _layout(sheet, headings, formats, total)
    styles = [formats[column.kind] for column in LEDGER_COLUMNS]
    sheet._ledger_columns(styles)  # every style has its index before the styles part is written
    if total:
        sheet._check_dimensions(total, len(styles) - 1)  # the sheet's extent covers the rows to come
    workbook.close()
    with zipfile.ZipFile(made) as archive:
        return {name: archive.read(name) for name in archive.namelist()}, sheet, styles

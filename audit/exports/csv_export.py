"""The ledger as CSV that Excel opens with its Chinese intact and its cells inert.

Excel reads a CSV as the local code page unless it starts with a UTF-8 byte-order mark,
and runs any cell that looks like a formula, so text that starts like one is prefixed with a
single quote (the rule is `audit.exports.formulas`). Batches go from DuckDB to the file through
Arrow, without a Python object per cell, which keeps a 100,000-row export close to DuckDB's own speed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

from audit.exports.formulas import neutralise_column
from audit.model import ExportProgress, ExportStage

BOM = "\ufeff".encode("utf-8")


def _inert(column: pa.Array) -> pa.Array:
    """Text that a spreadsheet could take for a formula gets a leading single quote."""
    if pa.types.is_timestamp(column.type):
        return pc.strftime(column, format="%Y-%m-%d %H:%M")
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return column
    return neutralise_column(column)


def write_csv(
    batches: Iterable[pa.RecordBatch],
    headings: list[str],
    out: BinaryIO | str | os.PathLike,
    *,
    total: int,
    progress: ExportProgress | None = None,
) -> int:
    """Write Arrow batches of the export columns to `out`, under the headings; returns the rows written."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as file:
            written = _write(batches, headings, file, total, progress)
    else:
        written = _write(batches, headings, out, total, progress)
    if progress:
        progress(written, total, ExportStage.DONE)
    return written


def _write(
    batches: Iterable[pa.RecordBatch], headings: list[str], out: BinaryIO, total: int, progress: ExportProgress | None
) -> int:
    out.write(BOM)
    written, writer = 0, None
    for batch in batches:
        batch = pa.RecordBatch.from_arrays([_inert(column) for column in batch.columns], names=headings)
        if writer is None:
            writer = csv.CSVWriter(out, batch.schema, write_options=csv.WriteOptions(quoting_style="needed"))
        writer.write_batch(batch)
        written += batch.num_rows
        if progress:
            progress(written, total, ExportStage.WRITING)
    if writer is None:  # no rows: the headings alone
        out.write((",".join(_quoted(h) for h in headings) + "\n").encode("utf-8"))
    else:
        writer.close()
    return written


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text

"""The ledger as CSV that Excel opens with its Chinese intact and its cells inert.

Excel reads a CSV as the local code page unless it starts with a UTF-8 byte-order mark,
and runs any cell that looks like a formula, so text that starts like one is prefixed with a
single quote (the rule is `audit.exports.formulas`). Batches go from DuckDB to the file through
Arrow, without a Python object per cell, which keeps a 100,000-row export close to DuckDB's own speed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

from audit.exports.formulas import neutralise_column

BOM = "\ufeff".encode("utf-8")

Progress = Callable[[int, int], None]


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
    progress: Progress | None = None,
) -> int:
    """Write Arrow batches of the export columns to `out`, under the headings; returns the rows written."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as file:
            return write_csv(batches, headings, file, total=total, progress=progress)
    out.write(BOM)
    written, writer = 0, None
    for batch in batches:
        batch = pa.RecordBatch.from_arrays([_inert(column) for column in batch.columns], names=headings)
        if writer is None:
            writer = csv.CSVWriter(out, batch.schema, write_options=csv.WriteOptions(quoting_style="needed"))
        writer.write_batch(batch)
        written += batch.num_rows
        if progress:
            progress(written, total)
    if writer is None:  # no rows: the headings alone
        out.write((",".join(_quoted(h) for h in headings) + "\n").encode("utf-8"))
    else:
        writer.close()
    return written


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text

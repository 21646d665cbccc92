"""How fast the ledger exports (targets: CSV within 3x DuckDB's own COPY of the same query,
XLSX under 10 s for 100,000 findings, peak memory under 400 MB).

Run: python bench/export.py [--findings N]. The demo generator fills a fresh database in a
child process. Each export is made as the ledger page makes it: into memory (a BytesIO), the
finished file then kept as bytes in session state. The export service works on one DuckDB
thread, so the COPY yardstick runs on one thread too; the times of both are taken in this one
process. Memory is measured in child processes of their own, so neither the generator nor the
COPY counts towards the exports': peak_mb is the peak resident size of a process that prepared a
CSV and then an XLSX export (keeping the last one, as the page does), imports and DuckDB's
buffers included. The last line is machine-readable:
export N=<N> threads=1 csv_vs_copy=<ratio> xlsx_s=<seconds> peak_mb=<MB>

With --writers it instead compares, on the same rows held in memory, the ledger's XLSX writer
(a Worksheet subclass using XlsxWriter internals) with XlsxWriter's public API in constant_memory
mode: `write_row` a row at a time, and `write_string` / `write_datetime` a cell at a time with the
ledger's styles (the same file). Last line:
xlsx_writers N=<N> ledger_sheet_s=<s> write_row_s=<s> write_cells_s=<s>
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.exports import columns  # noqa: E402
from audit.model import (  # noqa: E402
    FindingFilter,  # noqa: E402
    Role,
    User,
)
from audit.services.ledger import export_ledger  # noqa: E402
from audit.store import open_database  # noqa: E402
from audit.store.ledger import copy_export_to_csv  # noqa: E402

EVERYTHING = FindingFilter()
READER = User("bench", "bench", "bench", Role.SUPERVISOR)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def export(database, fmt: str, today: date) -> bytes:
    """The file as the ledger page keeps it: written into a BytesIO, then its bytes."""
    out = io.BytesIO()
    export_ledger(database, READER, EVERYTHING, fmt, out, language="zh-CN", today=today)
    return out.getvalue()


def copy(database, folder: Path, today: date) -> None:
    """DuckDB's own COPY of the same query to a file, on the one thread the exports get."""
    with database.one_thread(), database.read() as cursor:
        copy_export_to_csv(
            cursor,
            EVERYTHING,
            today,
            str(folder / "copy.csv"),
            language="zh-CN",
            fields=columns.FIELDS,
            labels=columns.labels("zh-CN"),
        )


def memory(db_path: Path, heap: bool, of_copy: bool) -> None:
    """In a process of their own, the exports' peak: the whole process (maxrss), or with
    `heap` the Python heap (tracemalloc, whose own bookkeeping would inflate the maxrss).
    With `of_copy`, the peak of DuckDB's own COPY instead, for comparison."""
    database = open_database(db_path)
    if heap:
        tracemalloc.start()
    if of_copy:
        copy(database, db_path.parent, date.today())
    else:
        kept = None  # the page's session state holds the last export made
        for fmt in ("csv", "xlsx"):
            kept = export(database, fmt, date.today())
        assert kept
    if heap:
        print(f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f}")
    else:
        print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


def measured(db_path: Path, *flags: str) -> float:
    child = subprocess.run(
        [sys.executable, __file__, "--memory-of", str(db_path), *flags], check=True, capture_output=True, text=True
    )
    return float(child.stdout.split()[-1])


def xlsx_writers(db_path: Path, today: date) -> str:
    """The ledger's writer and XlsxWriter's public API, each timed writing the same rows into memory."""
    import io

    import xlsxwriter

    from audit.exports.xlsx_export import _formats, _layout, write_xlsx
    from audit.store.ledger import export_query

    database = open_database(db_path)
    with database.one_thread(), database.read() as cursor:
        batches = list(
            export_query(
                cursor, EVERYTHING, today, language="zh-CN", fields=columns.FIELDS, labels=columns.labels("zh-CN")
            ).to_arrow_reader(5_000)
        )
    database.close()
    headings, total = columns.headings("zh-CN"), sum(batch.num_rows for batch in batches)

    def public(options: dict, write) -> None:
        book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True, **options})
        sheet, formats = book.add_worksheet("ledger"), _formats(book)
        _layout(sheet, headings, formats, total)
        styles = [formats[column.kind] for column in columns.LEDGER_COLUMNS]
        row = 1
        for batch in batches:
            for values in zip(*(column.to_pylist() for column in batch.columns)):
                write(sheet, row, values, styles)
                row += 1
        book.close()

    def by_row(sheet, row, values, styles) -> None:  # one style for the row: dates need a default format
        sheet.write_row(row, 0, values)

    def by_cell(sheet, row, values, styles) -> None:
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                sheet.write_datetime(row, col, value, styles[col])
            else:
                sheet.write_string(row, col, value, styles[col])

    ledger_s = timed(lambda: write_xlsx(batches, headings, io.BytesIO(), sheet_name="ledger", total=total))
    row_s = timed(
        lambda: public(
            {"strings_to_formulas": False, "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"}, by_row
        )
    )
    cell_s = timed(lambda: public({}, by_cell))
    return f"xlsx_writers N={total} ledger_sheet_s={ledger_s:.1f} write_row_s={row_s:.1f} write_cells_s={cell_s:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--memory-of", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--heap", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--copy", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--writers", action="store_true", help="compare the XLSX writer with XlsxWriter's public API")
    args = parser.parse_args()
    if args.memory_of:
        return memory(args.memory_of, args.heap, args.copy)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db_path = folder / "bench.duckdb"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "audit",
                "demo",
                "--findings",
                str(args.findings),
                "--seed",
                str(args.seed),
                "--db",
                str(db_path),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        if args.writers:
            return print(xlsx_writers(db_path, date.today()))
        rss_mb, traced_mb = measured(db_path), measured(db_path, "--heap")
        copy_rss_mb = measured(db_path, "--copy")
        database = open_database(db_path)
        today = date.today()
        copy(database, folder, today)  # warm the caches for both
        copy_s = statistics.median(timed(lambda: copy(database, folder, today)) for _ in range(3))
        made: dict[str, bytes] = {}
        csv_s = statistics.median(timed(lambda: made.update(csv=export(database, "csv", today))) for _ in range(3))
        xlsx_s = timed(lambda: made.update(xlsx=export(database, "xlsx", today)))
        sizes = {fmt: len(made[fmt]) / 2**20 for fmt in ("csv", "xlsx")}
        made = None  # the exported files are freed before the next measurement
        database.close()
    print(
        f"DuckDB COPY {copy_s:.2f} s, csv {csv_s:.2f} s ({sizes['csv']:.0f} MiB), xlsx {xlsx_s:.2f} s "
        f"({sizes['xlsx']:.0f} MiB), all on one DuckDB thread; exports kept in memory as the page does: "
        f"Python heap peak {traced_mb:.0f} MB, process peak RSS {rss_mb:.0f} MB (DuckDB's COPY alone: "
        f"{copy_rss_mb:.0f} MB); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"export N={args.findings} threads=1 csv_vs_copy={csv_s / copy_s:.2f} xlsx_s={xlsx_s:.1f} peak_mb={rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()

"""How fast the ledger exports (targets: CSV within 3x DuckDB's own COPY of the same query,
XLSX under 10 s for 100,000 findings, peak memory under 400 MB).

Run: python bench/export.py [--findings N]. The demo generator fills a fresh database in a
child process, and the exports' memory is measured in others, so neither the generator nor
the COPY yardstick counts towards it. peak_mb is the peak resident size of the whole process
that ran both exports, imports and DuckDB's buffers included. The last line is machine-readable:
export N=<N> csv_vs_copy=<ratio> xlsx_s=<seconds> peak_mb=<MB>
"""

from __future__ import annotations

import argparse
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


def export(database, fmt: str, folder: Path, today: date) -> None:
    export_ledger(database, READER, EVERYTHING, fmt, str(folder / f"ledger.{fmt}"), language="zh-CN", today=today)


def copy(database, folder: Path, today: date) -> None:
    with database.read() as cursor:
        copy_export_to_csv(cursor, EVERYTHING, today, str(folder / "copy.csv"), language="zh-CN",
                           fields=columns.FIELDS, labels=columns.labels("zh-CN"))


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
        for fmt in ("csv", "xlsx"):
            export(database, fmt, db_path.parent, date.today())
    if heap:
        print(f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f}")
    else:
        print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


def measured(db_path: Path, *flags: str) -> float:
    child = subprocess.run([sys.executable, __file__, "--memory-of", str(db_path), *flags], check=True,
                           capture_output=True, text=True)
    return float(child.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--memory-of", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--heap", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--copy", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        return memory(args.memory_of, args.heap, args.copy)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db_path = folder / "bench.duckdb"
        subprocess.run([sys.executable, "-m", "audit", "demo", "--findings", str(args.findings), "--seed",
                        str(args.seed), "--db", str(db_path)], cwd=ROOT, check=True, capture_output=True)
        rss_mb, traced_mb = measured(db_path), measured(db_path, "--heap")
        copy_rss_mb = measured(db_path, "--copy")
        database = open_database(db_path)
        today = date.today()
        copy(database, folder, today)  # warm the caches for both
        copy_s = statistics.median(timed(lambda: copy(database, folder, today)) for _ in range(3))
        csv_s = statistics.median(timed(lambda: export(database, "csv", folder, today)) for _ in range(3))
        xlsx_s = timed(lambda: export(database, "xlsx", folder, today))
        sizes = {fmt: (folder / f"ledger.{fmt}").stat().st_size / 2**20 for fmt in ("csv", "xlsx")}
        database.close()
    print(f"DuckDB COPY {copy_s:.2f} s, csv {csv_s:.2f} s ({sizes['csv']:.0f} MiB), xlsx {xlsx_s:.2f} s "
          f"({sizes['xlsx']:.0f} MiB); exports alone: Python heap peak {traced_mb:.0f} MB, process peak RSS "
          f"{rss_mb:.0f} MB (DuckDB's COPY alone: {copy_rss_mb:.0f} MB); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"export N={args.findings} csv_vs_copy={csv_s / copy_s:.2f} xlsx_s={xlsx_s:.1f} "
          f"peak_mb={rss_mb:.0f}")


if __name__ == "__main__":
    main()

"""How long `verify-log` takes on a million findings (target: at most 60 s on the project's machine).

The whole check runs: the hash chain of the log, each entry's list of recorded rows, and
every audited row (findings, events, inspections, answers, users, sites, photos) against
the hash its latest entry recorded. The demo database is built once under bench/out/ and
reused (delete it to rebuild). Run: python bench/verify_log.py [--findings N]. The last
line is machine-readable: verify_log findings=<N> seconds=<s> rows=<rows checked> cpu_seconds=<c>
(cpu_seconds: the process's CPU time over all of DuckDB's threads, which shows the work done
when the machine is shared and the wall time says more about the neighbours).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.checklists import load_checklists  # noqa: E402
from audit.demo import generate_file  # noqa: E402
from audit.store import audit_log, open_database  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    path = ROOT / "bench" / "out" / f"verify_log_{args.findings}.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        started = time.perf_counter()
        generate_file(path, load_checklists(ROOT / "checklists").checklists, findings=args.findings, seed=args.seed)
        print(f"built {path.name} in {time.perf_counter() - started:.1f} s")
    database = open_database(path, read_only=True)
    try:
        with database.read() as cursor:
            started, cpu = time.perf_counter(), cpu_seconds()
            result = audit_log.verify(cursor)
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    finally:
        database.close()
    if not result.ok:
        print(f"NOT INTACT: entry {result.bad_seq} {result.reason}; " + "; ".join(map(str, result.rows[:5])))
    print(f"verify_log findings={args.findings} seconds={seconds:.1f} rows={result.rows_checked} cpu_seconds={cpu:.1f}")


if __name__ == "__main__":
    main()

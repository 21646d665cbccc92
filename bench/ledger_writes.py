"""What the ledger's derived tables cost a write: a finding recorded and a status changed, each its own
transaction, with the upkeep of the search texts and the ledger counts against the same writes without it.

Run: python bench/ledger_writes.py --db PATH [--writes 40]  (a copy of a demo database: it writes to it)
The upkeep is left out by replacing its functions for the baseline turns, in this same process, taken
turn about with the real ones. The last line is machine-readable:
ledger_writes insert_ms=<a> insert_base_ms=<b> status_ms=<c> status_base_ms=<d> insert_ratio=<a/b>
status_ratio=<c/d> insert_cpu_ratio=<e> status_cpu_ratio=<f>  (wall medians; the CPU ratios beside them)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.model import FindingFilter, Status  # noqa: E402
from audit.store import findings, ledger, ledger_counts, open_database, search_index  # noqa: E402
from tests.factories import make_finding  # noqa: E402


@contextmanager
def without_upkeep():
    """The writes as they were before the derived tables: the key of a text still made, nothing added."""
    saved = search_index.add_finding, ledger_counts.moved, ledger_counts.of_finding
    search_index.add_finding = lambda cursor, number, description: None
    ledger_counts.moved = lambda cursor, before, after: None
    ledger_counts.of_finding = lambda cursor, finding_id: None
    try:
        yield
    finally:
        search_index.add_finding, ledger_counts.moved, ledger_counts.of_finding = saved


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(function) -> tuple[float, float]:
    """Milliseconds of wall and of this process's CPU: on a busy machine the CPU time is the steadier."""
    started, cpu = time.perf_counter(), cpu_seconds()
    function()
    return (time.perf_counter() - started) * 1000, (cpu_seconds() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--writes", type=int, default=40)
    args = parser.parse_args()
    database = open_database(args.db)
    with database.read() as cursor:
        rows = ledger.ledger_page(
            cursor, FindingFilter(statuses=(Status.OPEN,)), date.today(), language="zh-CN", limit=2 * args.writes
        )
    open_ids, description = [row.id for row in rows], rows[0].description
    times: dict[str, list[tuple[float, float]]] = {"insert": [], "insert_base": [], "status": [], "status_base": []}
    now = datetime.now()
    for turn in range(2 * args.writes):
        base = turn % 2 == 1
        # Half the new findings reuse a text, half bring a new one, as a team's findings do.
        text = description if turn % 4 < 2 else f"{description}（{uuid.uuid4().hex[:8]}）"
        finding = make_finding(f"BENCH-{uuid.uuid4().hex[:12]}", description=text)

        def insert(finding=finding) -> None:
            with database.write() as cursor:
                findings.insert_finding(cursor, finding)

        def change(finding_id=open_ids[turn]) -> None:
            with database.write() as cursor:
                findings.update_finding(cursor, finding_id, 1, {"status": Status.REOPENED}, actor="bench", now=now)

        if base:
            with without_upkeep():
                times["insert_base"].append(timed(insert))
                times["status_base"].append(timed(change))
        else:
            times["insert"].append(timed(insert))
            times["status"].append(timed(change))
    database.close()
    wall = {name: statistics.median(wall for wall, _ in values) for name, values in times.items()}
    cpu = {name: statistics.median(cpu for _, cpu in values) for name, values in times.items()}
    print(f"CPU ms (median): {', '.join(f'{name} {value:.1f}' for name, value in cpu.items())}")
    print(
        f"ledger_writes insert_ms={wall['insert']:.1f} insert_base_ms={wall['insert_base']:.1f} "
        f"status_ms={wall['status']:.1f} status_base_ms={wall['status_base']:.1f} "
        f"insert_ratio={wall['insert'] / wall['insert_base']:.2f} status_ratio={wall['status'] / wall['status_base']:.2f} "
        f"insert_cpu_ratio={cpu['insert'] / cpu['insert_base']:.2f} status_cpu_ratio={cpu['status'] / cpu['status_base']:.2f}"
    )


if __name__ == "__main__":
    main()

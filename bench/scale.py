"""Province scale: 10,000,000 findings at 100,000 sites on one server.

Run: python bench/scale.py [--findings N] [--sites N]. The database is built once with the demo
command (`python -m audit demo --findings N --sites N`, in a child process whose time and peak
memory are recorded) under bench/out/, and reused, with those figures, when it is there.
Then, in this one process, on that file:

  start      the app's start: migrations checked and checklists synced (services.database.open_database);
  dashboard  the default view's data (services.dashboard), and the very SQL it ran replayed raw;
  ledger     the first page in the default order (most overdue first), the same with one filter,
             and page 10,000;
  inspect    the inspection page's reads at this size, against the same at 1,000 findings;
  finding    one finding's page (timeline, photos, repeats);
  xlsx       the full-ledger XLSX export of 1,000,000 rows (child process: time and peak memory).

The last line is machine-readable:
scale findings=<N> demo_s=<a> demo_peak_mb=<b> dashboard_ms=<c> dashboard_vs_sql=<d> ledger_ms=<e>
deep_page_ratio=<f> inspect_ratio=<g> finding_ms=<h> xlsx_1m_s=<i> xlsx_peak_mb=<j> start_s=<k>
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from audit.model import DEFAULT_DAYS, FindingFilter, Overdue, Severity, Status, User  # noqa: E402
from audit.services import ledger  # noqa: E402


def build(findings: int, sites: int) -> dict:
    """The database and how its build went, built now unless an earlier run left both."""
    path = OUT / f"scale-{findings}.duckdb"
    record = OUT / f"scale-{findings}.json"
    if path.exists() and record.exists():
        return json.loads(record.read_text()) | {"path": str(path)}
    OUT.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "audit", "demo", "--findings", str(findings), "--sites", str(sites)]
    started = time.perf_counter()
    subprocess.run([*command, "--db", str(path)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "demo_s": seconds,
        "demo_peak_mb": usage.ru_maxrss / 1024,
        "demo_cpu_s": usage.ru_utime + usage.ru_stime,  # beside demo_s, says how busy the machine was
        "size_mb": path.stat().st_size / 2**20,
    }
    record.write_text(json.dumps(figures))
    return figures | {"path": str(path)}


def best_ms(function, repeat: int = 5) -> tuple[float, object]:
    """Best milliseconds over `repeat` runs after one warm-up: the run least disturbed by other work."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), result


def start_seconds(path: Path) -> float:
    """What the app does before its first page: open (migrations checked) and sync the checklists."""
    from audit.services.checklists import checklists_directory, sync_checklists
    from audit.services.database import open_database

    started = time.perf_counter()
    database = open_database(path)
    sync_checklists(database, checklists_directory())
    seconds = time.perf_counter() - started
    database.close()
    return seconds


def dashboard_figures(database, today: date) -> tuple[float, float]:
    """The default view's data (ms) and its ratio to the same SQL run raw, taken turn about."""
    from bench import dashboard
    from bench.dashboard import RecordingDatabase, alternating, dashboard_functions, raw_sql

    dashboard.SUPERVISOR = supervisor(database)

    default = FindingFilter.last_days(today, DEFAULT_DAYS)
    recorder = RecordingDatabase(database)
    dashboard_functions(recorder, default, today)
    (a, _), (b, _) = alternating(
        lambda: dashboard_functions(database, default, today), lambda: raw_sql(database, recorder.statements), 3
    )
    return a * 1000, a / b


def ledger_figures(database, today: date) -> tuple[float, float, float]:
    """First page in the default order, the worst first page with one filter of the ledger's filter bar,
    and page 10,000 over page 1."""
    # The ledger page's default order: most overdue first.
    actor = supervisor(database)
    page = functools.partial(ledger.ledger_page, database, actor, today=today, sort="overdue", descending=True)
    first, top = best_ms(lambda: page(FindingFilter()))
    row = top.rows[0]
    detail = ledger.finding_detail(database, actor, row.id)  # its place and checklist, as the filters take them
    subdistrict, checklist = detail.site["subdistrict"], detail.finding.checklist_id
    filtered = {
        "status": FindingFilter(statuses=(Status.OPEN,)),
        "severity": FindingFilter(severities=(Severity.CRITICAL,)),
        "colour": FindingFilter(colours=(Overdue.RED,)),
        "found": FindingFilter(found_from=today - timedelta(days=89), found_to=today),
        "unit": FindingFilter(unit=row.responsible_unit),
        "subdistrict": FindingFilter(subdistrict=subdistrict),
        "checklist": FindingFilter(checklist=checklist),
        "repeats": FindingFilter(repeats_only=True),
        "search": FindingFilter(search=row.description[:2]),
    }
    times = {name: best_ms(lambda flt=flt: page(flt), 3)[0] for name, flt in filtered.items()}
    deep, _ = best_ms(lambda: page(FindingFilter(), page=10_000), 3)
    print(
        f"ledger: first page {first:.0f} ms, page 10,000 {deep:.0f} ms; first page with one filter: "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in times.items())
    )
    return max(first, *times.values()), first, deep


def finding_ms(database, today: date) -> float:
    """A closed repeat's page: the longest timeline, with its earlier finding."""
    flt = FindingFilter(statuses=(Status.CLOSED,), repeats_only=True)
    finding_id = ledger.ledger_page(database, supervisor(database), flt, page_size=1, today=today).rows[0].id
    return best_ms(lambda: ledger.finding_detail(database, supervisor(database), finding_id))[0]


def unit_export_ms(database, today: date) -> tuple[float, int]:
    """A unit's own XLSX export: the unit with the most findings, up to a thousand, among the first page's."""
    actor = supervisor(database)
    units = {row.responsible_unit for row in ledger.ledger_page(database, actor, FindingFilter(), today=today).rows}
    totals = {unit: ledger.ledger_page(database, actor, FindingFilter(unit=unit), page_size=1).total for unit in units}
    unit = max((unit for unit in totals if totals[unit] <= 1000), key=totals.get)
    flt = FindingFilter(unit=unit)
    ms, rows = best_ms(lambda: ledger.export_ledger(database, actor, flt, "xlsx", io.BytesIO(), today=today), 3)
    return ms, rows


@functools.cache
def supervisor(database) -> User:
    """A supervisor's account in the database (every service checks the actor against the accounts)."""
    from audit.services import accounts

    passwords = {name: password for name, _, password in accounts.create_demo_accounts(database)}
    return accounts.authenticate(database, "demo-supervisor", passwords["demo-supervisor"])


EXPORT = """
import io, resource, sys, time
from datetime import date
sys.path.insert(0, sys.argv[1])
from audit.model import FindingFilter
from audit.services import accounts, ledger
from audit.services.database import open_database
database = open_database(sys.argv[2])
passwords = {name: password for name, _, password in accounts.create_demo_accounts(database)}
actor = accounts.authenticate(database, "demo-supervisor", passwords["demo-supervisor"])
flt = FindingFilter(found_from=date.fromisoformat(sys.argv[3]))
started = time.perf_counter()
ticks = []
rows = ledger.export_ledger(database, actor, flt, "xlsx", sys.argv[4], progress=lambda done, total, stage: ticks.append(done))
seconds = time.perf_counter() - started
cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(rows, seconds, peak, len(ticks), cpu)
"""


def xlsx_figures(database, path: Path) -> tuple[float, float, int]:
    """The full-ledger XLSX export of the newest 1,000,000 findings, in a fresh process: seconds, peak MB."""
    actor = supervisor(database)
    total = ledger.ledger_page(database, actor, FindingFilter(), page_size=1).total
    row = min(total, 1_000_000)
    newest_first = ledger.ledger_page(
        database, actor, FindingFilter(), page=row, page_size=1, sort="found_at", descending=True
    )
    since = newest_first.rows[0].found_at.date()
    database.close()
    out = OUT / "scale-export.xlsx"
    run = subprocess.run(
        [sys.executable, "-c", EXPORT, str(ROOT), str(path), since.isoformat(), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    out.unlink(missing_ok=True)
    rows, seconds, peak, ticks, cpu = run.stdout.split()
    print(
        f"xlsx: {int(rows):,} rows in {float(seconds):.0f} s ({float(cpu):.0f} s of CPU, the database opened "
        f"included), peak {float(peak):.0f} MB, {ticks} progress reports"
    )
    return float(seconds), float(peak), int(rows)


def inspect_ratio(path: Path) -> float:
    """The inspection page's rerun on this database against the same on a fresh 1,000-finding one."""
    from audit.checklists import load_checklists
    from audit.demo import generate_file
    from audit.services.checklists import checklists_directory
    from bench import inspect_page
    from bench.inspect_page import open_page, rerun_ms

    with tempfile.TemporaryDirectory() as folder:
        small = Path(folder) / "small.duckdb"
        generate_file(small, load_checklists(checklists_directory()).checklists, findings=1_000, seed=2020)
        pages = {}
        for each in (small, path):
            inspection_id, inspect_page.INSPECTOR = draft_inspection(each)
            pages[each] = open_page(each, inspection_id)
        median = rerun_ms(pages, 9)
    print(f"inspect: rerun {median[small]:.0f} ms at 1,000 findings, {median[path]:.0f} ms here")
    return median[path] / median[small]


def draft_inspection(path: Path) -> tuple[str, User]:
    """A draft at an isolation point with the transfer items failed, as bench/inspect_page.py makes,
    by the database's demo inspector."""
    from audit.services import accounts
    from audit.services.checklists import checklists_directory, sync_checklists
    from audit.services.database import open_database
    from bench.inspect_page import start_draft

    database = open_database(path)
    try:
        sync_checklists(database, checklists_directory())
        passwords = {name: password for name, _, password in accounts.create_demo_accounts(database)}
        inspector = accounts.authenticate(database, "demo-inspector", passwords["demo-inspector"])
        return start_draft(database, inspector).id, inspector
    finally:
        database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000_000)
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--build-only", action="store_true", help="Build (or reuse) the database and time the start.")
    args = parser.parse_args()
    built = build(args.findings, args.sites)
    path = Path(built["path"])
    cpu = f" ({built['demo_cpu_s']:.0f} s of CPU)" if "demo_cpu_s" in built else ""
    print(
        f"database: {path.name}, {built['size_mb']:.0f} MB, built in {built['demo_s']:.0f} s{cpu} "
        f"at {built['demo_peak_mb']:.0f} MB peak"
    )
    start_s = start_seconds(path)
    if args.build_only:
        print(
            f"scale findings={args.findings} demo_s={built['demo_s']:.0f} demo_peak_mb={built['demo_peak_mb']:.0f} "
            f"size_mb={built['size_mb']:.0f} start_s={start_s:.1f}"
        )
        return
    from audit.services.database import open_database

    today = date.today()
    database = open_database(path)
    dashboard_ms, dashboard_vs_sql = dashboard_figures(database, today)
    ledger_ms, first_ms, deep_ms = ledger_figures(database, today)
    one_finding_ms = finding_ms(database, today)
    unit_ms, unit_rows = unit_export_ms(database, today)
    print(f"unit export: {unit_rows} rows in {unit_ms:.0f} ms; finding page {one_finding_ms:.0f} ms")
    xlsx_s, xlsx_peak, _ = xlsx_figures(database, path)  # closes the database
    ratio = inspect_ratio(path)
    print(
        f"scale findings={args.findings} demo_s={built['demo_s']:.0f} demo_peak_mb={built['demo_peak_mb']:.0f} "
        f"dashboard_ms={dashboard_ms:.0f} dashboard_vs_sql={dashboard_vs_sql:.2f} ledger_ms={ledger_ms:.0f} "
        f"deep_page_ratio={deep_ms / first_ms:.2f} inspect_ratio={ratio:.2f} finding_ms={one_finding_ms:.0f} "
        f"xlsx_1m_s={xlsx_s:.0f} xlsx_peak_mb={xlsx_peak:.0f} start_s={start_s:.1f}"
    )


if __name__ == "__main__":
    main()

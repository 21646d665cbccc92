"""How fast the dashboard answers a filter change, against the SQL floor and the pandas habit.

Run: python bench/dashboard.py [--findings N]. Fills a temporary database with the demo generator
(in a child process, so that its memory does not count here), then, in this one process, times
the page's work for one filter change three ways:

  a  the dashboard's own data functions (audit.services.dashboard: data version, figures, charts, first page);
  b  the very SQL statements (a) ran, replayed straight on a DuckDB cursor: the floor;
  c  what many Streamlit apps do: load every finding, joined to its site, into one DataFrame, then
     filter and group it in pandas. Shown apart (c'): the same app with that frame in a warm
     st.cache_data, which unpickles a copy on every rerun before grouping; and (c''): the frame
     kept in memory (st.cache_resource), so a filter change only filters and groups it.

Peak memory is what a fresh process gains running (a) or (c) once on the cold file.
The last line is machine-readable: dashboard N=<N> vs_sql=<a/b> vs_pandas=<c/a> vs_pandas_cached=<c''/a>
(targets at a million findings: vs_sql <= 1.5, vs_pandas >= 10; vs_pandas_cached has no target, it
is the comparison a Streamlit user weighing a cached frame would make). All times are taken in this
one process.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import pickle
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.checklists import load_checklists  # noqa: E402
from audit.model import DEFAULT_DAYS, FindingFilter, Role, Severity, Status, User  # noqa: E402  # noqa: E402
from audit.services import dashboard as analytics  # noqa: E402
from audit.store import open_database  # noqa: E402

SUPERVISOR = User("bench", "bench", "bench", Role.SUPERVISOR)
GENERATE = """
import sys
from audit.checklists import load_checklists
from audit.demo import generate_file
report = generate_file(sys.argv[1], load_checklists(sys.argv[2]).checklists, findings=int(sys.argv[3]),
                       seed=int(sys.argv[4]))
print(report.findings, report.inspections, report.sites)
"""


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def peak_mib() -> float:
    """The high-water mark of this process's memory (VmHWM: unlike ru_maxrss it restarts at exec)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


class RecordingDatabase:
    """Stands in for Database.read() once, to learn which SQL the dashboard runs."""

    def __init__(self, database):
        self.database, self.statements = database, []

    def one_snapshot(self):
        return self.database.one_snapshot()

    @contextlib.contextmanager
    def read(self):
        with self.database.read() as cursor:
            yield _Recorder(cursor, self.statements)

    def data_version(self, tables):
        """Not replayed: on a file it reads nothing, on a lake the catalog's snapshots, never the findings."""
        return self.database.data_version(tables)


class _Recorder:
    def __init__(self, cursor, statements):
        self.cursor, self.statements = cursor, statements

    def execute(self, sql, params=None):
        self.statements.append((sql, params))
        return self.cursor.execute(sql, params) if params is not None else self.cursor.execute(sql)


def dashboard_functions(database, filters: FindingFilter, today: date):
    """(a) Everything the page asks for when a filter changes, uncached, in one snapshot as the page asks."""
    with database.one_snapshot():
        analytics.data_version(database)
        board = analytics.dashboard(database, SUPERVISOR, filters, today=today)
        page = analytics.findings_page(database, SUPERVISOR, filters, today=today)
    return board, page


def raw_sql(database, statements) -> None:
    """(b) The same statements straight on a cursor, results fetched as tuples."""
    with database.read() as cursor:
        for sql, params in statements:
            (cursor.execute(sql, params) if params is not None else cursor.execute(sql)).fetchall()


def load_everything(database) -> dict:
    """(c, first visit) Every finding with its site, every inspection, and the names, as DataFrames."""
    with database.read() as cursor:
        findings = cursor.table("findings").df()
        sites = cursor.table("sites").df().rename(columns={"id": "site_id", "kind": "site_kind"})
        inspections = cursor.table("inspections").df()
    checklists = load_checklists(ROOT / "checklists").checklists
    items = {(c.id, i.id): i.text.zh for c in checklists for i in c.items}
    titles = {c.id: c.title.zh for c in checklists}
    joined = findings.merge(
        sites.drop(columns=["version", "updated_at", "updated_by", "active"]), on="site_id", how="left"
    )
    return {
        "findings": joined,
        "inspections": inspections.merge(sites[["site_id", "subdistrict_zh"]], how="left"),
        "items": items,
        "titles": titles,
    }


def pandas_page(data: dict, filters: FindingFilter, today: date) -> dict:
    """(c) The same figures, charts and first page, filtered and grouped in pandas."""
    f = data["findings"]
    start, end = pd.Timestamp(filters.found_from), pd.Timestamp(filters.found_to + timedelta(days=1))
    before = pd.Timestamp(filters.previous_start)
    keep = (f["found_at"] >= before) & (f["found_at"] < end)
    if filters.subdistrict:
        keep &= f["subdistrict_zh"] == filters.subdistrict
    if filters.severities:
        keep &= f["severity"].isin([s.value for s in filters.severities])
    if filters.statuses:
        keep &= f["status"].isin([s.value for s in filters.statuses])
    both = f[keep]
    now, old = both[both["found_at"] >= start], both[both["found_at"] < start]
    out = {"headline": [_figures(now, today), _figures(old, today)]}
    ins = data["inspections"]
    ins_keep = (ins["status"] == "submitted") & (ins["started_at"] >= before) & (ins["started_at"] < end)
    if filters.subdistrict:
        ins_keep &= ins["subdistrict_zh"] == filters.subdistrict
    out["inspections"] = (ins[ins_keep]["started_at"] >= start).value_counts()
    totals = now.groupby("site_id").size().sort_values(ascending=False)
    top = totals.index[: analytics.TOP_SITES]
    site = now["site_id"].where(now["site_id"].isin(top), "others")
    out["by_site"] = now.assign(site=site).groupby(["site", "severity"]).size()
    period = now["found_at"].dt.to_period({"day": "D", "week": "W", "month": "M"}[filters.grain]).dt.start_time
    out["over_time"] = now.assign(period=period).groupby(["period", "checklist_id"]).size()
    out["matrix"] = now[now["site_id"].isin(top)].groupby(["site_id", "checklist_id"]).size()
    out["ageing"] = now.assign(ageing=_ageing(now, today)).groupby(["status", "ageing"]).size()
    closed = now[now["status"] == "closed"]
    days = (closed["closed_at"] - closed["found_at"]).dt.total_seconds() / 86400
    out["time_to_close"] = pd.cut(days, [-np.inf, 1, 3, 7, 14, 30, np.inf]).value_counts(sort=False)
    items = now.groupby(["checklist_id", "item_id"]).agg(findings=("id", "size"), repeats=("is_repeat", "sum"))
    out["failing_items"] = items.nlargest(analytics.TOP_ITEMS, "findings").assign(
        item=lambda t: [data["items"].get(key) for key in t.index]
    )
    out["repeat_offenders"] = (
        now[now["is_repeat"]].groupby(["site_id", "checklist_id", "item_id"]).size().nlargest(analytics.TOP_ITEMS)
    )
    out["page"] = now.sort_values(["found_at", "number"], ascending=False).head(analytics.PAGE_SIZE)
    return out


def _figures(rows: pd.DataFrame, today: date) -> dict:
    closed = rows["status"] == "closed"
    days = (rows.loc[closed, "closed_at"] - rows.loc[closed, "found_at"]).dt.total_seconds() / 86400
    overdue = ~closed & (rows["deadline"] < pd.Timestamp(today))
    return {
        "findings": len(rows),
        "open": int((~closed).sum()),
        "overdue": int(overdue.sum()),
        "closed": int(closed.sum()),
        "median": days.median(),
        "repeats": int(rows["is_repeat"].sum()),
    }


def _ageing(rows: pd.DataFrame, today: date) -> np.ndarray:
    late = (pd.Timestamp(today) - pd.to_datetime(rows["deadline"])).dt.days
    return np.select(
        [rows["status"] == "closed", late > 7, late > 0, -late <= 2], ["closed", "red", "yellow", "blue"], "none"
    )


def once(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def alternating(first, second, repeat: int) -> tuple[tuple[float, object], tuple[float, object]]:
    """Best times of two functions run turn about, so that a busy moment of the machine weighs on
    both alike; the best of several runs is the one least disturbed by other work."""
    results = [first(), second()]
    times: list[list[float]] = [[], []]
    for _ in range(repeat):
        for n, function in enumerate((first, second)):
            started = time.perf_counter()
            results[n] = function()
            times[n].append(time.perf_counter() - started)
    return (min(times[0]), results[0]), (min(times[1]), results[1])


def timed(function, repeat: int) -> tuple[float, object]:
    """Best seconds over `repeat` runs after one warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def generate(path: Path, findings: int, seed: int) -> str:
    run = subprocess.run(
        [sys.executable, "-c", GENERATE, str(path), str(ROOT / "checklists"), str(findings), str(seed)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return run.stdout.strip()


def memory_of(way: str, path: Path, filters: FindingFilter) -> float:
    """Peak MiB a fresh process gains doing one approach once; RSS in this process is muddied by
    memory the allocator keeps from earlier runs."""
    run = subprocess.run(
        [
            sys.executable,
            __file__,
            "--memory-of",
            way,
            "--db",
            str(path),
            "--filters",
            json.dumps(dataclasses.asdict(filters), default=str),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(run.stdout.split()[-1])


def measure_memory(way: str, path: str, filters: dict) -> None:
    database = open_database(path, read_only=True)
    filters = FindingFilter(
        **{
            **filters,
            "found_from": date.fromisoformat(filters["found_from"]),
            "found_to": date.fromisoformat(filters["found_to"]),
            "severities": tuple(map(Severity, filters["severities"])),
            "statuses": tuple(map(Status, filters["statuses"])),
        }
    )
    today, before = filters.found_to, resident_mib()
    if way == "a":
        dashboard_functions(database, filters, today)
    else:
        pandas_page(load_everything(database), filters, today)
    print(f"{peak_mib() - before:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-of", choices=("a", "c"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--filters", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        return measure_memory(args.memory_of, args.db, json.loads(args.filters))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        made = generate(path, args.findings, args.seed)
        print(f"generated {made} (findings inspections sites) in {time.perf_counter() - started:.0f} s")
        run(path, args)


def run(path: Path, args) -> None:
    database = open_database(path)
    today = datetime.now().date()
    choices = analytics.filter_choices(database, SUPERVISOR)
    subdistrict = choices.sites["subdistrict"].value_counts().index[0]
    # The filter change: from the default 90 days to one subdistrict's critical and major findings.
    changed = FindingFilter.last_days(
        today, DEFAULT_DAYS, subdistrict=subdistrict, severities=(Severity.CRITICAL, Severity.MAJOR)
    )
    recorder = RecordingDatabase(database)
    dashboard_functions(recorder, changed, today)

    # Times first, with nothing else running in this process; memory afterwards, one run each.
    (a, (board, page)), (b, _) = alternating(
        lambda: dashboard_functions(database, changed, today),
        lambda: raw_sql(database, recorder.statements),
        args.repeat,
    )
    load, data = once(lambda: load_everything(database))
    group, reference = timed(lambda: pandas_page(data, changed, today), args.repeat)
    cached = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    unpickle, _ = timed(lambda: pickle.loads(cached), min(args.repeat, 3))
    c, c_warm = load + group, unpickle + group
    database.close()  # a second process cannot open the file while this one holds it
    data = None  # the frames are freed before memory is measured
    memory = {way: memory_of(way, path, changed) for way in ("a", "c")}

    agree = reference["headline"][0]["findings"] == board.figure("findings").current == page.total
    rows = [
        ("a  dashboard functions", a, memory["a"]),
        ("b  same SQL on DuckDB", b, None),
        ("   pandas: load every finding", load, None),
        ("   pandas: filter and group", group, None),
        ("c  pandas: load, filter, group", c, memory["c"]),
        ("   pandas: unpickle cached frame", unpickle, None),
        ("c' pandas from a warm st.cache_data", c_warm, None),
        ("c'' pandas frame kept in memory", group, None),
    ]
    print(
        f"N={args.findings:,} findings; {len(recorder.statements)} SQL statements per change; "
        f"{page.total:,} findings match; pandas and dashboard agree: {agree}"
    )
    print(f"{'approach':38} {'seconds':>8} {'peak MiB':>9}")
    for name, seconds, mib in rows:
        print(f"{name:38} {seconds:8.3f} {'' if mib is None else f'{mib:.0f}':>9}")
    print("peak MiB: resident memory a fresh process gained doing that once (database open, data cold)")
    print(
        f"this process peaked at {peak_mib():.0f} MiB; the cached frame pickles to {len(cached) / 2**20:.0f} MiB; "
        f"c'/a = {c_warm / a:.1f}"
    )
    print(f"dashboard N={args.findings} vs_sql={a / b:.2f} vs_pandas={c / a:.1f} vs_pandas_cached={group / a:.2f}")


if __name__ == "__main__":
    main()

"""Two processes writing one lake, and the pages' speed on a lake against a file (targets: lost = 0,
inspect_ratio <= 2.0, dashboard_ratio <= 1.5).

Writers: two processes each commit findings (numbered, logged, as the app records them) for
`--seconds`, every commit a unit of work; afterwards every acknowledged finding must be in the lake.
Reads: a file and a lake are filled alike by the demo generator with `--findings` findings and one
draft inspection with failed items; the lake is then maintained as its nightly maintenance would
(inlined rows flushed, files merged). The inspection page's server rerun (AppTest, median of
`--runs`, the two stores taking turns) and the dashboard's functions after a filter change (best of
`--runs`, taking turns) are timed on each, in this process, and given as lake over file. The rerun
is timed twice: with nothing written since the last one, and (`inspect_ratio`) right after another
process committed a finding elsewhere, as on a lake where other servers write all day; on the file
the same finding is committed by this process, the only one a file allows.

Needs PostgreSQL's server (Debian: postgresql): it is started on a free port for the run, as the
tests start it. Run: python bench/lake.py [--findings 100000] [--seconds 30] [--runs 9]
The last line is machine-readable:
lake writers=2 commits_s=<a> lost=<n> inspect_ratio=<b> dashboard_ratio=<c>
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit import settings  # noqa: E402
from audit.checklists import load_checklists  # noqa: E402
from audit.demo import generate  # noqa: E402
from audit.model import DEFAULT_DAYS, Finding, FindingFilter, Severity, new_id  # noqa: E402
from audit.services.checklists import checklists_directory, sync_checklists  # noqa: E402
from audit.services.dashboard import filter_choices  # noqa: E402
from audit.store import audit_log, open_database, unit_of_work  # noqa: E402
from audit.store.backend import is_lake  # noqa: E402
from audit.store.findings import allocate_number, insert_finding  # noqa: E402
from audit.store.invariants import finding_numbers  # noqa: E402
from audit.store.users import insert_user  # noqa: E402
from bench.dashboard import SUPERVISOR, alternating, dashboard_functions  # noqa: E402
from bench.inspect_page import INSPECTOR, open_page, rerun_ms, start_draft  # noqa: E402
from tests import postgres  # noqa: E402

WRITERS = 2


@unit_of_work
def record_finding(database, year: int) -> Finding:
    """What the app does when a finding is recorded: a number from the guard row, the row, its log entry."""
    with database.write() as cursor:
        finding = Finding(
            id=new_id(),
            number=allocate_number(cursor, year),
            site_id="bench-site",
            description="bench",
            severity=Severity.MINOR,
            responsible_unit="bench",
            deadline=datetime.now().date(),
            found_at=datetime.now(),
            inspector="bench",
        )
        insert_finding(cursor, finding)
        audit_log.append(cursor, actor="bench", action="finding.recorded", entity="finding", entity_id=finding.id)
    return finding


def committer(target: str) -> None:
    """Another process: one finding committed per line read, answered with a line once it is in."""
    database = open_database(target)
    for _ in sys.stdin:
        record_finding(database, 2026)
        print("committed", flush=True)
    database.close()


def writer(target: str, seconds: float, journal: str) -> None:
    """One writing process: commit findings until the time is up, noting each acknowledged one."""
    database = open_database(target)
    stop = time.monotonic() + seconds
    with open(journal, "w", encoding="utf-8") as out:
        while time.monotonic() < stop:
            finding = record_finding(database, 2026)
            out.write(json.dumps([finding.id, finding.number]) + "\n")
            out.flush()
    database.close()


def writers(target: str, seconds: float, folder: Path) -> tuple[float, int]:
    """(commits a second of all writers together, acknowledged findings missing afterwards)."""
    open_database(target).close()
    journals = [folder / f"writer-{n}.jsonl" for n in range(WRITERS)]
    processes = [
        subprocess.Popen([sys.executable, __file__, "--writer", target, str(seconds), str(journal)], cwd=ROOT)
        for journal in journals
    ]
    for process in processes:
        if process.wait() != 0:
            raise SystemExit("a writer failed")
    acknowledged = dict(
        json.loads(line) for journal in journals for line in journal.read_text(encoding="utf-8").splitlines()
    )
    database = open_database(target)
    with database.read() as cursor:
        present = finding_numbers(cursor)
    database.close()
    lost = sum(present.get(id_) != number for id_, number in acknowledged.items())
    return len(acknowledged) / seconds, lost


def prepare(target: str, findings: int) -> str:
    """The demo ledger of `findings` findings plus a draft inspection with failed items; its id.
    A lake is then maintained, as every night: its small writes flushed and its files merged."""
    from audit.services.maintenance import maintain_lake
    from audit.store.maintenance import data_files

    database = open_database(target)
    try:
        sync_checklists(database, checklists_directory())
        generate(database, load_checklists(checklists_directory()).checklists, findings=findings, seed=2020)
        with database.write() as cursor:  # the services read the acting accounts on every call
            for user in (INSPECTOR, SUPERVISOR):
                insert_user(cursor, user, None, now=datetime.now(), by="bench")
                audit_log.append(cursor, actor="bench", action="user.created", entity="user", entity_id=user.id)
        draft = start_draft(database)
        if database.lake:
            with database.read() as cursor:
                before = data_files(cursor)
            result = maintain_lake(database)
            with database.read() as cursor:
                print(f"lake maintained ({result}): {before} data files before, {data_files(cursor)} after")
    finally:
        database.close()
    return draft.id


def rerun_after_commits(pages: dict, runs: int) -> dict[str, float]:
    """Median ms of a rerun right after a finding was committed elsewhere: on a lake by another
    process, on a file by this one (it alone may write the file)."""
    others = {
        target: subprocess.Popen(
            [sys.executable, __file__, "--committer", target],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for target in pages
        if is_lake(target)
    }
    here = {target: open_database(target) for target in pages if not is_lake(target)}
    times: dict[str, list[float]] = {target: [] for target in pages}
    try:
        for _ in range(runs):
            for target, app in pages.items():
                if target in others:
                    others[target].stdin.write("commit\n")
                    others[target].stdin.flush()
                    if others[target].stdout.readline().strip() != "committed":
                        raise SystemExit("the committing process failed")
                else:
                    record_finding(here[target], 2026)
                os.environ["AUDIT_DB"] = target
                settings.reload()
                started = time.perf_counter()
                app.run()
                times[target].append((time.perf_counter() - started) * 1000)
    finally:
        for process in others.values():
            process.stdin.close()
            process.wait()
        for database in here.values():
            database.close()
    return {target: statistics.median(values) for target, values in times.items()}


def dashboard_seconds(file_target: str, lake_target: str, runs: int) -> tuple[float, float]:
    """Best seconds of the dashboard's functions after a filter change, file and lake taking turns."""
    databases = [open_database(target) for target in (file_target, lake_target)]
    today = datetime.now().date()
    choices = filter_choices(databases[0], SUPERVISOR)
    subdistrict = choices.sites["subdistrict"].value_counts().index[0]
    changed = FindingFilter.last_days(
        today, DEFAULT_DAYS, subdistrict=subdistrict, severities=(Severity.CRITICAL, Severity.MAJOR)
    )
    (file_s, _), (lake_s, _) = alternating(
        *(lambda database=database: dashboard_functions(database, changed, today) for database in databases), runs
    )
    for database in databases:
        database.close()
    return file_s, lake_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--writer", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--committer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        return writer(args.writer[0], float(args.writer[1]), args.writer[2])
    if args.committer:
        return committer(args.committer)
    server = postgres.start()
    if server is None:
        raise SystemExit(postgres.INSTALL)
    try:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["AUDIT_LAKE_DATA"] = str(Path(folder) / "lake-data")
            settings.reload()
            commits_s, lost = writers(server.create_database("bench_writers"), args.seconds, Path(folder))
            print(f"{WRITERS} writers: {commits_s:.1f} commits/s, {lost} acknowledged findings lost")
            os.environ["AUDIT_LAKE_DATA"] = str(Path(folder) / "lake-pages")
            settings.reload()
            file_target, lake_target = str(Path(folder) / "pages.duckdb"), server.create_database("bench_pages")
            ids = {target: prepare(target, args.findings) for target in (file_target, lake_target)}
            pages = {target: open_page(target, ids[target]) for target in ids}
            median = rerun_ms(pages, args.runs)
            print(
                f"inspection page rerun, nothing written since the last: file {median[file_target]:.0f} ms, "
                f"lake {median[lake_target]:.0f} ms (ratio {median[lake_target] / median[file_target]:.2f})"
            )
            median = rerun_after_commits(pages, args.runs)
            inspect_ratio = median[lake_target] / median[file_target]
            print(
                f"inspection page rerun, right after a commit elsewhere: file {median[file_target]:.0f} ms, "
                f"lake {median[lake_target]:.0f} ms"
            )
            file_s, lake_s = dashboard_seconds(file_target, lake_target, args.runs)
            print(f"dashboard after a filter change: file {file_s * 1000:.0f} ms, lake {lake_s * 1000:.0f} ms")
    finally:
        server.stop()
    print(
        f"lake writers={WRITERS} commits_s={commits_s:.1f} lost={lost} "
        f"inspect_ratio={inspect_ratio:.2f} dashboard_ratio={lake_s / file_s:.2f}"
    )


if __name__ == "__main__":
    main()

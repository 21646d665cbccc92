"""Server time of one rerun of the inspection page, with 1,000 and with 1,000,000 findings.

The page draws one inspection and must not scan the ledger to do it, so its rerun time
should hardly grow with the number of findings (target: ratio <= 1.5). Each database is
filled by the demo generator; then a draft inspection is started at an isolation point
with two failed transfer items, whose finding forms show the earlier failures there
(the repeat lookup). AppTest reruns the page; the median of the reruns is reported.

Run: python bench/inspect_page.py [--small 1000] [--large 1000000] [--runs 15]
The last line is machine-readable: inspect_rerun small_ms=<a> large_ms=<b> ratio=<b/a>
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from audit import settings  # noqa: E402
from audit.checklists import load_checklists  # noqa: E402
from audit.demo import generate_file  # noqa: E402
from audit.model import Result, Role, SiteKind, User  # noqa: E402
from audit.services import inspections  # noqa: E402
from audit.services.checklists import checklists_directory, sync_checklists  # noqa: E402
from audit.store import audit_log, open_database  # noqa: E402
from audit.store.users import insert_user  # noqa: E402

INSPECTOR = User(id="bench-inspector", username="bench", display_name="陈明", role=Role.INSPECTOR)
PASSED = ("QT-01", "QT-02")
FAILED = ("QT-03", "QT-04")


def start_draft(database, inspector: User = INSPECTOR):
    """A draft inspection at an isolation point, with PASSED and FAILED answered, as the page is timed on."""
    site = inspections.find_sites(database, inspector, kind=SiteKind.ISOLATION_POINT.value, limit=1)[0]
    draft = inspections.start_inspection(
        database,
        inspector,
        site_id=site.id,
        checklist_id="quarantine_transfer",
        inspectors=[inspector.display_name],
        started_at=datetime.now(),
    )
    for item_id in PASSED + FAILED:
        result = Result.FAIL if item_id in FAILED else Result.PASS
        inspections.record_response(database, inspector, draft.id, item_id, result=result)
    return draft


def prepare(path: Path, findings: int) -> str:
    """A demo ledger of `findings` findings and one draft inspection in it; returns the inspection id."""
    database = open_database(path)
    # Registered the way the app registers them, before the generator would write its own rows.
    sync_checklists(database, checklists_directory())
    database.close()
    generate_file(path, load_checklists(checklists_directory()).checklists, findings=findings, seed=2020)
    database = open_database(path)
    try:
        with database.write() as cursor:  # the services read the acting account on every call
            insert_user(cursor, INSPECTOR, None, now=datetime.now(), by="bench")
            audit_log.append(cursor, actor="bench", action="user.created", entity="user", entity_id=INSPECTOR.id)
        draft = start_draft(database)
        sheet = inspections.inspection_sheet(database, INSPECTOR, draft.id)
        print(f"{findings:>9,} findings: {len(sheet.earlier)} earlier findings shown beside the failures")
    finally:
        database.close()
    return draft.id


def open_page(path: Path, inspection_id: str) -> AppTest:
    """The inspection page signed in and drawn twice, so caches are warm."""
    os.environ["AUDIT_DB"] = str(path)
    settings.reload()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    app.session_state["user"] = INSPECTOR
    app.run()
    app.switch_page("audit/ui/inspect.py")
    app.query_params["inspection"] = inspection_id
    app.run()
    app.run()
    if app.exception or not app.button_group:
        raise SystemExit(f"the inspection page did not draw: {app.exception or app.main}")
    return app


def rerun_ms(pages: dict[Path, AppTest], runs: int) -> dict[Path, float]:
    """Median wall time of one rerun per database; the databases take turns so load drift hits both."""
    times: dict[Path, list[float]] = {path: [] for path in pages}
    for _ in range(runs):
        for path, app in pages.items():
            os.environ["AUDIT_DB"] = str(path)
            settings.reload()
            started = time.perf_counter()
            app.run()
            times[path].append((time.perf_counter() - started) * 1000)
    return {path: statistics.median(values) for path, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small, large = Path(folder) / "small.duckdb", Path(folder) / "large.duckdb"
        ids = {small: prepare(small, args.small), large: prepare(large, args.large)}
        median = rerun_ms({path: open_page(path, ids[path]) for path in ids}, args.runs)
        small_ms, large_ms = median[small], median[large]
    print(f"inspect_rerun small_ms={small_ms:.1f} large_ms={large_ms:.1f} ratio={large_ms / small_ms:.2f}")


if __name__ == "__main__":
    main()

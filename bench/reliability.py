"""Reliability figures: nothing acknowledged is lost to a crash, to concurrent sessions, or to a
backup and restore.

Run: python bench/reliability.py [--findings N]. One line per check, then a summary line:
crash runs=5 acknowledged=N present=N verify=ok ...
concurrent sessions=20 writes=N present=N errors=0
backup findings=N tables=T restored=identical verify=ok ...
bad_input cases=N stored_exact=N formulas_in_exports=0 refused=M
reliability checks=4 failed=0
The checks use the same harness as the tests (tests/reliability), so the figures and the
tests measure the same thing. A check is a function in CHECKS taking a scratch folder and
returning whether it held and its line; the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.checklists import load_checklists  # noqa: E402
from audit.demo import generate  # noqa: E402
from audit.secret_key import key_path  # noqa: E402
from audit.services.backup import backup, restore  # noqa: E402
from audit.store import audit_log, open_database  # noqa: E402
from audit.store.backup import contents  # noqa: E402
from tests.reliability.bad_input import bad_input_check  # noqa: E402
from tests.reliability.crash import crash_series  # noqa: E402
from tests.reliability.sessions import run_sessions  # noqa: E402

Check = Callable[[Path, argparse.Namespace], tuple[bool, str]]


def word(ok: bool) -> str:
    return "ok" if ok else "FAILED"


def crash(folder: Path, options: argparse.Namespace) -> tuple[bool, str]:
    series = crash_series(folder / "crash.duckdb")
    held = series.present == series.acknowledged and series.verify_ok
    return held, (
        f"crash runs={series.runs} acknowledged={series.acknowledged} present={series.present} "
        f"verify={word(series.verify_ok)} killed_in_checkpoint={series.in_checkpoint}"
    )


def concurrent(folder: Path, options: argparse.Namespace) -> tuple[bool, str]:
    database = open_database(folder / "sessions.duckdb")
    try:
        result = run_sessions(database, sessions=20, writes_each=options.writes)
    finally:
        database.close()
    held = result.present == result.writes and result.errors == 0 and result.verify_ok
    return held, (
        f"concurrent sessions={result.sessions} writes={result.writes} present={result.present} errors={result.errors}"
    )


def backup_restore(folder: Path, options: argparse.Namespace) -> tuple[bool, str]:
    database = open_database(folder / "demo.duckdb")
    try:
        generate(
            database,
            load_checklists(ROOT / "checklists").checklists,
            findings=options.findings,
            seed=2020,
            now=datetime(2026, 3, 20, 9, 30),
        )
        started = time.perf_counter()
        manifest = backup(database, folder / "backup")
        backup_s = time.perf_counter() - started
    finally:
        database.close()
    started = time.perf_counter()
    restore(folder / "backup", folder / "restored.duckdb", key_file=key_path(folder / "demo.duckdb"))
    restore_s = time.perf_counter() - started
    restored = open_database(folder / "restored.duckdb", read_only=True)
    with restored.read() as cursor:
        identical, verified = contents(cursor) == manifest.contents, audit_log.verify(cursor).ok
    restored.close()
    return identical and verified, (
        f"backup findings={manifest.rows('findings')} tables={len(manifest.contents.tables)} "
        f"restored={'identical' if identical else 'DIFFERENT'} verify={word(verified)} "
        f"backup_s={backup_s:.1f} restore_s={restore_s:.1f}"
    )


def bad_input(folder: Path, options: argparse.Namespace) -> tuple[bool, str]:
    """Cases are the value-and-field pairs accepted; each must be stored exactly, no export cell a formula."""
    database = open_database(folder / "bad_input.duckdb")
    try:
        tally = bad_input_check(database, folder)
    finally:
        database.close()
    return tally.stored_exact == tally.cases and tally.formulas_in_exports == 0, tally.line


CHECKS: list[Check] = [crash, concurrent, backup_restore, bad_input]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=20_000, help="demo findings for the backup check")
    parser.add_argument("--writes", type=int, default=10, help="findings each concurrent session saves")
    options = parser.parse_args()
    failed = 0
    for check in CHECKS:
        with tempfile.TemporaryDirectory() as folder:
            held, line = check(Path(folder), options)
        failed += not held
        print(line, flush=True)
    print(f"reliability checks={len(CHECKS)} failed={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

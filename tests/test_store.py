"""The store on real DuckDB files: migrations, the shared write path, locks, the audit log."""

from __future__ import annotations

import subprocess
import sys
import threading

import duckdb
import pytest

from audit.errors import StoreUnavailable
from audit.store import audit_log, open_database
from audit.store.findings import allocate_number, get_finding, insert_finding
from audit.store.migrations import MIGRATIONS, applied
from tests.conftest import ROOT
from tests.factories import make_finding


def test_migrations_are_recorded_and_applied_once(db_path):
    first = open_database(db_path)
    assert applied(first) == [number for number, _, _ in MIGRATIONS]
    first.close()
    second = open_database(db_path)
    assert applied(second) == [number for number, _, _ in MIGRATIONS]
    second.close()


def test_a_failed_write_leaves_nothing_behind(db):
    with pytest.raises(RuntimeError), db.write() as cursor:
        insert_finding(cursor, make_finding("2026-0001"))
        raise RuntimeError("power cut")
    with db.read() as cursor:
        assert cursor.execute("SELECT count(*) FROM findings").fetchone()[0] == 0


def test_finding_numbers_run_per_year(db):
    with db.write() as cursor:
        numbers = [allocate_number(cursor, 2026) for _ in range(3)] + [allocate_number(cursor, 2027)]
    assert numbers == ["2026-0001", "2026-0002", "2026-0003", "2027-0001"]


def test_a_finding_reads_back_as_written(db):
    finding = make_finding("2026-0007", description="<script>alert(1)</script> =SUM(A1)")
    with db.write() as cursor:
        insert_finding(cursor, finding)
    with db.read() as cursor:
        assert get_finding(cursor, finding.id) == finding


def test_twenty_sessions_writing_at_once_lose_nothing(db):
    acknowledged: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def session(worker: int) -> None:
        start.wait()
        for _ in range(10):
            try:
                with db.write() as cursor:
                    finding = make_finding(allocate_number(cursor, 2026), inspector=f"inspector {worker}")
                    insert_finding(cursor, finding)
                    audit_log.append(
                        cursor,
                        actor=finding.inspector,
                        action="finding.recorded",
                        entity="finding",
                        entity_id=finding.id,
                        after={"number": finding.number},
                    )
                acknowledged.append(finding.id)
            except BaseException as error:  # noqa: BLE001 - the test counts every failure
                errors.append(error)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with db.read() as cursor:
        stored = {row[0] for row in cursor.execute("SELECT id FROM findings").fetchall()}
        numbers = [row[0] for row in cursor.execute("SELECT number FROM findings").fetchall()]
        assert audit_log.verify(cursor).checked == 200
        assert audit_log.verify(cursor).ok
    assert stored == set(acknowledged) and len(acknowledged) == 200
    assert len(set(numbers)) == 200


def test_a_second_process_gets_one_clear_message(db, db_path):
    script = (
        "from audit.store import open_database\n"
        "from audit.errors import StoreUnavailable\n"
        "try:\n"
        f"    open_database({str(db_path)!r})\n"
        "except StoreUnavailable as error:\n"
        "    print(error.message)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stderr == ""
    assert str(db_path) in result.stdout
    assert "in use by another program" in result.stdout


def test_the_cli_refuses_a_held_file_without_a_traceback(db, db_path):
    result = subprocess.run(
        [sys.executable, "-m", "audit", "init", "--db", str(db_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(db_path) in result.stderr and "in use by another program" in result.stderr


def test_audit_log_detects_a_changed_entry(db, db_path):
    with db.write() as cursor:
        for n in range(3):
            audit_log.append(
                cursor,
                actor="admin",
                action="site.renamed",
                entity="site",
                entity_id=str(n),
                before={"name": "旧"},
                after={"name": "新"},
            )
    with db.write() as cursor:
        cursor.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
    with db.read() as cursor:
        result = audit_log.verify(cursor)
    assert (result.ok, result.bad_seq) == (False, 2)


def test_readonly_database_refuses_writes_plainly(db_path):
    open_database(db_path).close()
    database = open_database(db_path, read_only=True)
    with pytest.raises(StoreUnavailable, match="read-only"), database.write():
        pass
    database.close()


def test_duckdb_is_the_pinned_release():
    # The ducklake and postgres extensions on PyPI exist for exactly this release.
    assert duckdb.__version__ == "1.5.5"

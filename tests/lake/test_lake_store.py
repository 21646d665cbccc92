"""The store on a lake: what differs from a file (schema, conflicts, the data folder) and what must not."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time

import pytest

from audit import secret_key
from audit.errors import InvalidInput
from audit.store import audit_log, backend, open_database, unit_of_work
from audit.store.findings import insert_finding
from audit.store.invariants import problems
from audit.store.migrations import MIGRATIONS, applied
from tests.conftest import ROOT
from tests.factories import make_finding


def test_a_lake_takes_the_schema_without_indexes_list_defaults_or_boolean_literals():
    sql = (
        "CREATE TABLE t (a VARCHAR[] NOT NULL DEFAULT [], b BOOLEAN NOT NULL DEFAULT false);\n"
        "CREATE INDEX t_by_a ON t (a);\nALTER TABLE t ADD COLUMN c BOOLEAN DEFAULT true;"
    )
    assert backend.lake_ddl(sql) == (
        "CREATE TABLE t (a VARCHAR[] NOT NULL, b BOOLEAN NOT NULL DEFAULT 'false');\n"
        "\nALTER TABLE t ADD COLUMN c BOOLEAN DEFAULT 'true';"
    )


def test_init_creates_a_lake_and_upgrades_it_again_as_a_deploy_step(lake_target):
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "audit", "init", "--db", lake_target], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert "Database ready" in result.stdout
    database = open_database(lake_target)
    assert applied(database) == [number for number, _, _ in MIGRATIONS]
    database.close()


def test_a_lake_without_its_data_folder_is_refused_naming_the_setting(lake_target, monkeypatch):
    monkeypatch.delenv("AUDIT_LAKE_DATA")
    with pytest.raises(InvalidInput) as refused:
        open_database(lake_target)
    assert refused.value.field == "AUDIT_LAKE_DATA"


def _record(cursor, number: str) -> None:
    finding = make_finding(number)
    insert_finding(cursor, finding)
    audit_log.append(cursor, actor="test", action="finding.recorded", entity="finding", entity_id=finding.id)


def _other_host(target: str):
    """A second writer whose turn the lock file does not order, as on a shared disk that carries no locks."""
    database = open_database(target)
    database._turn = contextlib.nullcontext
    return database


def _meanwhile(database) -> None:
    """Another writer commits to the same tables, from a thread of its own as from another process."""

    def write() -> None:
        with database.write() as cursor:
            _record(cursor, "2026-0002")

    other = threading.Thread(target=write)
    other.start()
    other.join()


def _count(database, table: str) -> int:
    with database.read() as cursor:
        return cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_write_that_meets_another_processs_write_is_run_again(lake_target):
    mine, theirs = open_database(lake_target), _other_host(lake_target)
    attempts = []

    @unit_of_work
    def record(database, number: str) -> None:
        with database.write() as cursor:
            _record(cursor, number)
            if not attempts:  # another process commits to the same tables before this one does
                _meanwhile(theirs)
            attempts.append(number)

    record(mine, "2026-0001")
    assert len(attempts) == 2
    assert _count(mine, "findings") == 2
    with mine.read() as cursor:
        assert problems(cursor) == []
        assert audit_log.verify(cursor).ok
    mine.close()
    theirs.close()


def test_a_unit_that_already_committed_a_write_is_not_run_again(lake_target):
    mine, theirs = open_database(lake_target), _other_host(lake_target)
    attempts = []

    @unit_of_work
    def two_writes(database) -> None:
        attempts.append(1)
        with database.write() as cursor:
            insert_finding(cursor, make_finding("2026-0001"))
        with database.write() as cursor:
            audit_log.append(cursor, actor="test", action="finding.recorded", entity="database")
            _meanwhile(theirs)

    with pytest.raises(Exception, match="onflict"):
        two_writes(mine)
    assert len(attempts) == 1
    assert _count(mine, "findings") == 2  # its own first write and the other writer's
    mine.close()
    theirs.close()


def test_check_names_a_finding_number_given_twice(any_db):
    with any_db.write() as cursor:
        insert_finding(cursor, make_finding("2026-0007"))
        insert_finding(cursor, make_finding("2026-0007"))
    with any_db.read() as cursor:
        assert problems(cursor) == ["finding number 2026-0007 occurs 2 times"]


def test_a_lake_is_backed_up_and_restored_as_a_file(lake_target, tmp_path):
    from audit.services import backup

    database = open_database(lake_target)
    with database.write() as cursor:
        _record(cursor, "2026-0001")
    manifest = backup.backup(database, tmp_path / "backup")
    key = secret_key.key_path(database.path)  # in the lake's data folder, shared by its servers
    database.close()
    assert key.parent == tmp_path / "lake-data"
    assert manifest.rows("findings") == 1
    backup.restore(tmp_path / "backup", tmp_path / "restored.duckdb", key_file=key)
    restored = open_database(tmp_path / "restored.duckdb")
    with restored.read() as cursor:
        assert cursor.execute("SELECT number FROM findings").fetchall() == [("2026-0001",)]
        assert audit_log.verify(cursor).ok
    restored.close()


def test_counting_sign_in_attempts_by_update_returning_gives_the_same_on_both_backends(any_db):
    """DuckLake refuses UPDATE ... RETURNING; the lake's cursor does it in three steps with the same result."""
    from datetime import datetime, timedelta

    from audit.store.users import reserve_address

    now = datetime(2026, 3, 1, 9, 0)
    with any_db.write() as cursor:
        counts = [
            reserve_address(cursor, "10.0.0.1", now=now, window_from=now - timedelta(minutes=15), limit=3)
            for _ in range(4)
        ]
        other = reserve_address(cursor, "10.0.0.2", now=now, window_from=now - timedelta(minutes=15), limit=3)
    assert counts == [1, 2, 3, None]
    assert other == 1


OPEN_AT_THE_GATE = """
import sys, time
from pathlib import Path
from audit.store import open_database
Path(sys.argv[1] + ".ready-" + sys.argv[3]).touch()
while not Path(sys.argv[1]).exists():
    time.sleep(0.005)
open_database(sys.argv[2]).close()
"""


def test_processes_opening_a_lake_at_the_same_moment_all_open_it(lake_target, tmp_path):
    """As servers, workers and cron jobs do when a host starts; opening a lake must write nothing."""
    open_database(lake_target).close()
    for round_ in range(2):
        gate = tmp_path / f"gate-{round_}"
        starting = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT_THE_GATE, str(gate), lake_target, str(n)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for n in range(5)
        ]
        while len(list(tmp_path.glob(f"{gate.name}.ready-*"))) < len(starting):
            assert all(process.poll() is None for process in starting)
            time.sleep(0.01)
        gate.touch()
        for process in starting:
            output, _ = process.communicate(timeout=300)
            assert process.returncode == 0, output

"""Disk and lock faults: a plain message, nothing half-written, and recovery once the fault is gone.

The same `Database` object the app caches must work again after the fault: no restart.
"""

from __future__ import annotations

import random
import subprocess
import sys
from contextlib import nullcontext

import pytest

from audit.errors import StoreUnavailable
from audit.secret_key import server_key
from audit.services.backup import backup
from audit.store import audit_log, open_database
from audit.store.findings import allocate_number, get_finding, insert_finding
from tests.conftest import ROOT
from tests.reliability.faults import failing_commits, held_by_another_process, read_only, small_disk
from tests.reliability.records import YEAR, log_verifies, new_finding, record_finding, stored_finding_ids


def long_note() -> str:
    """An inspector's long rectification note (16 KB), more than any slack left on a full disk."""
    rng = random.Random(7)
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(5000))


def save(database, finding):
    """Save what the inspector entered; the caller keeps `finding` whatever happens."""
    with database.write() as cursor:
        finding.number = allocate_number(cursor, YEAR)
        insert_finding(cursor, finding)
        audit_log.append(
            cursor,
            actor=finding.inspector,
            action="finding.recorded",
            entity="finding",
            entity_id=finding.id,
            after={"number": finding.number},
        )


def assert_nothing_half_written(database, before: set[str]):
    assert stored_finding_ids(database) == before
    assert log_verifies(database)


@pytest.mark.parametrize("tmpfs", [True, False], ids=["small-tmpfs", "file-size-limit"])
def test_a_full_disk_is_reported_plainly_and_the_app_recovers(tmp_path, tmpfs):
    with small_disk(tmp_path / "disk", tmpfs=tmpfs) as disk:
        database = open_database(disk.folder / "audit.duckdb")
        earlier = {record_finding(database, "陈明")}
        entered = new_finding("", "陈明", requirement=long_note())
        disk.fill()
        try:
            with pytest.raises(StoreUnavailable) as refused:
                save(database, entered)
            assert refused.value.reason == "disk_full"
            assert "full" in refused.value.message and "Nothing was saved" in refused.value.message
            # A checkpoint that cannot be written makes DuckDB give up on the file.
            with pytest.raises(StoreUnavailable):
                database.checkpoint()
        finally:
            disk.free()
        assert_nothing_half_written(database, earlier)
        save(database, entered)  # the same input, saved once the disk has room again
        with database.read() as cursor:
            assert get_finding(cursor, entered.id) == entered
        assert entered.number == f"{YEAR}-0002"  # the failed attempt used up no number
        assert log_verifies(database)
        database.close()


def test_a_read_only_folder_refuses_the_save_and_recovers(db, db_path):
    earlier = {record_finding(db, "陈明")}
    db.checkpoint()  # the next commit has to create a fresh write-ahead log in the folder
    entered = new_finding("", "陈明")
    injected = failing_commits(db, f'Cannot open file "{db_path}.wal": Read-only file system')
    with read_only(db_path.parent) as arranged, nullcontext() if arranged else injected:
        with pytest.raises(StoreUnavailable) as refused:
            save(db, entered)
    assert refused.value.reason == "read_only"
    assert "read-only" in refused.value.message and str(db_path) in refused.value.message
    assert_nothing_half_written(db, earlier)
    save(db, entered)
    assert stored_finding_ids(db) == earlier | {entered.id}


def test_a_read_only_file_cannot_be_opened_for_writing_but_is_once_writable(db_path):
    open_database(db_path).close()
    with read_only(db_path.parent, db_path) as arranged:
        if arranged:
            with pytest.raises(StoreUnavailable) as refused:
                open_database(db_path)
        else:  # root without the immutable flag: DuckDB's read-only mode stands in for the file's
            database = open_database(db_path, read_only=True)
            with pytest.raises(StoreUnavailable) as refused, database.write():
                pass
            database.close()
    assert refused.value.reason == "read_only" and "read-only" in refused.value.message
    database = open_database(db_path)
    record_finding(database, "陈明")
    database.close()


def test_a_file_held_by_another_process_names_it_and_opens_once_released(db_path):
    open_database(db_path).close()
    with held_by_another_process(db_path) as pid, pytest.raises(StoreUnavailable) as refused:
        open_database(db_path)
    assert refused.value.reason == "locked"
    assert f"process {pid}" in refused.value.message and "in use by another program" in refused.value.message
    database = open_database(db_path)
    assert record_finding(database, "陈明") in stored_finding_ids(database)
    database.close()


def test_an_injected_write_error_leaves_the_same_database_working(db):
    earlier = {record_finding(db, "陈明")}
    entered = new_finding("", "陈明")
    with failing_commits(db, 'Could not write file "audit.duckdb.wal": No space left on device'):
        with pytest.raises(StoreUnavailable, match="full"):
            save(db, entered)
    assert_nothing_half_written(db, earlier)
    save(db, entered)
    assert stored_finding_ids(db) == earlier | {entered.id}


def test_the_cli_points_to_the_admin_page_while_the_app_holds_the_file(db_path, tmp_path):
    open_database(db_path).close()
    with held_by_another_process(db_path):
        result = subprocess.run(
            [sys.executable, "-m", "audit", "backup", "--out", str(tmp_path / "copy"), "--db", str(db_path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Backup button on the admin page" in result.stderr
    assert not (tmp_path / "copy").exists()


@pytest.mark.parametrize("tmpfs", [True, False], ids=["small-tmpfs", "file-size-limit"])
def test_a_backup_onto_a_full_disk_names_that_disk_and_leaves_nothing(db, tmp_path, tmpfs):
    record_finding(db, "陈明", requirement=long_note())
    server_key(db.path)  # made when the server first needs it, long before this disk fills
    with small_disk(tmp_path / "usb", tmpfs=tmpfs) as disk:
        disk.fill()
        try:
            with pytest.raises(StoreUnavailable) as refused:
                backup(db, disk.folder / "backup")
        finally:
            disk.free()
        assert refused.value.reason == "disk_full"
        assert f"The disk holding {disk.folder / 'backup'} is full" in refused.value.message
        assert list(disk.folder.iterdir()) == []
    record_finding(db, "陈明")  # the database itself was never touched

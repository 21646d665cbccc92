"""A write whose connection to the lake's catalog dies: looked up by its id before anything runs again,
so it is neither lost nor saved twice. With a PostgreSQL of the test's own, whose settings it changes."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from audit import settings
from audit.errors import StoreUnavailable
from audit.services import inspections as service
from audit.store import audit_log, backend, db, open_database
from tests import postgres as servers
from tests.lake.scene import INSPECTOR, SITE_ID, set_scene

NOW = datetime(2026, 3, 1, 9, 0)


@pytest.fixture
def catalog(postgres, tmp_path, monkeypatch):
    """A PostgreSQL server of this test alone, so making its commits wait disturbs no other test."""
    server = servers.start()
    monkeypatch.setenv("AUDIT_LAKE_DATA", str(tmp_path / "lake-data"))
    settings.reload()
    yield server
    server.stop()


def _start(database):
    return service.start_inspection(
        database, INSPECTOR, site_id=SITE_ID, checklist_id="transfer_test", inspectors=["陈明"], started_at=NOW, now=NOW
    )


def _in_thread(call) -> dict:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as error:  # handed to the test, which asserts on it
            outcome["error"] = error

    outcome["thread"] = threading.Thread(target=run)
    outcome["thread"].start()
    return outcome


def _waiting_commit(server, database_name: str) -> str:
    """The process id of the catalog connection whose commit waits, once there is one."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pid = server.sql(
            f"SELECT pid FROM pg_stat_activity WHERE datname = '{database_name}' AND wait_event = 'SyncRep' LIMIT 1"
        )
        if pid:
            return pid
        time.sleep(0.1)
    raise AssertionError("no commit came to wait for the standby")


def _inspections(database) -> int:
    with database.read() as cursor:
        return cursor.execute("SELECT count(*) FROM inspections").fetchone()[0]


def test_a_commit_that_landed_but_whose_answer_was_lost_is_found_by_its_id_and_not_made_again(catalog):
    database = open_database(catalog.create_database("answer_lost"))
    set_scene(database)
    # Every commit now waits for a standby that never comes: written and durable, but not answered.
    catalog.sql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
    catalog.sql("SELECT pg_reload_conf()")
    started = _in_thread(lambda: _start(database))
    try:
        catalog.sql(f"SELECT pg_terminate_backend({_waiting_commit(catalog, 'answer_lost')})")
    finally:
        catalog.sql("ALTER SYSTEM RESET synchronous_standby_names")
        catalog.sql("SELECT pg_reload_conf()")
    started["thread"].join(timeout=300)
    assert "error" not in started, started.get("error")
    assert _inspections(database) == 1
    with database.read() as cursor:
        ids = [row[0] for row in cursor.execute("SELECT id FROM inspections").fetchall()]
        assert ids == [started["value"].id]
        assert audit_log.verify(cursor).ok
    database.close()


def test_a_write_cut_off_before_it_landed_is_looked_up_and_runs_again_once(catalog, monkeypatch):
    database = open_database(catalog.create_database("cut_off"))
    set_scene(database)
    looked_up = []
    look_up = db.Database._landed

    def commit_after_a_cut(cursor):
        if not looked_up:  # every catalog connection of the app dies as it is about to commit
            catalog.sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'cut_off' AND pid <> pg_backend_pid()"
            )
        return cursor._cursor.commit()

    def landed(self, unit, lost):
        looked_up.append(unit)
        return look_up(self, unit, lost)

    monkeypatch.setattr(backend.LakeCursor, "commit", commit_after_a_cut, raising=False)
    monkeypatch.setattr(db.Database, "_landed", landed)
    inspection = _start(database)
    assert len(looked_up) == 1  # not landed: run again, once
    with database.read() as cursor:
        assert [row[0] for row in cursor.execute("SELECT id FROM inspections").fetchall()] == [inspection.id]
        assert audit_log.verify(cursor).ok
    database.close()


def test_a_lost_commit_that_cannot_be_looked_up_says_so(catalog):
    database = open_database(catalog.create_database("unknown"))
    set_scene(database)
    catalog.sql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
    catalog.sql("SELECT pg_reload_conf()")
    started = _in_thread(lambda: _start(database))
    try:
        pid = _waiting_commit(catalog, "unknown")
        catalog.run(str(catalog.bin / "pg_ctl"), "-D", str(catalog.folder / "data"), "-m", "immediate", "-w", "stop")
        assert pid
    finally:
        started["thread"].join(timeout=300)
    assert isinstance(started.get("error"), StoreUnavailable)
    assert started["error"].key == "store.error.outcome_unknown"
    database.close()

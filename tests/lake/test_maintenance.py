"""A lake's maintenance: every step runs, the run is recorded for the admin page, one server at a time."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

from audit.services import maintenance
from audit.store import audit_log, open_database
from audit.store import maintenance as store
from audit.store.findings import insert_finding
from tests.conftest import ROOT
from tests.factories import ADMIN, make_finding, store_accounts


def _findings(database, count: int) -> None:
    for number in range(count):  # one commit each, as a server's saves come
        finding = make_finding(f"2026-{number + 1:04d}")
        with database.write() as cursor:
            insert_finding(cursor, finding)
            audit_log.append(cursor, actor="test", action="finding.recorded", entity="finding", entity_id=finding.id)


def test_maintenance_keeps_every_row_and_records_when_it_ran(lake_target):
    database = open_database(lake_target)
    store_accounts(database, ADMIN)
    _findings(database, 12)
    assert maintenance.last_maintenance(database, ADMIN).at is None
    assert maintenance.maintenance_due(database)
    assert maintenance.maintain_lake(database) == "ok"
    run = maintenance.last_maintenance(database, ADMIN)
    assert run.result == "ok" and run.at is not None and run.held_by is None
    assert not maintenance.maintenance_due(database)
    with database.read() as cursor:
        assert cursor.execute("SELECT count(*) FROM findings").fetchone()[0] == 12
        assert store.data_files(cursor) > 0  # the inlined rows are in Parquet files now
        assert audit_log.verify(cursor).ok
    database.close()


def test_a_server_holding_the_lease_keeps_others_off(lake_target):
    database = open_database(lake_target)
    now = datetime.now()
    with database.write() as cursor:
        assert store.take_lease(cursor, "other-host:1", now, now + timedelta(hours=1))
    assert maintenance.maintain_lake(database) is None
    with database.write() as cursor:  # its lease ran out: the next server may take it
        assert store.take_lease(cursor, "other-host:1", now, now - timedelta(seconds=1))
    assert maintenance.maintain_lake(database) == "ok"
    database.close()


def test_a_file_needs_no_maintenance_and_says_so(db_path):
    open_database(db_path).close()
    result = subprocess.run(
        [sys.executable, "-m", "audit", "maintain", "--db", str(db_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "needs no maintenance" in result.stderr

"""Crash safety: a process killed with SIGKILL loses nothing it acknowledged.

A child saves findings one at a time and reports each after its commit; it is killed at
several moments on the same file, twice as a checkpoint starts. After each kill the file
is reopened: every acknowledged finding is there and the audit log verifies. Whether a kill
lands inside the checkpoint or just after it depends on the machine's timing; the promise
holds either way, so the tests check the promise and `bench/reliability.py` reports how many
kills landed inside.
"""

from __future__ import annotations

from audit.store import open_database
from tests.reliability.crash import crash_series, kill_child
from tests.reliability.records import log_verifies, record_finding, stored_finding_ids


def test_nothing_acknowledged_is_lost_when_the_process_is_killed(tmp_path):
    series = crash_series(tmp_path / "audit.duckdb")
    # Killed right after the n-th acknowledgement, or when the checkpoint after it began.
    assert series.acknowledged == 1 + 37 + 50 + 120 + 150
    assert series.present == series.acknowledged
    assert series.verify_ok


def test_the_file_works_normally_after_a_kill_during_a_checkpoint(tmp_path):
    db_path = tmp_path / "audit.duckdb"
    killed = kill_child(db_path, 50, during_checkpoint=True)
    database = open_database(db_path)
    database.checkpoint()
    later = record_finding(database, "陈明")
    assert stored_finding_ids(database) >= {*killed.acknowledged, later}
    assert log_verifies(database)
    database.close()

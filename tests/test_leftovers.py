"""A restore or demo run killed half-way leaves its work files beside the target; the next run
removes them and says so, but never those of a process that is still running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit import settings
from audit.cli import cli
from audit.services.backup import backup
from audit.store import open_database
from tests.conftest import ROOT
from tests.reliability.records import record_finding

KEY = "a-server-key-for-these-tests-only-0123456789"

# Each child runs the real code and stops for good half-way, once its work files exist, so that
# the kill always lands mid-run.
RESTORE_THEN_HANG = """
import sys, time
from audit.services import backup as service
from audit.store import backup as store

load_table = store.load_table
def load_then_hang(cursor, table, columns, path):
    load_table(cursor, table, columns, path)
    open(sys.argv[3], "w").close()
    time.sleep(600)
store.load_table = load_then_hang
service.restore(sys.argv[1], sys.argv[2])
"""
DEMO_THEN_HANG = """
import sys, time
import audit.demo as demo
from audit.checklists import load_checklists

insert_table = demo.store.insert_table
def insert_then_hang(cursor, table, rows):
    insert_table(cursor, table, rows)
    open(sys.argv[3], "w").close()
    time.sleep(600)
demo.store.insert_table = insert_then_hang
demo.generate_file(sys.argv[1], load_checklists(sys.argv[2]).checklists, findings=200, seed=1)
"""


@pytest.fixture(autouse=True)
def one_server_key(monkeypatch):
    monkeypatch.setenv("AUDIT_SECRET_KEY", KEY)
    settings.reload()
    yield
    monkeypatch.delenv("AUDIT_SECRET_KEY")
    settings.reload()


@pytest.fixture
def made(tmp_path):
    database = open_database(tmp_path / "audit.duckdb")
    record_finding(database, "陈明")
    backup(database, tmp_path / "backup")
    database.close()
    return tmp_path / "backup"


def killed_half_way(script: str, *args: str, marker: Path) -> int:
    """Run `script` in a child process, wait until it says it is half-way, kill it; its pid."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args, str(marker)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the child never got half-way: {child.stderr.read().decode()}")
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()
    return child.pid


def work_files(folder: Path, kind: str) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if f".{kind}-" in path.name)


def test_a_killed_restore_is_cleaned_up_by_the_next_one(made, tmp_path):
    target = tmp_path / "restored.duckdb"
    pid = killed_half_way(RESTORE_THEN_HANG, str(made), str(target), marker=tmp_path / "half-way")
    left = work_files(tmp_path, "restoring")
    assert f".restored.duckdb.restoring-{pid}" in left and f".restored.duckdb.restoring-{pid}.files" in left
    assert not target.exists()

    result = CliRunner().invoke(cli, ["restore", "--from", str(made), "--db", str(target)])
    assert result.exit_code == 0, result.output
    for name in left:
        assert (
            f"Removed {tmp_path / name}, left by an interrupted restore (process {pid} is no longer running)."
            in result.output
        )
    assert work_files(tmp_path, "restoring") == [] and target.is_file()


def test_a_killed_demo_is_cleaned_up_by_the_next_one(tmp_path):
    target = tmp_path / "demo.duckdb"
    pid = killed_half_way(DEMO_THEN_HANG, str(target), str(ROOT / "checklists"), marker=tmp_path / "half-way")
    left = work_files(tmp_path, "partial")
    assert f".demo.duckdb.partial-{pid}" in left and not target.exists()

    result = CliRunner().invoke(
        cli, ["demo", "--findings", "30", "--db", str(target), "--checklists", str(ROOT / "checklists")]
    )
    assert result.exit_code == 0, result.output
    for name in left:
        assert (
            f"Removed {tmp_path / name}, left by an interrupted demo run (process {pid} is no longer running)."
            in result.output
        )
    assert work_files(tmp_path, "partial") == [] and target.is_file()


def test_the_work_files_of_a_running_process_are_left_alone(made, tmp_path):
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        theirs = tmp_path / f".restored.duckdb.restoring-{running.pid}"
        theirs.write_bytes(b"another restore at work")
        result = CliRunner().invoke(cli, ["restore", "--from", str(made), "--db", str(tmp_path / "restored.duckdb")])
        assert result.exit_code == 0, result.output
        assert "Removed" not in result.output and theirs.read_bytes() == b"another restore at work"
    finally:
        running.kill()
        running.wait()
    again = CliRunner().invoke(
        cli, ["restore", "--from", str(made), "--db", str(tmp_path / "restored.duckdb"), "--force"]
    )
    assert again.exit_code == 0 and f"Removed {theirs}" in again.output and not theirs.exists()

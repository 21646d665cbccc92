"""Several processes writing one lake at once: nothing acknowledged is lost, uniqueness holds, the log verifies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from audit.store import audit_log, invariants, open_database
from tests.conftest import ROOT
from tests.factories import csv_text, site_row
from tests.lake.scene import set_scene

ROUNDS = 8  # each round: an inspection, four answers, a form, a finding, a fix report (about 70 writes a writer)


def _writer(tmp_path: Path, name: str, shared: str, rounds: int = ROUNDS) -> tuple[subprocess.Popen, Path]:
    journal = tmp_path / f"{name}.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.lake.writer", str(rounds), str(journal), shared],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, journal


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "audit", *args],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _journal(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.endswith("}")]


def _all_present(database, entries: list[dict]) -> None:
    with database.read() as cursor:
        findings = dict(cursor.execute("SELECT id, number FROM findings").fetchall())
        inspections = {row[0] for row in cursor.execute("SELECT id FROM inspections").fetchall()}
        answers = set(cursor.execute("SELECT inspection_id, item_id FROM responses").fetchall())
        fixed = dict(cursor.execute("SELECT id, version FROM findings WHERE status <> 'open'").fetchall())
    for entry in entries:
        if entry["kind"] == "inspection":
            assert entry["id"] in inspections
        elif entry["kind"] == "answer":
            assert (entry["inspection"], entry["item"]) in answers
        elif entry["kind"] == "finding":
            assert findings.get(entry["id"]) == entry["number"]
        elif entry["kind"] == "fix":
            assert fixed.get(entry["id"], 0) >= entry["version"]


def _verified(database) -> None:
    with database.read() as cursor:
        assert invariants.problems(cursor) == []
        assert audit_log.verify(cursor).ok


def test_two_writers_and_the_command_line_at_once_lose_nothing(lake_target, monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_DB", lake_target)
    database = open_database(lake_target)
    shared = set_scene(database)
    writers = [_writer(tmp_path, name, shared) for name in ("first", "second")]
    sites = tmp_path / "sites.csv"
    sites.write_text(csv_text([site_row(f"CLI-{n}") for n in range(3)]), encoding="utf-8")
    command_line = [_cli("sites", "import", str(sites)), _cli("check")]
    for process in command_line:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output
    for process, _ in writers:
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, output
    entries = [entry for _, journal in writers for entry in _journal(journal)]
    assert sum(entry["kind"] == "finding" for entry in entries) == 2 * ROUNDS
    _all_present(database, entries)
    contested = sorted(entry["outcome"] for entry in entries if entry["kind"] == "contested")
    assert contested == ["Conflict", "saved"]
    refusal = next(entry["message"] for entry in entries if entry.get("outcome") == "Conflict")
    assert "guosheng" in refusal or "国胜社区" in refusal  # names who saved first, as on a file
    _verified(database)
    for command in ("verify-log", "check"):
        result = _cli(command)
        output, _ = result.communicate(timeout=300)
        assert result.returncode == 0, output
    database.close()


def test_a_writer_killed_mid_write_loses_nothing_it_acknowledged(lake_target, monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_DB", lake_target)
    database = open_database(lake_target)
    shared = set_scene(database)
    (victim, victim_journal), (survivor, survivor_journal) = (
        _writer(tmp_path, "victim", shared, rounds=200),
        _writer(tmp_path, "survivor", shared, rounds=10),
    )
    deadline = time.monotonic() + 300
    while sum(entry["kind"] == "finding" for entry in _journal(victim_journal)) < 3:
        assert victim.poll() is None and time.monotonic() < deadline, victim.stdout.read() if victim.poll() else ""
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    output, _ = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, output
    _all_present(database, _journal(victim_journal) + _journal(survivor_journal))
    _verified(database)
    database.close()

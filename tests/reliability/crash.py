"""Kill a saving process with SIGKILL and check that nothing it acknowledged was lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from audit.store import open_database
from tests.reliability.records import log_verifies, stored_finding_ids

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT_EVERY = 50
# (acknowledged findings before the kill, whether to wait for the next checkpoint to start)
MOMENTS = [(1, False), (37, False), (50, True), (120, False), (140, True)]


@dataclass(frozen=True)
class Killed:
    acknowledged: list[str]
    in_checkpoint: bool  # SIGKILL landed while a CHECKPOINT was running


@dataclass(frozen=True)
class CrashSeries:
    runs: int
    acknowledged: int
    present: int  # acknowledged findings found after the last reopening
    verify_ok: bool  # the audit log verified after every kill
    in_checkpoint: int


def kill_child(db_path: Path, kill_after: int, during_checkpoint: bool = False) -> Killed:
    """Let the child acknowledge `kill_after` findings (and, if asked, start its next
    checkpoint), then SIGKILL it."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.crash_child",
            str(db_path),
            str(kill_after + 2 * CHECKPOINT_EVERY),
            str(CHECKPOINT_EVERY),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acknowledged: list[str] = []
    started = finished = False
    try:
        for line in child.stdout:
            word, _, value = line.strip().partition(" ")
            acknowledged += [value] if word == "ack" else []
            if len(acknowledged) >= kill_after and word == ("checkpoint" if during_checkpoint else "ack"):
                started = word == "checkpoint"
                break
        child.send_signal(signal.SIGKILL)
        child.wait()
        # What the child wrote before it died tells whether that checkpoint had finished.
        finished = "checkpointed" in child.stdout.read()
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    return Killed(acknowledged, started and not finished)


def crash_series(db_path: Path, moments=MOMENTS) -> CrashSeries:
    """Kill one child after another on the same file; after each, reopen and check the log."""
    acknowledged: list[str] = []
    verify_ok, in_checkpoint = True, 0
    for kill_after, during_checkpoint in moments:
        killed = kill_child(db_path, kill_after, during_checkpoint)
        acknowledged += killed.acknowledged
        in_checkpoint += killed.in_checkpoint
        database = open_database(db_path)
        try:
            verify_ok = verify_ok and log_verifies(database)
            present = len(set(acknowledged) & stored_finding_ids(database))
        finally:
            database.close()
    return CrashSeries(len(moments), len(acknowledged), present, verify_ok, in_checkpoint)

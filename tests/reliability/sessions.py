"""Many sessions saving at once through one Database, and two editing the same finding.

The conflicting edit uses an optimistic version check (saving over a newer version is
refused, naming who changed it), done here at the store level until the ledger's
rectification service, which owns edits, is in main.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from audit.errors import Conflict
from audit.store import audit_log
from audit.store.db import Database
from audit.store.findings import get_finding
from tests.reliability.records import log_verifies, record_finding, stored_finding_ids


def edit_description(database: Database, finding_id: str, seen_version: int, text: str, editor: str) -> None:
    """Save a new description unless someone saved a newer version since `seen_version` was read."""
    with database.write() as cursor:
        current = get_finding(cursor, finding_id)
        if current.version != seen_version:
            raise Conflict(
                f"Finding {current.number} was changed by {current.updated_by} after you opened it. "
                "Reload it to see their change, then edit again."
            )
        cursor.execute(
            "UPDATE findings SET description = ?, version = version + 1, updated_by = ?, updated_at = ? WHERE id = ?",
            [text, editor, datetime.now(), finding_id],
        )
        audit_log.append(
            cursor,
            actor=editor,
            action="finding.edited",
            entity="finding",
            entity_id=finding_id,
            before={"description": current.description},
            after={"description": text},
        )


@dataclass
class Outcome:
    acknowledged: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    edits_saved: list[str] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)  # anything a user should never see
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, name: str, value) -> None:
        with self.lock:
            getattr(self, name).append(value)


@dataclass(frozen=True)
class Concurrency:
    sessions: int
    writes: int
    present: int
    errors: int  # internal errors seen by any session, plus a conflicting edit not refused clearly
    conflicts: list[Conflict]
    edits_saved: list[str]
    verify_ok: bool


def _recording_session(database: Database, number: int, writes: int, start: threading.Barrier, outcome: Outcome):
    start.wait()
    for _ in range(writes):
        try:
            outcome.keep("acknowledged", record_finding(database, inspector=f"inspector {number}"))
        except BaseException as error:  # noqa: BLE001 - every failure is counted
            outcome.keep("failures", error)


def _editing_session(database: Database, finding_id: str, editor: str, start: threading.Barrier, outcome: Outcome):
    with database.read() as cursor:
        seen = get_finding(cursor, finding_id)
    start.wait()
    try:
        edit_description(database, finding_id, seen.version, f"{seen.description}（{editor}补充）", editor)
        outcome.keep("edits_saved", editor)
    except Conflict as conflict:
        outcome.keep("conflicts", conflict)
    except BaseException as error:  # noqa: BLE001
        outcome.keep("failures", error)


def edit_refused_clearly(saved: list[str], conflicts: list[Conflict]) -> bool:
    """Of two simultaneous edits one is saved and the other refused, naming who got there first."""
    return len(saved) == 1 and len(conflicts) == 1 and saved[0] in conflicts[0].message


def run_sessions(database: Database, sessions: int = 20, writes_each: int = 10) -> Concurrency:
    """`sessions` inspectors recording findings and two people editing one finding, all at once."""
    shared = record_finding(database, inspector="陈明")
    outcome = Outcome()
    start = threading.Barrier(sessions + 2)
    threads = [
        threading.Thread(target=_recording_session, args=(database, n, writes_each, start, outcome))
        for n in range(sessions)
    ]
    threads += [
        threading.Thread(target=_editing_session, args=(database, shared, editor, start, outcome))
        for editor in ("李华", "王芳")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    present = len(set(outcome.acknowledged) & stored_finding_ids(database))
    errors = len(outcome.failures) + (not edit_refused_clearly(outcome.edits_saved, outcome.conflicts))
    return Concurrency(
        sessions,
        len(outcome.acknowledged),
        present,
        errors,
        outcome.conflicts,
        outcome.edits_saved,
        log_verifies(database),
    )

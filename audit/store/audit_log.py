"""The append-only audit log, chained by hashes.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
deleting, reordering or inserting any past entry breaks the chain at that point.
Entries are appended inside the caller's transaction, together with the change itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

GENESIS = "0" * 64


def _canonical(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))


def entry_hash(seq: int, logged_at: str, actor: str, action: str, entity: str,
               entity_id: str | None, before: str | None, after: str | None, prev_hash: str) -> str:
    payload = json.dumps(
        [seq, logged_at, actor, action, entity, entity_id, before, after, prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(cursor: duckdb.DuckDBPyConnection, *, actor: str, action: str, entity: str,
           entity_id: str | None = None, before=None, after=None) -> int:
    """Add one entry in the current transaction; returns its sequence number."""
    last = cursor.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    logged_at = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")
    before_json, after_json = _canonical(before), _canonical(after)
    digest = entry_hash(seq, logged_at, actor, action, entity, entity_id, before_json, after_json, prev_hash)
    cursor.execute(
        "INSERT INTO audit_log VALUES (?, ?::TIMESTAMP, ?, ?, ?, ?, ?::JSON, ?::JSON, ?, ?)",
        [seq, logged_at, actor, action, entity, entity_id, before_json, after_json, prev_hash, digest],
    )
    return seq


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    bad_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_seq is None


def verify(cursor: duckdb.DuckDBPyConnection) -> VerifyResult:
    """Walk the chain in order; report the first entry that does not verify."""
    rows = cursor.execute(
        "SELECT seq, strftime(logged_at, '%Y-%m-%dT%H:%M:%S.%f'), actor, action, entity, entity_id, "
        "before::VARCHAR, after::VARCHAR, prev_hash, hash FROM audit_log ORDER BY seq"
    ).fetchall()
    prev_hash, expected_seq = GENESIS, 1
    for count, row in enumerate(rows):
        seq, logged_at, actor, action, entity, entity_id, before, after, stored_prev, stored = row
        if seq != expected_seq:
            missing = "missing" if seq > expected_seq else "out of order or duplicated"
            return VerifyResult(count, expected_seq, f"entry {expected_seq} is {missing}")
        if stored_prev != prev_hash:
            return VerifyResult(count, seq, "does not follow the entry before it")
        if entry_hash(seq, logged_at, actor, action, entity, entity_id, before, after, stored_prev) != stored:
            return VerifyResult(count, seq, "its content does not match its hash")
        prev_hash, expected_seq = stored, seq + 1
    return VerifyResult(len(rows))


def history(cursor: duckdb.DuckDBPyConnection, entity: str, entity_id: str) -> list[dict]:
    rows = cursor.execute(
        "SELECT seq, logged_at, actor, action, before::VARCHAR, after::VARCHAR FROM audit_log "
        "WHERE entity = ? AND entity_id = ? ORDER BY seq",
        [entity, entity_id],
    ).fetchall()
    return [
        {"seq": r[0], "at": r[1], "actor": r[2], "action": r[3],
         "before": json.loads(r[4]) if r[4] else None, "after": json.loads(r[5]) if r[5] else None}
        for r in rows
    ]

"""The append-only audit log, chained by hashes.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
deleting, reordering or inserting any past entry breaks the chain at that point.
Entries are appended inside the caller's transaction, together with the change itself.
The last entry's seq and hash are also kept in `meta`, so cutting entries off the end shows too.
Each entry also records the content hash of every audited row it changed (`row_state`), and its
hash covers them, so the data itself is checked against the log, not only the log.
Someone holding the file could still recompute the whole chain; hashes written down elsewhere
(`verify-log` prints the newest) and checked later as anchors catch that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from audit.store import row_state
from audit.store.row_state import Key, RowProblem

GENESIS = "0" * 64
HEAD = "audit_log.head"
_BATCH = 10_000


def _canonical(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))


def entry_hash(
    seq: int,
    logged_at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    before: str | None,
    after: str | None,
    prev_hash: str,
    rows_digest: str | None = None,
) -> str:
    fields = [seq, logged_at, actor, action, entity, entity_id, before, after, prev_hash]
    if rows_digest is not None:  # entries that record no rows hash as they always did
        fields.append(rows_digest)
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    cursor: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None = None,
    before=None,
    after=None,
    rows: Mapping[str, Iterable[Key]] | None = None,
    rows_where: Mapping[str, tuple[str, Sequence]] | None = None,
    rows_from: Mapping[str, str] | None = None,
) -> int:
    """Add one entry in the current transaction, with the new state of the rows it changed.

    The row the entry names (`entity` "finding", "user", "site" or "inspection" and its id) is
    recorded by itself; `rows` names other changed rows by table and key, `rows_where` selects
    many rows of a table at once (`{"findings": ("inspection_id = ?", [id])}`), `rows_from` names a
    relation holding rows just bulk-loaded into a table (`row_state.record_from`). Call it after
    the change, so the rows are recorded as they now are; a named row that is gone is recorded
    as deleted. Returns the entry's sequence number.

    Callers hold Database.write(), whose lock serialises appends, so two entries never share a seq.
    """
    last = cursor.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    named = dict(rows or {})
    if entity in row_state.ENTITY_TABLES and entity_id is not None:
        table = row_state.ENTITY_TABLES[entity]
        named[table] = [entity_id, *named.get(table, ())]
    for table, keys in named.items():
        row_state.record(cursor, seq, table, keys)
    for table, (where, params) in (rows_where or {}).items():
        row_state.record_where(cursor, seq, table, where, params)
    for table, source in (rows_from or {}).items():
        row_state.record_from(cursor, seq, table, source)
    rows_digest = row_state.digest(cursor, seq)
    # Stored as TIMESTAMP and read back with the same six-digit format, so the hash input round-trips.
    logged_at = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    before_json, after_json = _canonical(before), _canonical(after)
    digest = entry_hash(
        seq, logged_at, actor, action, entity, entity_id, before_json, after_json, prev_hash, rows_digest
    )
    cursor.execute(
        "INSERT INTO audit_log (seq, logged_at, actor, action, entity, entity_id, before, after, prev_hash, hash, "
        "rows_digest) VALUES (?, ?::TIMESTAMP, ?, ?, ?, ?, ?::JSON, ?::JSON, ?, ?, ?)",
        [seq, logged_at, actor, action, entity, entity_id, before_json, after_json, prev_hash, digest, rows_digest],
    )
    _record_head(cursor, seq, digest)
    return seq


def _record_head(cursor: duckdb.DuckDBPyConnection, seq: int, digest: str) -> None:
    """Keep the last entry's seq and hash apart from the log, so a cut-off tail shows."""
    value = f"{seq}:{digest}"
    if cursor.execute("SELECT count(*) FROM meta WHERE name = ?", [HEAD]).fetchone()[0]:
        cursor.execute("UPDATE meta SET value = ? WHERE name = ?", [value, HEAD])
    else:
        cursor.execute("INSERT INTO meta VALUES (?, ?)", [HEAD, value])


def head(cursor: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """The (seq, hash) recorded by the last append, or None for a log never written to."""
    row = cursor.execute("SELECT value FROM meta WHERE name = ?", [HEAD]).fetchone()
    if row is None:
        return None
    seq, digest = row[0].split(":", 1)
    return int(seq), digest


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    bad_seq: int | None = None
    reason: str = ""
    last_hash: str = GENESIS
    code: str = ""  # what went wrong, for a page to say in its own language
    rows: tuple[RowProblem, ...] = ()  # audited rows that differ from what the log recorded
    rows_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.bad_seq is None and not self.rows


def _entries(cursor: duckdb.DuckDBPyConnection) -> Iterator[tuple]:
    """Every entry in seq order, fetched in batches so a long log never sits in memory whole."""
    rows_digest = "rows_digest" if row_state.recorded(cursor) else "NULL"
    result = cursor.execute(
        "SELECT seq, strftime(logged_at, '%Y-%m-%dT%H:%M:%S.%f'), actor, action, entity, entity_id, "
        f"before::VARCHAR, after::VARCHAR, prev_hash, hash, {rows_digest} FROM audit_log ORDER BY seq"
    )
    while rows := result.fetchmany(_BATCH):
        yield from rows


def _check(row: tuple, expected_seq: int, prev_hash: str, anchors: Mapping[int, str]) -> tuple | None:
    seq, logged_at, actor, action, entity, entity_id, before, after, stored_prev, stored, rows_digest = row
    if seq != expected_seq:
        if seq > expected_seq:
            return expected_seq, f"entry {expected_seq} is missing", "missing"
        return expected_seq, f"entry {expected_seq} is out of order or duplicated", "duplicated"
    if stored_prev != prev_hash:
        return seq, "does not follow the entry before it", "broken_link"
    if entry_hash(seq, logged_at, actor, action, entity, entity_id, before, after, stored_prev, rows_digest) != stored:
        return seq, "its content does not match its hash", "changed"
    if seq in anchors and anchors[seq] != stored:
        return seq, "its hash differs from the one recorded earlier (the log was rewritten)", "rewritten"
    return None


def verify(cursor: duckdb.DuckDBPyConnection, anchors: Mapping[int, str] | None = None) -> VerifyResult:
    """Walk the chain in order and report the first entry that does not verify; then check the
    audited rows against the hashes the log recorded for them.

    `anchors` are {seq: hash} pairs written down earlier (verify-log prints the head):
    a log recomputed from scratch by someone holding the file no longer matches them.
    """
    anchors = anchors or {}
    prev_hash, expected_seq, count = GENESIS, 1, 0
    rows, rows_checked = row_state.check(cursor)
    for row in _entries(cursor):
        problem = _check(row, expected_seq, prev_hash, anchors)
        if problem:
            return _failed(problem, prev_hash, rows, rows_checked)
        prev_hash, expected_seq, count = row[9], row[0] + 1, count + 1
    problem = _check_end(head(cursor), count, prev_hash, anchors)
    if problem:
        return _failed(problem, prev_hash, rows, rows_checked)
    return VerifyResult(count, last_hash=prev_hash, rows=tuple(rows), rows_checked=rows_checked)


def _failed(problem: tuple, last_hash: str, rows: list[RowProblem], rows_checked: int) -> VerifyResult:
    """`checked` counts the entries before the bad one: those are intact."""
    seq, reason, code = problem
    return VerifyResult(seq - 1, seq, reason, last_hash, code, tuple(rows), rows_checked)


def _check_end(
    recorded: tuple[int, str] | None, last_seq: int, last_hash: str, anchors: Mapping[int, str]
) -> tuple | None:
    beyond = sorted(seq for seq in anchors if seq > last_seq)
    if beyond:
        return (
            last_seq + 1,
            f"entry {last_seq + 1} is missing (the log ends early; entry {beyond[0]} was recorded)",
            "cut",
        )
    if recorded is None:
        return None
    head_seq, head_hash = recorded
    if head_seq > last_seq:
        return (
            last_seq + 1,
            f"entry {last_seq + 1} is missing (the log ends early; {head_seq} entries were written)",
            "cut",
        )
    if head_seq < last_seq:
        return head_seq + 1, "it was added to the log from outside the application", "outside"
    if head_hash != last_hash:
        return head_seq, "its hash differs from the one recorded when it was written", "rewritten"
    return None


def history(cursor: duckdb.DuckDBPyConnection, entity: str, entity_id: str) -> list[dict]:
    rows = cursor.execute(
        "SELECT seq, logged_at, actor, action, before::VARCHAR, after::VARCHAR FROM audit_log "
        "WHERE entity = ? AND entity_id = ? ORDER BY seq",
        [entity, entity_id],
    ).fetchall()
    return [
        {
            "seq": r[0],
            "at": r[1],
            "actor": r[2],
            "action": r[3],
            "before": json.loads(r[4]) if r[4] else None,
            "after": json.loads(r[5]) if r[5] else None,
        }
        for r in rows
    ]

"""Findings: insert, read back, and the per-year human numbers (2026-0412)."""

from __future__ import annotations

from dataclasses import asdict, fields

import duckdb

from audit.model import Finding, Severity, Status, finding_number
from audit.store import ledger_counts, search_index, verification_queue

COLUMNS = [
    "id",
    "number",
    "inspection_id",
    "site_id",
    "checklist_id",
    "item_id",
    "description",
    "severity",
    "immediate_measure",
    "responsible_unit",
    "responsible_person",
    "requirement",
    "deadline",
    "status",
    "found_at",
    "inspector",
    "fix_report",
    "reported_by",
    "reported_at",
    "verifier",
    "closed_at",
    "version",
    "updated_at",
    "updated_by",
    "self_reported",
]
_FIELD_NAMES = {f.name for f in fields(Finding)}


def allocate_number(cursor: duckdb.DuckDBPyConnection, year: int) -> str:
    """Next number of the year; callers hold the write lock, so numbers never collide."""
    name = f"finding-{year}"
    current = cursor.execute("SELECT value FROM sequences WHERE name = ?", [name]).fetchone()
    if current is None:
        value = 1
        cursor.execute("INSERT INTO sequences VALUES (?, ?)", [name, value])
    else:
        value = current[0] + 1
        cursor.execute("UPDATE sequences SET value = ? WHERE name = ?", [value, name])
    return finding_number(year, value)


def insert_finding(cursor: duckdb.DuckDBPyConnection, finding: Finding) -> None:
    values = asdict(finding)
    repeat_of = finding.repeat_of[0] if finding.repeat_of else None
    row = [values[c].value if hasattr(values[c], "value") else values[c] for c in COLUMNS]
    placeholders = ", ".join("?" for _ in COLUMNS)
    search_key = search_index.add_finding(cursor, finding.number, finding.description)
    cursor.execute(
        f"INSERT INTO findings ({', '.join(COLUMNS)}, repeat_of, is_repeat, search_key) "
        f"VALUES ({placeholders}, ?, ?, ?)",
        row + [repeat_of, repeat_of is not None, search_key],
    )
    ledger_counts.moved(cursor, None, ledger_counts.of_finding(cursor, finding.id))
    if finding.status is Status.AWAITING_VERIFICATION:  # an imported ledger's
        verification_queue.finding_changed(cursor, finding.id)


def _finding(row: tuple, names: list[str]) -> Finding:
    data = dict(zip(names, row))
    repeat_of = data.pop("repeat_of", None)
    data.pop("is_repeat", None)
    data = {key: value for key, value in data.items() if key in _FIELD_NAMES}
    data["severity"] = Severity(data["severity"])
    data["status"] = Status(data["status"])
    for text in ("immediate_measure", "responsible_person", "requirement", "fix_report"):
        data[text] = data.get(text) or ""
    return Finding(**data, repeat_of=[repeat_of] if repeat_of else [])


def get_finding(cursor: duckdb.DuckDBPyConnection, finding_id: str) -> Finding | None:
    result = cursor.execute("SELECT * FROM findings WHERE id = ?", [finding_id])
    row = result.fetchone()
    if row is None:
        return None
    return _finding(row, [d[0] for d in result.description])


def findings_of_inspection(cursor: duckdb.DuckDBPyConnection, inspection_id: str) -> list[Finding]:
    result = cursor.execute("SELECT * FROM findings WHERE inspection_id = ? ORDER BY number", [inspection_id])
    names = [d[0] for d in result.description]
    return [_finding(row, names) for row in result.fetchall()]


def findings_of_inspections(cursor: duckdb.DuckDBPyConnection, inspection_ids: list[str]) -> dict[str, list[Finding]]:
    """The findings of several inspections in one query, by inspection id (each listed, maybe empty)."""
    found: dict[str, list[Finding]] = {inspection_id: [] for inspection_id in inspection_ids}
    if not inspection_ids:
        return found
    result = cursor.execute(
        "SELECT * FROM findings WHERE inspection_id IN (SELECT unnest(?)) ORDER BY number", [inspection_ids]
    )
    names = [d[0] for d in result.description]
    for row in result.fetchall():
        finding = _finding(row, names)
        found[finding.inspection_id].append(finding)
    return found


# --- the life cycle: versioned updates and the events of each step ------------------------

UPDATABLE = {
    "status",
    "fix_report",
    "reported_by",
    "reported_at",
    "verifier",
    "closed_at",
    "responsible_unit",
    "responsible_person",
    "deadline",
    "requirement",
}


def update_finding(
    cursor: duckdb.DuckDBPyConnection, finding_id: str, expected_version: int, changes: dict, *, actor: str, now
) -> bool:
    """Apply `changes` only if the row still has `expected_version`; False when it moved on."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"findings cannot be updated in {sorted(unknown)}")
    counted = {"status", "deadline"} & changes.keys()
    before = ledger_counts.of_finding(cursor, finding_id) if counted else None
    names = sorted(changes)
    assignments = ", ".join(f"{name} = ?" for name in names)
    values = [getattr(changes[n], "value", changes[n]) for n in names]
    updated = cursor.execute(
        f"UPDATE findings SET {assignments}, version = version + 1, updated_at = ?, updated_by = ? "
        "WHERE id = ? AND version = ?",
        values + [now, actor, finding_id, expected_version],
    ).fetchone()[0]
    if updated == 1 and {"status", "reported_at"} & changes.keys():
        verification_queue.finding_changed(cursor, finding_id)
    if updated == 1 and counted:
        ledger_counts.moved(cursor, before, ledger_counts.of_finding(cursor, finding_id))
    return updated == 1


def insert_event(
    cursor: duckdb.DuckDBPyConnection,
    *,
    id: str,
    finding_id: str,
    happened_at,
    actor: str,
    action: str,
    from_status: str | None,
    to_status: str | None,
    note: str = "",
) -> None:
    cursor.execute(
        "INSERT INTO finding_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [id, finding_id, happened_at, actor, action, from_status, to_status, note],
    )


def events_of_finding(cursor: duckdb.DuckDBPyConnection, finding_id: str) -> list[dict]:
    result = cursor.execute(
        # Steps taken in the same instant keep the order the audit log gave them.
        "SELECT e.id, e.happened_at, e.actor, e.action, e.from_status, e.to_status, e.note "
        "FROM finding_events e LEFT JOIN audit_log a "
        "ON a.entity = 'finding' AND a.entity_id = e.finding_id AND (a.after->>'event') = e.id "
        "WHERE e.finding_id = ? ORDER BY e.happened_at, a.seq, e.id",
        [finding_id],
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def raise_sequence(cursor: duckdb.DuckDBPyConnection, year: int, value: int) -> None:
    """Make sure the year's next number comes after `value` (numbers kept from an imported ledger)."""
    name = f"finding-{year}"
    current = cursor.execute("SELECT value FROM sequences WHERE name = ?", [name]).fetchone()
    if current is None:
        cursor.execute("INSERT INTO sequences VALUES (?, ?)", [name, value])
    elif current[0] < value:
        cursor.execute("UPDATE sequences SET value = ? WHERE name = ?", [value, name])

"""Findings: insert, read back, and the per-year human numbers (2026-0412)."""

from __future__ import annotations

from dataclasses import asdict, fields

import duckdb

from audit.model import Finding, Severity, Status, finding_number

COLUMNS = [
    "id", "number", "inspection_id", "site_id", "checklist_id", "item_id", "description",
    "severity", "immediate_measure", "responsible_unit", "responsible_person", "requirement",
    "deadline", "status", "found_at", "inspector", "fix_report", "reported_by", "reported_at", "verifier",
    "closed_at", "version", "updated_at", "updated_by",
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
    row = [
        values[c].value if hasattr(values[c], "value") else values[c] for c in COLUMNS
    ]
    placeholders = ", ".join("?" for _ in COLUMNS)
    cursor.execute(
        f"INSERT INTO findings ({', '.join(COLUMNS)}, repeat_of, is_repeat) VALUES ({placeholders}, ?, ?)",
        row + [repeat_of, repeat_of is not None],
    )


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
    result = cursor.execute(
        "SELECT * FROM findings WHERE inspection_id = ? ORDER BY number", [inspection_id]
    )
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

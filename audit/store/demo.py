"""Bulk writes for the demo generator: whole Arrow tables in one statement each.

Row-by-row inserts would take hours for a million findings; `INSERT ... SELECT` from a
registered Arrow table takes seconds, inside the caller's transaction.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pyarrow as pa

from audit.checklists import checklist_to_dict
from audit.model import Checklist
from audit.store import audit_log

BULK_TABLES = ("inspections", "responses", "findings", "finding_events")


def ensure_checklists(cursor: duckdb.DuckDBPyConnection, checklists: list[Checklist], now: datetime) -> int:
    """Record each checklist version the demo inspections were made against, unless already there."""
    added = 0
    for checklist in checklists:
        known = cursor.execute(
            "SELECT count(*) FROM checklists WHERE id = ? AND version = ? AND content_hash = ?",
            [checklist.id, checklist.version, checklist.content_hash],
        ).fetchone()[0]
        if known:
            continue
        # The same JSON shape as checklist registration, so pages can read these versions back.
        content = json.dumps(checklist_to_dict(checklist), ensure_ascii=False)
        cursor.execute(
            "INSERT INTO checklists (id, version, content_hash, title_zh, title_en, content, first_seen) "
            "VALUES (?, ?, ?, ?, ?, ?::JSON, ?)",
            [
                checklist.id,
                checklist.version,
                checklist.content_hash,
                checklist.title.zh,
                checklist.title.en,
                content,
                now,
            ],
        )
        added += 1
    return added


def insert_table(cursor: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Append an Arrow table whose column names are columns of `table`."""
    if table not in BULK_TABLES:
        raise ValueError(f"not a bulk-loaded table: {table}")
    columns = ", ".join(rows.column_names)
    cursor.register("demo_rows", rows)
    try:
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM demo_rows")
    finally:
        cursor.unregister("demo_rows")


def finding_sequences(cursor: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """The last finding number used in each year, so generated numbers continue from it."""
    rows = cursor.execute("SELECT name, value FROM sequences WHERE name LIKE 'finding-%'").fetchall()
    return {int(name.removeprefix("finding-")): value for name, value in rows}


def set_finding_sequences(cursor: duckdb.DuckDBPyConnection, last: dict[int, int]) -> None:
    for year, value in sorted(last.items()):
        name = f"finding-{year}"
        cursor.execute("DELETE FROM sequences WHERE name = ?", [name])
        cursor.execute("INSERT INTO sequences VALUES (?, ?)", [name, value])


def log_generated(
    cursor: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], *, actor: str, after: dict, sites_added: bool
) -> int:
    """The demo's one log entry, recording the hash of every row it added, set by set."""
    inspections = tables.get("inspections", pa.table({"id": pa.array([], pa.string())})).select(["id"])
    findings = tables.get("findings", pa.table({"id": pa.array([], pa.string())})).select(["id"])
    cursor.register("demo_inspection_ids", inspections)
    cursor.register("demo_finding_ids", findings)
    new_inspections, new_findings = "SELECT id FROM demo_inspection_ids", "SELECT id FROM demo_finding_ids"
    rows = {
        "inspections": (f"id IN ({new_inspections})", []),
        "responses": (f"inspection_id IN ({new_inspections})", []),
        "findings": (f"id IN ({new_findings})", []),
        "finding_events": (f"finding_id IN ({new_findings})", []),
    }
    if sites_added:
        rows["sites"] = ("true", [])
    try:
        return audit_log.append(
            cursor, actor=actor, action="demo.generated", entity="database", after=after, rows_where=rows
        )
    finally:
        cursor.unregister("demo_inspection_ids")
        cursor.unregister("demo_finding_ids")

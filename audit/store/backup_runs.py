"""The outcome of the latest backup, kept in `meta` so the admin page and the scheduler agree."""

from __future__ import annotations

import json

import duckdb

NAME = "backup.last"


def record_backup_run(cursor: duckdb.DuckDBPyConnection, run: dict) -> None:
    value = json.dumps(run, ensure_ascii=False, sort_keys=True)
    cursor.execute("DELETE FROM meta WHERE name = ?", [NAME])
    cursor.execute("INSERT INTO meta VALUES (?, ?)", [NAME, value])


def last_backup_run(cursor: duckdb.DuckDBPyConnection) -> dict | None:
    row = cursor.execute("SELECT value FROM meta WHERE name = ?", [NAME]).fetchone()
    return json.loads(row[0]) if row else None

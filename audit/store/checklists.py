"""Every checklist version inspections were made against: one row per (id, content hash).

Rows are never changed, so an old inspection can always be shown in the wording it used.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

from audit.checklists import checklist_from_dict, checklist_to_dict
from audit.model import Checklist


def register(cursor: duckdb.DuckDBPyConnection, checklist: Checklist, source_file: str | None) -> bool:
    """Store this version unless it is already there; True when a row was added."""
    known = cursor.execute(
        "SELECT count(*) FROM checklists WHERE id = ? AND content_hash = ?", [checklist.id, checklist.content_hash]
    ).fetchone()[0]
    if known:
        return False
    cursor.execute(
        "INSERT INTO checklists (id, version, content_hash, title_zh, title_en, source_file, content, first_seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?::JSON, ?)",
        [
            checklist.id,
            checklist.version,
            checklist.content_hash,
            checklist.title.zh,
            checklist.title.en,
            source_file,
            json.dumps(checklist_to_dict(checklist), ensure_ascii=False),
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )
    return True


def get_version(cursor: duckdb.DuckDBPyConnection, checklist_id: str, content_hash: str) -> Checklist | None:
    row = cursor.execute(
        "SELECT content::VARCHAR FROM checklists WHERE id = ? AND content_hash = ? LIMIT 1",
        [checklist_id, content_hash],
    ).fetchone()
    return checklist_from_dict(json.loads(row[0])) if row else None


def latest(cursor: duckdb.DuckDBPyConnection) -> list[Checklist]:
    """The newest version of each checklist: highest version number, then last registered."""
    rows = cursor.execute(
        "SELECT content::VARCHAR FROM checklists "
        "QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC, first_seen DESC) = 1 "
        "ORDER BY id"
    ).fetchall()
    return [checklist_from_dict(json.loads(row[0])) for row in rows]

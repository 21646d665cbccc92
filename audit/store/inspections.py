"""Inspections, their answers and the finding forms filled in while the inspection is a draft.

Every answer and every field of a finding form is written as it is given, so the draft
lives here and not in a browser session. Reads are narrow point queries by inspection
id: drawing an inspection never scans the findings of other inspections.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import duckdb

from audit.model import EarlierFinding, FindingDraft, Inspection, InspectionLine, Response, Result, Severity
from audit.store import backend, verification_queue
from audit.store.backend import cached

_INSPECTION_COLUMNS = (
    "id, site_id, checklist_id, checklist_version, checklist_hash, inspectors, started_at, status, "
    "created_by, submitted_at, score, version, updated_at, updated_by, coalesce(self_reported, false)"
)
_DRAFT_FIELDS = (
    "id",
    "inspection_id",
    "item_id",
    "severity",
    "created_at",
    "updated_at",
    "updated_by",
    "description",
    "immediate_measure",
    "responsible_unit",
    "responsible_person",
    "requirement",
    "deadline",
    "photos",
    "earlier",
    "recorded",
)


def insert_inspection(cursor: duckdb.DuckDBPyConnection, inspection: Inspection) -> None:
    names = _INSPECTION_COLUMNS.replace("coalesce(self_reported, false)", "self_reported")
    values = [getattr(inspection, name.strip()) for name in names.split(",")]
    cursor.execute(f"INSERT INTO inspections ({names}) VALUES ({', '.join('?' for _ in values)})", values)


def get_inspection(cursor: duckdb.DuckDBPyConnection, inspection_id: str) -> Inspection | None:
    def read() -> Inspection | None:
        row = cursor.execute(f"SELECT {_INSPECTION_COLUMNS} FROM inspections WHERE id = ?", [inspection_id]).fetchone()
        return Inspection(*row) if row else None

    return cached(cursor, ("inspection", inspection_id), ("inspections",), read)


def update_inspection(cursor: duckdb.DuckDBPyConnection, inspection: Inspection) -> None:
    """Write back the changeable fields of an inspection (status, team, time, score, version)."""
    cursor.execute(
        "UPDATE inspections SET inspectors = ?, started_at = ?, status = ?, submitted_at = ?, score = ?, "
        "version = ?, updated_at = ?, updated_by = ? WHERE id = ?",
        [
            inspection.inspectors,
            inspection.started_at,
            inspection.status,
            inspection.submitted_at,
            inspection.score,
            inspection.version,
            inspection.updated_at,
            inspection.updated_by,
            inspection.id,
        ],
    )
    verification_queue.team_changed(cursor, inspection.id, inspection.inspectors)


def touch_inspection(cursor: duckdb.DuckDBPyConnection, inspection_id: str, at: datetime, by: str) -> None:
    cursor.execute("UPDATE inspections SET updated_at = ?, updated_by = ? WHERE id = ?", [at, by, inspection_id])


def responses_of(cursor: duckdb.DuckDBPyConnection, inspection_id: str) -> dict[str, Response]:
    def read() -> dict[str, Response]:
        rows = cursor.execute(
            "SELECT inspection_id, item_id, result, value, text, answered_at, answered_by "
            "FROM responses WHERE inspection_id = ?",
            [inspection_id],
        ).fetchall()
        return {row[1]: _response(row) for row in rows}

    return cached(cursor, ("responses", inspection_id), ("responses",), read)


def _response(row: tuple) -> Response:
    result = Result(row[2]) if row[2] else None
    return Response(row[0], row[1], result, row[3], row[4], row[5], row[6])


def put_response(cursor: duckdb.DuckDBPyConnection, response: Response) -> None:
    """One answer per item: a new answer replaces the one before it."""
    delete_response(cursor, response.inspection_id, response.item_id)
    cursor.execute(
        "INSERT INTO responses (inspection_id, item_id, result, value, text, answered_at, answered_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            response.inspection_id,
            response.item_id,
            response.result.value if response.result else None,
            response.value,
            response.text,
            response.answered_at,
            response.answered_by,
        ],
    )


def delete_response(cursor: duckdb.DuckDBPyConnection, inspection_id: str, item_id: str) -> None:
    cursor.execute("DELETE FROM responses WHERE inspection_id = ? AND item_id = ?", [inspection_id, item_id])


def insert_draft(cursor: duckdb.DuckDBPyConnection, draft: FindingDraft) -> None:
    values = [_draft_value(draft, name) for name in _DRAFT_FIELDS]
    cursor.execute(
        f"INSERT INTO finding_drafts ({', '.join(_DRAFT_FIELDS)}) VALUES ({', '.join('?' for _ in values)})", values
    )


def _draft_value(draft: FindingDraft, name: str):
    value = getattr(draft, name)
    return value.value if isinstance(value, Severity) else value


def update_draft(cursor: duckdb.DuckDBPyConnection, draft: FindingDraft) -> None:
    names = _DRAFT_FIELDS[3:]
    cursor.execute(
        f"UPDATE finding_drafts SET {', '.join(f'{name} = ?' for name in names)} WHERE id = ?",
        [_draft_value(draft, name) for name in names] + [draft.id],
    )


def get_draft(cursor: duckdb.DuckDBPyConnection, draft_id: str) -> FindingDraft | None:
    row = cursor.execute(f"SELECT {', '.join(_DRAFT_FIELDS)} FROM finding_drafts WHERE id = ?", [draft_id]).fetchone()
    return _draft(row) if row else None


def drafts_of(cursor: duckdb.DuckDBPyConnection, inspection_id: str) -> list[FindingDraft]:
    def read() -> list[FindingDraft]:
        rows = cursor.execute(
            f"SELECT {', '.join(_DRAFT_FIELDS)} FROM finding_drafts WHERE inspection_id = ? ORDER BY created_at, id",
            [inspection_id],
        ).fetchall()
        return [_draft(row) for row in rows]

    return cached(cursor, ("drafts", inspection_id), ("finding_drafts",), read)


def _draft(row: tuple) -> FindingDraft:
    draft = FindingDraft(**dict(zip(_DRAFT_FIELDS, row)))
    return replace(draft, severity=Severity(draft.severity), photos=list(draft.photos), earlier=list(draft.earlier))


def delete_draft(cursor: duckdb.DuckDBPyConnection, draft_id: str) -> None:
    cursor.execute("DELETE FROM finding_drafts WHERE id = ?", [draft_id])


def delete_drafts_of(cursor: duckdb.DuckDBPyConnection, inspection_id: str) -> None:
    cursor.execute("DELETE FROM finding_drafts WHERE inspection_id = ?", [inspection_id])


def earlier_failures(
    cursor: duckdb.DuckDBPyConnection,
    *,
    site_id: str,
    checklist_id: str,
    item_id: str,
    since: datetime,
    before: datetime,
    limit: int = 10,
) -> list[EarlierFinding]:
    """Findings of the same item at the same site found in [since, before), newest first."""
    rows = cursor.execute(
        "SELECT id, number, found_at, description, status FROM findings "
        "WHERE site_id = ? AND item_id = ? AND checklist_id = ? AND found_at >= ? AND found_at < ? "
        "ORDER BY found_at DESC LIMIT ?",
        [site_id, item_id, checklist_id, since, before, limit],
    ).fetchall()
    return [EarlierFinding(*row) for row in rows]


def findings_by_id(
    cursor: duckdb.DuckDBPyConnection, ids: list[str], since: datetime | None = None
) -> list[EarlierFinding]:
    """The findings of `ids`, newest first; `since`, when the caller knows none is older, spares reading older days."""
    if not ids:
        return []

    # Only a lake is given the bound, which prunes its files by their dates. On a file, DuckDB filters
    # on a second column by scanning it, not through the id index: 40 ms at 10 million findings for five ids.
    bounded = since is not None and backend.on_lake(cursor)

    def read() -> list[EarlierFinding]:
        rows = cursor.execute(
            "SELECT id, number, found_at, description, status FROM findings "
            f"WHERE id IN (SELECT unnest(?)){' AND found_at >= ?' if bounded else ''} ORDER BY found_at DESC",
            [ids, since] if bounded else [ids],
        ).fetchall()
        return [EarlierFinding(*row) for row in rows]

    return cached(cursor, ("findings", since, *ids), ("findings",), read)


def inspections_of(
    cursor: duckdb.DuckDBPyConnection, *, user_id: str, name: str, status: str, limit: int
) -> list[InspectionLine]:
    """Inspections a person started or took part in, latest first, with their site and checklist titles."""
    rows = cursor.execute(
        """
        WITH mine AS (
            SELECT * FROM inspections
            WHERE status = ? AND (created_by = ? OR list_contains(inspectors, ?))
            ORDER BY coalesce(updated_at, started_at) DESC LIMIT ?
        )
        SELECT mine.id, mine.site_id, s.name_zh, s.name_en, mine.checklist_id,
               c.title_zh, c.title_en, mine.started_at, mine.status, mine.score,
               (SELECT count(*) FROM responses r WHERE r.inspection_id = mine.id),
               mine.updated_at
        FROM mine
        LEFT JOIN sites s ON s.id = mine.site_id
        LEFT JOIN checklists c ON c.id = mine.checklist_id AND c.content_hash = mine.checklist_hash
        ORDER BY coalesce(mine.updated_at, mine.started_at) DESC
        """,
        [status, user_id, name, limit],
    ).fetchall()
    return [InspectionLine(*row) for row in rows]


def known_inspector_names(cursor: duckdb.DuckDBPyConnection, limit: int = 200) -> list[str]:
    """Names to offer for the team: accounts that may inspect, and names used on recent inspections."""
    rows = cursor.execute(
        """
        SELECT name FROM (
            SELECT display_name AS name FROM users WHERE active AND role IN ('inspector', 'supervisor')
            UNION
            SELECT unnest(inspectors) AS name FROM (
                SELECT inspectors FROM inspections ORDER BY started_at DESC LIMIT 500
            )
        ) WHERE name <> '' ORDER BY name LIMIT ?
        """,
        [limit],
    ).fetchall()
    return [row[0] for row in rows]

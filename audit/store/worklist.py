"""What each role's home lists: small counts and short lists, each one query."""

from __future__ import annotations

from datetime import date

import duckdb

from audit.store import verification_queue


def finding_counts(cursor: duckdb.DuckDBPyConnection, today: date, unit: str | None) -> dict[str, int]:
    """Fixes awaiting verification, findings overdue and overdue by more than 7 days (one unit's, or all)."""
    row = cursor.execute(
        """
        SELECT count(*) FILTER (WHERE status = 'awaiting_verification'),
               count(*) FILTER (WHERE status <> 'closed' AND deadline < $today),
               count(*) FILTER (WHERE status <> 'closed' AND deadline < $today - 7)
        FROM findings WHERE NOT self_reported AND ($unit IS NULL OR responsible_unit = $unit)
        """,
        {"today": today, "unit": unit},
    ).fetchone()
    return {"awaiting": row[0], "overdue": row[1], "long_overdue": row[2]}


def open_findings_of_unit(cursor: duckdb.DuckDBPyConnection, unit: str, language: str, limit: int = 20) -> list[tuple]:
    """(id, number, site, description, deadline, status, rejected) of a unit's open findings, soonest due first."""
    name = "name_en" if language == "en" else "name_zh"
    return cursor.execute(
        f"""
        SELECT f.id, f.number, s.{name}, f.description, f.deadline, f.status,
               EXISTS (SELECT 1 FROM finding_events e WHERE e.finding_id = f.id AND e.action = 'rejected')
        FROM findings f JOIN sites s ON s.id = f.site_id
        WHERE f.responsible_unit = $unit AND f.status <> 'closed'
        ORDER BY f.deadline, f.number LIMIT $limit
        """,
        {"unit": unit, "limit": limit},
    ).fetchall()


def fixes_to_verify(
    cursor: duckdb.DuckDBPyConnection, user_id: str, name: str, language: str, limit: int = 20
) -> list[tuple]:
    """(id, number, site, description) of fixes awaiting verification on findings from the user's inspections."""
    site = "name_en" if language == "en" else "name_zh"
    # The user's few from the small queue, then only those findings by id: scanning the findings for those
    # awaiting verification and asking their inspections who made them cost more the larger the province.
    ids = verification_queue.fixes_of(cursor, user_id, name, limit)
    if not ids:
        return []
    rows = cursor.execute(
        f"""
        WITH chosen AS MATERIALIZED (
            SELECT id, number, site_id, description FROM findings WHERE id IN (SELECT unnest($ids::VARCHAR[])))
        SELECT f.id, f.number, s.{site}, f.description FROM chosen f JOIN sites s ON s.id = f.site_id
        """,
        {"ids": ids},
    ).fetchall()
    order = {finding_id: place for place, finding_id in enumerate(ids)}
    return sorted(rows, key=lambda row: order[row[0]])

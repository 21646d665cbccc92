"""What each role's home lists: small counts and short lists, each one query."""

from __future__ import annotations

from datetime import date

import duckdb


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
    # The few findings awaiting verification first, then only their inspections are asked who made them:
    # testing every inspection's team list first cost a scan of them all on each rerun of the home page.
    return cursor.execute(
        f"""
        WITH waiting AS MATERIALIZED (
            SELECT id, number, site_id, description, reported_at, inspection_id FROM findings
            WHERE status = 'awaiting_verification'),
        theirs AS MATERIALIZED (
            SELECT id, created_by, inspectors FROM inspections WHERE id IN (SELECT inspection_id FROM waiting))
        SELECT f.id, f.number, s.{site}, f.description FROM waiting f
        JOIN theirs i ON i.id = f.inspection_id JOIN sites s ON s.id = f.site_id
        WHERE i.created_by = $id OR list_contains(i.inspectors, $name)
        ORDER BY f.reported_at LIMIT $limit
        """,
        {"id": user_id, "name": name, "limit": limit},
    ).fetchall()

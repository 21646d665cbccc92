"""Headline counts for the home page, each one query over the store."""

from __future__ import annotations

from datetime import date

import duckdb

from audit.store.filters import overdue_condition


def home_counts(cursor: duckdb.DuckDBPyConnection, today: date, unit: str | None = None) -> dict[str, int]:
    """Inspections, findings, open findings and overdue findings (optionally for one unit)."""
    unit_filter = "AND responsible_unit = $unit" if unit is not None else ""
    params = {"today": today}
    if unit is not None:
        params["unit"] = unit
    findings = cursor.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE status <> 'closed'),
               count(*) FILTER (WHERE {overdue_condition()})
        FROM findings f WHERE NOT self_reported {unit_filter}
        """,
        params,
    ).fetchone()
    if unit is None:
        inspections = cursor.execute(
            "SELECT count(*) FROM inspections WHERE status = 'submitted' AND NOT coalesce(self_reported, false)"
        ).fetchone()[0]
    else:
        inspections = cursor.execute(
            "SELECT count(DISTINCT inspection_id) FROM findings WHERE responsible_unit = $unit AND NOT self_reported",
            {"unit": unit},
        ).fetchone()[0]
    return {"inspections": inspections, "findings": findings[0], "open": findings[1], "overdue": findings[2]}

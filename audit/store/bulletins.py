"""Bulletins (督查通报): the period's figures counted in SQL, and the bulletins themselves.

An issued bulletin's content is kept as the JSON it was issued with, beside the hash of that
JSON; its number comes from a guard row in `sequences` updated in the issuing transaction, so
two issues never share a number, on a file or on a lake.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb

from audit.store.filters import overdue_condition

_SITE_SCOPE = "($subdistrict IS NULL OR s.subdistrict_zh = $subdistrict OR s.subdistrict_en = $subdistrict)"
# A unit's self-inspections (自查) and their findings are reported apart, never in supervision figures.
_SUPERVISION = "NOT f.self_reported"


def _params(start: date, end: date, subdistrict: str | None, **more) -> dict:
    # Half-open on timestamps: the whole of the last day counts.
    return {
        "start": datetime.combine(start, datetime.min.time()),
        "end": datetime.combine(end + timedelta(days=1), datetime.min.time()),
        "subdistrict": subdistrict,
        **more,
    }


def inspection_counts(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None
) -> tuple[int, int]:
    """Submitted inspections begun in the period, and the distinct sites they covered."""
    row = cursor.execute(
        f"""
        SELECT count(*), count(DISTINCT i.site_id) FROM inspections i JOIN sites s ON s.id = i.site_id
        WHERE i.status = 'submitted' AND NOT coalesce(i.self_reported, false) AND i.started_at >= $start
          AND i.started_at < $end AND {_SITE_SCOPE}
        """,
        _params(start, end, subdistrict),
    ).fetchone()
    return int(row[0]), int(row[1])


def finding_counts(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None, as_of: date
) -> dict:
    """Findings found in the period: in all, by severity, closed by `as_of`, overdue on `as_of`."""
    row = cursor.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE f.severity = 'critical'),
               count(*) FILTER (WHERE f.severity = 'major'),
               count(*) FILTER (WHERE f.severity = 'minor'),
               count(*) FILTER (WHERE f.status = 'closed'),
               count(*) FILTER (WHERE {overdue_condition("$as_of::DATE")})
        FROM findings f JOIN sites s ON s.id = f.site_id
        WHERE f.found_at >= $start AND f.found_at < $end AND {_SUPERVISION} AND {_SITE_SCOPE}
        """,
        _params(start, end, subdistrict, as_of=as_of),
    ).fetchone()
    total, critical, major, minor, closed, overdue = (int(value) for value in row)
    return {
        "findings": total,
        "by_severity": {"critical": critical, "major": major, "minor": minor},
        "closed": closed,
        "overdue": overdue,
    }


def findings_by_subdistrict(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None, language: str
) -> list[tuple[str, int]]:
    column = "subdistrict_en" if language == "en" else "subdistrict_zh"
    return cursor.execute(
        f"""
        SELECT s.{column}, count(*) AS n FROM findings f JOIN sites s ON s.id = f.site_id
        WHERE f.found_at >= $start AND f.found_at < $end AND {_SUPERVISION} AND {_SITE_SCOPE}
        GROUP BY ALL ORDER BY n DESC, 1
        """,
        _params(start, end, subdistrict),
    ).fetchall()


def findings_by_day(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None
) -> list[tuple[date, int]]:
    return cursor.execute(
        f"""
        SELECT CAST(f.found_at AS DATE) AS day, count(*) FROM findings f JOIN sites s ON s.id = f.site_id
        WHERE f.found_at >= $start AND f.found_at < $end AND {_SUPERVISION} AND {_SITE_SCOPE}
        GROUP BY ALL ORDER BY day
        """,
        _params(start, end, subdistrict),
    ).fetchall()


def findings_by_item(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None
) -> list[tuple[str | None, str | None, str | None, int]]:
    """(checklist id, item id, checklist as written by an import, count) for the period."""
    return cursor.execute(
        f"""
        SELECT f.checklist_id, f.item_id, f.checklist_text, count(*) AS n
        FROM findings f JOIN sites s ON s.id = f.site_id
        WHERE f.found_at >= $start AND f.found_at < $end AND {_SUPERVISION} AND {_SITE_SCOPE}
        GROUP BY ALL ORDER BY n DESC
        """,
        _params(start, end, subdistrict),
    ).fetchall()


def overdue_units(
    cursor: duckdb.DuckDBPyConnection, end: date, subdistrict: str | None, as_of: date
) -> list[tuple[str, int]]:
    """Units with findings found by the period's end, still open and past their deadline on `as_of`."""
    return cursor.execute(
        f"""
        SELECT f.responsible_unit, count(*) AS n FROM findings f JOIN sites s ON s.id = f.site_id
        WHERE f.found_at < $end AND {overdue_condition("$as_of::DATE")} AND {_SUPERVISION} AND {_SITE_SCOPE}
        GROUP BY ALL ORDER BY n DESC, 1
        """,
        {"end": _params(end, end, None)["end"], "subdistrict": subdistrict, "as_of": as_of},
    ).fetchall()


def case_choices(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None, language: str, limit: int = 500
) -> list[tuple]:
    """The period's findings a supervisor may pick as typical cases, gravest and newest first."""
    name = "name_en" if language == "en" else "name_zh"
    return cursor.execute(
        f"""
        SELECT f.id, f.number, s.{name}, f.severity, f.description FROM findings f JOIN sites s ON s.id = f.site_id
        WHERE f.found_at >= $start AND f.found_at < $end AND {_SUPERVISION} AND {_SITE_SCOPE}
        ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 ELSE 2 END, f.found_at DESC
        LIMIT $limit
        """,
        _params(start, end, subdistrict, limit=limit),
    ).fetchall()


def case_details(cursor: duckdb.DuckDBPyConnection, finding_ids: list[str], language: str) -> list[tuple]:
    """Site, text and first photo of each finding, in the order given."""
    if not finding_ids:
        return []
    name = "name_en" if language == "en" else "name_zh"
    rows = cursor.execute(
        f"""
        SELECT f.id, f.number, s.{name}, f.description, f.immediate_measure, f.requirement, f.responsible_unit,
               (SELECT p.sha256 FROM finding_photos p WHERE p.finding_id = f.id AND p.stage = 'found'
                ORDER BY p.added_at, p.sha256 LIMIT 1)
        FROM findings f JOIN sites s ON s.id = f.site_id WHERE list_contains($ids, f.id)
        """,
        {"ids": finding_ids},
    ).fetchall()
    by_id = {row[0]: row for row in rows}
    return [by_id[finding_id] for finding_id in finding_ids if finding_id in by_id]


# --- The bulletins themselves -------------------------------------------------------------

COLUMNS = (
    "id",
    "kind",
    "status",
    "year",
    "number",
    "period_from",
    "period_to",
    "subdistrict",
    "language",
    "content",
    "content_hash",
    "units",
    "corrects",
    "created_by",
    "created_at",
    "issued_by",
    "issued_at",
    "version",
    "updated_at",
    "updated_by",
)


def insert_bulletin(cursor: duckdb.DuckDBPyConnection, row: dict) -> None:
    cursor.execute(
        f"INSERT INTO bulletins ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})",
        [json.dumps(row[c], ensure_ascii=False) if c == "content" else row[c] for c in COLUMNS],
    )


def update_draft(
    cursor: duckdb.DuckDBPyConnection,
    bulletin_id: str,
    version: int,
    content: dict,
    units: list[str],
    now: datetime,
    by: str,
) -> bool:
    """Replace a draft's content when it is still the version the editor saw; False otherwise."""
    changed = cursor.execute(
        """
        UPDATE bulletins SET content = ?, units = ?, version = version + 1, updated_at = ?, updated_by = ?
        WHERE id = ? AND version = ? AND status = 'draft' RETURNING id
        """,
        [json.dumps(content, ensure_ascii=False), units, now, by, bulletin_id, version],
    ).fetchall()
    return bool(changed)


def mark_issued(
    cursor: duckdb.DuckDBPyConnection,
    bulletin_id: str,
    version: int,
    *,
    year: int,
    number: int,
    content: dict,
    content_hash: str,
    now: datetime,
    by: str,
) -> bool:
    changed = cursor.execute(
        """
        UPDATE bulletins SET status = 'issued', year = ?, number = ?, content = ?, content_hash = ?,
               issued_by = ?, issued_at = ?, version = version + 1, updated_at = ?, updated_by = ?
        WHERE id = ? AND version = ? AND status = 'draft' RETURNING id
        """,
        [year, number, json.dumps(content, ensure_ascii=False), content_hash, by, now, now, by, bulletin_id, version],
    ).fetchall()
    return bool(changed)


def next_number(cursor: duckdb.DuckDBPyConnection, year: int, kind: str) -> int:
    """The next issue number of the year and kind; the guard row serialises concurrent issues."""
    name = f"bulletin-{kind}-{year}"
    current = cursor.execute("SELECT value FROM sequences WHERE name = ?", [name]).fetchone()
    if current is None:
        cursor.execute("INSERT INTO sequences VALUES (?, 1)", [name])
        return 1
    cursor.execute("UPDATE sequences SET value = value + 1 WHERE name = ?", [name])
    return int(current[0]) + 1


def get_bulletin(cursor: duckdb.DuckDBPyConnection, bulletin_id: str) -> dict | None:
    row = cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM bulletins WHERE id = ?", [bulletin_id]).fetchone()
    return _row(row) if row else None


def list_bulletins(cursor: duckdb.DuckDBPyConnection, *, unit: str | None, status: str | None) -> list[dict]:
    """Newest first; `unit` keeps those naming it, `status` one state."""
    rows = cursor.execute(
        f"""
        SELECT {", ".join(COLUMNS)} FROM bulletins
        WHERE ($unit IS NULL OR list_contains(units, $unit)) AND ($status IS NULL OR status = $status)
        ORDER BY coalesce(issued_at, created_at) DESC
        """,
        {"unit": unit, "status": status},
    ).fetchall()
    return [_row(row) for row in rows]


def _row(row: tuple) -> dict:
    record = dict(zip(COLUMNS, row, strict=True))
    record["content"] = json.loads(record["content"])
    return record


def subdistrict_exists(cursor: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        cursor.execute(
            "SELECT count(*) FROM sites WHERE subdistrict_zh = ? OR subdistrict_en = ?", [name, name]
        ).fetchone()[0]
    )


def district_of(cursor: duckdb.DuckDBPyConnection, subdistrict: str | None, language: str) -> str | None:
    """The district most sites in scope belong to, named in the bulletin's language."""
    column = "district_en" if language == "en" else "district_zh"
    row = cursor.execute(
        f"""
        SELECT {column}, count(*) AS n FROM sites s WHERE {_SITE_SCOPE} AND {column} <> ''
        GROUP BY ALL ORDER BY n DESC LIMIT 1
        """,
        {"subdistrict": subdistrict},
    ).fetchone()
    return row[0] if row else None


def issue_logged(cursor: duckdb.DuckDBPyConnection, bulletin_id: str) -> dict | None:
    """What the audit log recorded when the bulletin was issued (its number and content hash)."""
    row = cursor.execute(
        "SELECT after::VARCHAR FROM audit_log WHERE entity = 'bulletin' AND entity_id = ? AND action = 'bulletin.issued' "
        "ORDER BY seq DESC LIMIT 1",
        [bulletin_id],
    ).fetchone()
    return json.loads(row[0]) if row else None


def subdistricts(cursor: duckdb.DuckDBPyConnection, language: str) -> list[tuple[str, str]]:
    """(value stored, name shown) of every subdistrict with an active site."""
    column = "subdistrict_en" if language == "en" else "subdistrict_zh"
    return cursor.execute(
        f"SELECT DISTINCT subdistrict_zh, {column} FROM sites WHERE active AND subdistrict_zh <> '' ORDER BY 1"
    ).fetchall()


def measures_decided(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None
) -> list[tuple[date, str, str, str]]:
    """(decided on, kind, unit, person) of measures decided in the period; in a subdistrict, those
    linked to a finding at one of its sites."""
    return cursor.execute(
        f"""
        SELECT m.decided_on, m.kind, m.unit, m.person FROM measures m
        WHERE m.decided_on BETWEEN $start AND $end AND ($subdistrict IS NULL OR EXISTS (
            SELECT 1 FROM findings f JOIN sites s ON s.id = f.site_id
            WHERE list_contains(m.finding_ids, f.id) AND {_SITE_SCOPE}))
        ORDER BY m.decided_on, m.unit, m.person
        """,
        {"start": start, "end": end, "subdistrict": subdistrict},
    ).fetchall()


def sites_due(cursor: duckdb.DuckDBPyConnection, start: date, end: date, subdistrict: str | None) -> int:
    """Distinct sites that supervision plans made due in the period (0 when no plan covers it)."""
    return cursor.execute(
        f"""
        SELECT count(DISTINCT t.site_id) FROM tasks t JOIN sites s ON s.id = t.site_id
        WHERE NOT t.self_inspection AND t.due BETWEEN $start AND $end AND {_SITE_SCOPE}
        """,
        {"start": start, "end": end, "subdistrict": subdistrict},
    ).fetchone()[0]

"""Accountability measures, their documents, answers to escalation suggestions, and the rules' queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

from audit.model import Measure

COLUMNS = (
    "id",
    "kind",
    "unit",
    "person",
    "decided_on",
    "decided_by",
    "basis",
    "note",
    "finding_ids",
    "suggestion",
    "recorded_by",
    "recorded_at",
    "version",
    "updated_at",
    "updated_by",
)


def insert_measure(cursor: duckdb.DuckDBPyConnection, measure: Measure) -> None:
    values = [getattr(measure, c) if c not in ("updated_at", "updated_by") else None for c in COLUMNS]
    values[COLUMNS.index("finding_ids")] = list(measure.finding_ids)
    cursor.execute(f"INSERT INTO measures ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})", values)


def update_measure(
    cursor: duckdb.DuckDBPyConnection, measure: Measure, seen_version: int, now: datetime, by: str
) -> bool:
    changed = cursor.execute(
        """
        UPDATE measures SET kind = ?, person = ?, decided_on = ?, decided_by = ?, basis = ?, note = ?,
               finding_ids = ?, version = version + 1, updated_at = ?, updated_by = ?
        WHERE id = ? AND version = ? RETURNING id
        """,
        [
            measure.kind,
            measure.person,
            measure.decided_on,
            measure.decided_by,
            measure.basis,
            measure.note,
            list(measure.finding_ids),
            now,
            by,
            measure.id,
            seen_version,
        ],
    ).fetchall()
    return bool(changed)


def add_document(
    cursor: duckdb.DuckDBPyConnection,
    measure_id: str,
    sha256: str,
    name: str,
    mime: str,
    data: bytes,
    now: datetime,
    by: str,
) -> None:
    cursor.execute(
        "INSERT INTO measure_documents VALUES (?, ?, ?, ?, ?, ?, ?)", [measure_id, sha256, name, mime, data, now, by]
    )


def _measure(row: tuple, documents: dict[str, list[str]]) -> Measure:
    record = dict(zip(COLUMNS, row, strict=True))
    record.pop("updated_at")
    record.pop("updated_by")
    record["finding_ids"] = tuple(record["finding_ids"])
    return Measure(**record, documents=tuple(documents.get(record["id"], ())))


def measures(
    cursor: duckdb.DuckDBPyConnection,
    *,
    unit: str | None = None,
    person: str | None = None,
    finding_id: str | None = None,
    decided_from: date | None = None,
    decided_to: date | None = None,
    measure_id: str | None = None,
) -> list[Measure]:
    """Newest decision first; each argument narrows the list."""
    rows = cursor.execute(
        f"""
        SELECT {", ".join(COLUMNS)} FROM measures
        WHERE ($unit IS NULL OR unit = $unit) AND ($person IS NULL OR person = $person)
          AND ($finding IS NULL OR list_contains(finding_ids, $finding))
          AND ($start IS NULL OR decided_on >= $start) AND ($end IS NULL OR decided_on <= $end)
          AND ($id IS NULL OR id = $id)
        ORDER BY decided_on DESC, recorded_at DESC
        """,
        {
            "unit": unit,
            "person": person,
            "finding": finding_id,
            "start": decided_from,
            "end": decided_to,
            "id": measure_id,
        },
    ).fetchall()
    ids = [row[0] for row in rows]
    documents: dict[str, list[str]] = {}
    if ids:
        for measure_id_, name in cursor.execute(
            "SELECT measure_id, name FROM measure_documents WHERE list_contains($ids, measure_id) "
            "ORDER BY added_at, name",
            {"ids": ids},
        ).fetchall():
            documents.setdefault(measure_id_, []).append(name)
    return [_measure(row, documents) for row in rows]


def document(cursor: duckdb.DuckDBPyConnection, measure_id: str, name: str) -> tuple[str, bytes] | None:
    row = cursor.execute(
        "SELECT mime, data FROM measure_documents WHERE measure_id = ? AND name = ?", [measure_id, name]
    ).fetchone()
    return (row[0], bytes(row[1])) if row else None


def findings_of_units(cursor: duckdb.DuckDBPyConnection, finding_ids: list[str]) -> dict[str, tuple[str, str]]:
    """finding id -> (number, responsible unit), for the ids that exist."""
    if not finding_ids:
        return {}
    rows = cursor.execute(
        "SELECT id, number, responsible_unit FROM findings WHERE list_contains($ids, id)", {"ids": finding_ids}
    ).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def unit_findings(cursor: duckdb.DuckDBPyConnection, unit: str, limit: int = 300) -> list[tuple[str, str, str]]:
    """(id, number, description) of a unit's findings, newest first, to link a measure to."""
    return cursor.execute(
        "SELECT id, number, description FROM findings WHERE responsible_unit = ? ORDER BY found_at DESC LIMIT ?",
        [unit, limit],
    ).fetchall()


def units(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in cursor.execute(
            "SELECT DISTINCT responsible_unit FROM findings WHERE responsible_unit <> '' ORDER BY 1"
        ).fetchall()
    ]


def repeat_offenders(
    cursor: duckdb.DuckDBPyConnection, today: date, days: int, count: int
) -> list[tuple[str, list[str], list[str]]]:
    """(unit, finding ids, numbers) of units with at least `count` repeat findings found in the last `days`."""
    return cursor.execute(
        """
        SELECT responsible_unit, list(id ORDER BY number), list(number ORDER BY number) FROM findings
        WHERE is_repeat AND found_at >= $since GROUP BY ALL HAVING count(*) >= $count ORDER BY 1
        """,
        {"since": datetime.combine(today - timedelta(days=days), datetime.min.time()), "count": count},
    ).fetchall()


def long_overdue(
    cursor: duckdb.DuckDBPyConnection, today: date, days: int, severity: str | None
) -> list[tuple[str, str, str]]:
    """(unit, finding id, number) of open findings more than `days` past their deadline."""
    return cursor.execute(
        """
        SELECT responsible_unit, id, number FROM findings
        WHERE status <> 'closed' AND deadline < $limit AND ($severity IS NULL OR severity = $severity)
        ORDER BY deadline, number
        """,
        {"limit": today - timedelta(days=days), "severity": severity},
    ).fetchall()


def answered(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in cursor.execute("SELECT key FROM suggestion_answers").fetchall()}


def record_answer(
    cursor: duckdb.DuckDBPyConnection,
    *,
    key: str,
    rule: str,
    unit: str,
    answer: str,
    reason: str,
    measure_id: str | None,
    by: str,
    now: datetime,
) -> None:
    cursor.execute(
        "INSERT INTO suggestion_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [key, rule, unit, answer, reason, measure_id, by, now],
    )


def answer_exists(cursor: duckdb.DuckDBPyConnection, key: str) -> bool:
    return bool(cursor.execute("SELECT count(*) FROM suggestion_answers WHERE key = ?", [key]).fetchone()[0])

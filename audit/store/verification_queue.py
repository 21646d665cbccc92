"""Fixes awaiting verification, one row per finding, with who made its inspection.

An inspector's home lists the fixes awaiting verification on their own inspections. Finding them in the
findings and inspections tables costs a scan of both on every rerun, growing with the province; this
small table holds just those findings, with the inspection's creator and team, and is kept by the
store's own writes in the writer's transaction: a finding inserted or changed (`finding_changed`),
an inspection's team corrected (`team_changed`), a bulk load (`add_loaded`). It is derived, never
evidence: `drift` compares it with the findings themselves, for `python -m audit check`, and
`rebuild` makes it again from them.
"""

from __future__ import annotations

import duckdb

AWAITING = "awaiting_verification"
COLUMNS = "finding_id, inspection_id, reported_at, created_by, inspectors"

# Every finding awaiting verification with its inspection's creator and team: what the table must hold.
_DERIVED = f"""
    SELECT f.id AS finding_id, f.inspection_id, f.reported_at, i.created_by, i.inspectors
    FROM {{findings}} f LEFT JOIN inspections i ON i.id = f.inspection_id
    WHERE f.status = '{AWAITING}'
"""


def finding_changed(cursor: duckdb.DuckDBPyConnection, finding_id: str) -> None:
    """Make the finding's row agree with the finding as it now is: there when it awaits verification.

    Delete, then insert what holds: the same on a lake, which has no unique keys, and when run again.
    Each table is read by id alone (an index on a file), never joined over all its rows.
    """
    cursor.execute("DELETE FROM verification_queue WHERE finding_id = ?", [finding_id])
    finding = cursor.execute(
        "SELECT inspection_id, reported_at FROM findings WHERE id = ? AND status = ?", [finding_id, AWAITING]
    ).fetchone()
    if finding is None:
        return
    inspection_id, reported_at = finding
    made = cursor.execute("SELECT created_by, inspectors FROM inspections WHERE id = ?", [inspection_id]).fetchone()
    created_by, inspectors = made or (None, None)
    cursor.execute(
        f"INSERT INTO verification_queue ({COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        [finding_id, inspection_id, reported_at, created_by, inspectors],
    )


def team_changed(cursor: duckdb.DuckDBPyConnection, inspection_id: str, inspectors: list[str]) -> None:
    """An inspection's team was corrected: its fixes now await the new team's verification."""
    cursor.execute(
        "UPDATE verification_queue SET inspectors = ? WHERE inspection_id = ?", [list(inspectors), inspection_id]
    )


def add_loaded(cursor: duckdb.DuckDBPyConnection, findings: str) -> None:
    """Rows for the findings of `findings`, a relation of findings just loaded in bulk (their inspections too)."""
    cursor.execute(f"INSERT INTO verification_queue ({COLUMNS}) {_DERIVED.format(findings=findings)}")


def rebuild(cursor: duckdb.DuckDBPyConnection) -> None:
    """The whole table again from the findings: one statement, however many there are."""
    cursor.execute("DELETE FROM verification_queue")
    add_loaded(cursor, "findings")


def drift(cursor: duckdb.DuckDBPyConnection, limit: int = 10) -> tuple[int, list[str]]:
    """For how many findings the table differs from what they say (missing, extra or stale rows), and some ids."""
    rows = cursor.execute(
        f"""
        WITH derived AS ({_DERIVED.format(findings="findings")}),
        kept AS (SELECT {COLUMNS} FROM verification_queue),
        differing AS (
            (SELECT * FROM kept EXCEPT ALL SELECT * FROM derived)
            UNION ALL
            (SELECT * FROM derived EXCEPT ALL SELECT * FROM kept))
        SELECT count(*) OVER (), finding_id FROM (SELECT DISTINCT finding_id FROM differing)
        ORDER BY finding_id LIMIT {int(limit)}
        """
    ).fetchall()
    return (rows[0][0] if rows else 0), [row[1] for row in rows]


def fixes_of(cursor: duckdb.DuckDBPyConnection, user_id: str, name: str, limit: int) -> list[str]:
    """Ids of the fixes awaiting verification on inspections the user made or was on, oldest report first."""
    rows = cursor.execute(
        """
        SELECT finding_id FROM verification_queue
        WHERE created_by = $id OR list_contains(inspectors, $name)
        ORDER BY reported_at, finding_id LIMIT $limit
        """,
        {"id": user_id, "name": name, "limit": limit},
    ).fetchall()
    return [row[0] for row in rows]

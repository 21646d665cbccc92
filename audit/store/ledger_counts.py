"""Findings counted by deadline and the few columns most ledger filters test: what a page's groups need.

The ledger finds a page by counting the filtered findings per deadline (and colour, severity or status,
as the sort groups them), then sorting only the rows of the page's own groups. Counting reads every
finding, a few hundred milliseconds at ten million; most filters (status, colour, severity, checklist,
days found, repeats, origin, and none at all) test only columns of low cardinality, so the counts are kept here,
one row per combination of `DIMENSIONS` (some tens of thousands at ten million findings: the day found
and the deadline go together), and a page
with such a filter counts those rows instead (`covers`).

Derived, never evidence: kept by the store's writes of findings in the writer's transaction (a finding
recorded, its status or deadline changed, its checklist's words set, a bulk load); `drift` compares the
counts with the findings for `python -m audit check`, and `rebuild` makes them again. On a lake every
such write updates a row here, as it does the audit log's head: two servers' writes conflict and one is
run again, as they already do there.
"""

from __future__ import annotations

from dataclasses import fields

import duckdb

from audit.model import FindingFilter

# Each counted column, as it is computed from a finding. `found_at` is the day: the ledger's filter
# compares it with days only (`found_at >= day`, `found_at < day + 1`), which holds of the day as of the time.
DIMENSIONS = {
    "deadline": "deadline",
    "found_at": "found_at::DATE",
    "status": "status",
    "severity": "severity",
    "checklist_id": "checklist_id",
    "checklist_text": "checklist_text",
    "is_repeat": "is_repeat",
    "self_reported": "self_reported",
}
# The filters whose SQL (`store.filters.finding_conditions`) reads only the columns counted here.
COUNTED_FILTERS = frozenset(
    {"statuses", "colours", "severities", "checklist", "repeats_only", "origin", "found_from", "found_to"}
)
_COLUMNS = ", ".join(f"{computed} AS {name}" for name, computed in DIMENSIONS.items())
_NAMES = ", ".join(DIMENSIONS)
_SAME = " AND ".join(f"c.{name} IS NOT DISTINCT FROM d.{name}" for name in DIMENSIONS)
_EVERY_FILTER_UNSET = FindingFilter()


def covers(flt: FindingFilter) -> bool:
    """Whether the counts can stand for the findings under this filter (it sets only counted columns)."""
    return all(
        getattr(flt, field.name) == getattr(_EVERY_FILTER_UNSET, field.name)
        for field in fields(flt)
        if field.name not in COUNTED_FILTERS
    )


def of_finding(cursor: duckdb.DuckDBPyConnection, finding_id: str) -> tuple | None:
    """The counted columns of one finding (by id: an index on a file), None when there is none."""
    return cursor.execute(f"SELECT {_COLUMNS} FROM findings WHERE id = ?", [finding_id]).fetchone()


def moved(cursor: duckdb.DuckDBPyConnection, before: tuple | None, after: tuple | None) -> None:
    """One finding went from the counted columns `before` to `after` (None: it was not there / is gone)."""
    if before == after:
        return
    for values, change in ((before, -1), (after, 1)):
        if values is None:
            continue
        same = " AND ".join(f"{name} IS NOT DISTINCT FROM ?" for name in DIMENSIONS)
        updated = cursor.execute(
            f"UPDATE ledger_counts SET findings = findings + ? WHERE {same}", [change, *values]
        ).fetchone()[0]
        if not updated:
            cursor.execute(
                f"INSERT INTO ledger_counts ({_NAMES}, findings) VALUES ({', '.join('?' for _ in DIMENSIONS)}, ?)",
                [*values, change],
            )


def add_loaded(cursor: duckdb.DuckDBPyConnection, findings: str) -> None:
    """Count the findings of `findings`, a relation of findings just loaded in bulk, in a few statements."""
    cursor.execute(
        f"CREATE OR REPLACE TEMP TABLE ledger_counts_new AS "
        f"SELECT {_COLUMNS}, count(*) AS findings FROM {findings} GROUP BY ALL"
    )
    cursor.execute(
        f"UPDATE ledger_counts c SET findings = c.findings + d.findings FROM ledger_counts_new d WHERE {_SAME}"
    )
    cursor.execute(
        f"INSERT INTO ledger_counts ({_NAMES}, findings) SELECT * FROM ledger_counts_new d "
        f"WHERE NOT EXISTS (SELECT 1 FROM ledger_counts c WHERE {_SAME})"
    )
    cursor.execute("DROP TABLE ledger_counts_new")


def rebuild(cursor: duckdb.DuckDBPyConnection) -> None:
    """The counts again from the findings: one statement, however many there are."""
    cursor.execute("DELETE FROM ledger_counts")
    cursor.execute(
        f"INSERT INTO ledger_counts ({_NAMES}, findings) SELECT {_COLUMNS}, count(*) FROM findings GROUP BY ALL"
    )


def drift(cursor: duckdb.DuckDBPyConnection) -> int:
    """For how many combinations of the counted columns the counts differ from the findings."""
    return cursor.execute(
        f"""
        WITH kept AS (
            SELECT {_NAMES}, sum(findings) AS n FROM ledger_counts GROUP BY ALL HAVING sum(findings) <> 0
        ),
        derived AS (SELECT {_COLUMNS}, count(*) AS n FROM findings GROUP BY ALL)
        SELECT count(*) FROM ((FROM kept EXCEPT FROM derived) UNION ALL (FROM derived EXCEPT FROM kept))
        """
    ).fetchone()[0]

"""A lake's housekeeping, and the lease rows that let one server at a time do a job (it, scheduled backups).

Small writes stay inlined in the catalog and every commit adds a snapshot; left alone, reads slow
down over many small files and the catalog grows. Each step runs as its own statement (DuckLake
runs these outside a transaction) and may meet writers: callers retry it.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from audit.store.backend import LAKE

LEASE = "lake.maintenance"
BACKUP_LEASE = "backup.scheduled"

# (step, statement): older_than is bound as the one parameter where a step takes it.
STEPS = (
    ("flush", f"CALL ducklake_flush_inlined_data('{LAKE}')"),
    ("merge", f"CALL ducklake_merge_adjacent_files('{LAKE}')"),
    ("expire", f"CALL ducklake_expire_snapshots('{LAKE}', older_than => ?::TIMESTAMPTZ)"),
    ("cleanup", f"CALL ducklake_cleanup_old_files('{LAKE}', older_than => ?::TIMESTAMPTZ)"),
    ("orphans", f"CALL ducklake_delete_orphaned_files('{LAKE}', older_than => ?::TIMESTAMPTZ)"),
)


def run_step(cursor: duckdb.DuckDBPyConnection, statement: str, older_than: datetime) -> None:
    # Not fetched: the steps answer with TIMESTAMPTZ columns, which Python reads only with pytz.
    cursor.execute(statement, [older_than.isoformat()] if "?" in statement else [])


def forget_units(cursor: duckdb.DuckDBPyConnection, older_than: datetime) -> None:
    """Ids of committed writes are looked up only just after a lost connection: old ones can go."""
    cursor.execute("DELETE FROM _write_units WHERE committed_at < ?", [older_than])


def data_files(cursor: duckdb.DuckDBPyConnection) -> int:
    """How many Parquet files the lake's tables read now; many small ones make reads slow."""
    tables = [
        row[0]
        for row in cursor.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [LAKE]).fetchall()
    ]
    return sum(
        cursor.execute(f"SELECT count(*) FROM ducklake_list_files('{LAKE}', ?)", [table]).fetchone()[0]
        for table in tables
    )


def lease(
    cursor: duckdb.DuckDBPyConnection, name: str = LEASE
) -> tuple[str, datetime, datetime | None, str | None] | None:
    """(holder, until, last finished, last result) of a lease (maintenance's unless named), or None before the first."""
    row = cursor.execute("SELECT holder, until, last_run, last_result FROM _leases WHERE name = ?", [name]).fetchone()
    return tuple(row) if row else None


def take_lease(
    cursor: duckdb.DuckDBPyConnection, holder: str, now: datetime, until: datetime, name: str = LEASE
) -> bool:
    """Hold the lease until `until`, unless another holder's lease runs yet. Updating the one row in the
    writing transaction makes two servers taking it at once conflict: one of them runs again and sees it held."""
    current = lease(cursor, name)
    if current and current[0] != holder and current[1] > now:
        return False
    cursor.execute("UPDATE _leases SET holder = ?, until = ? WHERE name = ?", [holder, until, name])
    return True


def finish_lease(cursor: duckdb.DuckDBPyConnection, holder: str, now: datetime, result: str, name: str = LEASE) -> None:
    cursor.execute(
        "UPDATE _leases SET until = ?, last_run = ?, last_result = ? WHERE name = ? AND holder = ?",
        [now, now, result, name, holder],
    )

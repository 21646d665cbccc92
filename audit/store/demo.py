"""Bulk writes for the demo generator: whole Arrow tables in one statement each.

Row-by-row inserts would take hours for a million findings; `INSERT ... SELECT` from a
registered Arrow table takes seconds, inside the caller's transaction.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pyarrow as pa

from audit.checklists import checklist_to_dict
from audit.model import Checklist
from audit.store import audit_log, ledger_counts, search_index, verification_queue
from audit.store.db import Database

BULK_TABLES = ("inspections", "responses", "findings", "finding_events")


def set_for_load(database: Database, megabytes: int) -> None:
    """Cap what DuckDB holds in memory for this open database (past it, it spills to a temp file),
    and have it work on the calling thread.

    A load's statements mostly run as one task (a scan of one Arrow table); with
    more threads, Python's DuckDB client spins on the GIL while a worker runs that task, a core
    busy for nothing and on a shared machine taken from the work. The second core is left to
    the drawing of the next part (`audit.demo.Drawing`).
    """
    with database.read() as cursor:
        cursor.execute(f"SET memory_limit = '{int(megabytes)}MB'")
        cursor.execute("SET threads = 1")


def release_memory(database: Database, megabytes: int) -> None:
    """Write what was committed to the file and open it afresh, with the settings of `set_for_load` again.

    DuckDB keeps the nodes an index gained in memory, beyond its memory limit, until a checkpoint
    has written them and the file is opened again; after that they are read back only when needed.
    Done between the parts of a large load, it keeps memory that of one part.
    """
    with database.read() as cursor:
        cursor.execute("CHECKPOINT")
    database.reconnect()
    set_for_load(database, megabytes)


def ensure_checklists(cursor: duckdb.DuckDBPyConnection, checklists: list[Checklist], now: datetime) -> int:
    """Record each checklist version the demo inspections were made against, unless already there."""
    added = 0
    for checklist in checklists:
        known = cursor.execute(
            "SELECT count(*) FROM checklists WHERE id = ? AND version = ? AND content_hash = ?",
            [checklist.id, checklist.version, checklist.content_hash],
        ).fetchone()[0]
        if known:
            continue
        # The same JSON shape as checklist registration, so pages can read these versions back.
        content = json.dumps(checklist_to_dict(checklist), ensure_ascii=False)
        cursor.execute(
            "INSERT INTO checklists (id, version, content_hash, title_zh, title_en, content, first_seen) "
            "VALUES (?, ?, ?, ?, ?, ?::JSON, ?)",
            [
                checklist.id,
                checklist.version,
                checklist.content_hash,
                checklist.title.zh,
                checklist.title.en,
                content,
                now,
            ],
        )
        added += 1
    return added


def insert_table(cursor: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Append an Arrow table whose column names are columns of `table`.

    The rows stay readable as `staged(table)`, every column typed as the table types it and the
    columns not given at their defaults, until `log_generated` has hashed them from there.
    """
    if table not in BULK_TABLES:
        raise ValueError(f"not a bulk-loaded table: {table}")
    given = set(rows.column_names)
    columns = cursor.execute(
        "SELECT column_name, data_type, column_default FROM duckdb_columns() "
        "WHERE table_name = ? AND schema_name = current_schema() AND database_name = current_database() "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    # Columns the store derives from others: a finding's search key.
    derived = {"search_key": search_index.key_sql("number", "description")} if table == "findings" else {}
    projection = ", ".join(
        f"CAST({name} AS {kind}) AS {name}"
        if name in given
        else f"CAST({derived.get(name) or default or 'NULL'} AS {kind}) AS {name}"
        for name, kind, default in columns
    )
    cursor.register(f"demo_rows_{table}", rows)
    cursor.execute(f"CREATE OR REPLACE TEMP VIEW {staged(table)} AS SELECT {projection} FROM demo_rows_{table}")
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {staged(table)}")
    if table == "findings":
        verification_queue.add_loaded(cursor, staged(table))
        search_index.add_loaded(cursor, staged(table))
        ledger_counts.add_loaded(cursor, staged(table))


def staged(table: str) -> str:
    return f"demo_staged_{table}"


def drop_staged(cursor: duckdb.DuckDBPyConnection, tables) -> None:
    for table in tables:
        cursor.execute(f"DROP VIEW IF EXISTS {staged(table)}")
        cursor.unregister(f"demo_rows_{table}")


def finding_sequences(cursor: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """The last finding number used in each year, so generated numbers continue from it."""
    rows = cursor.execute("SELECT name, value FROM sequences WHERE name LIKE 'finding-%'").fetchall()
    return {int(name.removeprefix("finding-")): value for name, value in rows}


def set_finding_sequences(cursor: duckdb.DuckDBPyConnection, last: dict[int, int]) -> None:
    for year, value in sorted(last.items()):
        name = f"finding-{year}"
        cursor.execute("DELETE FROM sequences WHERE name = ?", [name])
        cursor.execute("INSERT INTO sequences VALUES (?, ?)", [name, value])


def log_generated(
    cursor: duckdb.DuckDBPyConnection, tables, *, actor: str, after: dict, sites_where: tuple[str, list] | None
) -> int:
    """One log entry for one load, recording the hash of every row it added, hashed as staged.

    `tables` are the tables `insert_table` loaded; `sites_where` selects the sites added, if any.
    """
    try:
        return audit_log.append(
            cursor,
            actor=actor,
            action="demo.generated",
            entity="database",
            after=after,
            rows_where={"sites": sites_where} if sites_where else None,
            rows_from={table: staged(table) for table in tables},
        )
    finally:
        drop_staged(cursor, tables)

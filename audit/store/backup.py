"""Backups in SQL: each table copied to and loaded from a Parquet file, and a content digest of every table.

A table's digest is the SHA-256 of its rows' own SHA-256 digests in sorted order, each row
taken as JSON (unambiguous: strings quoted, NULL distinct from 'NULL', BLOBs escaped). It
does not depend on the order rows happen to be stored in, so a database rebuilt from the
Parquet files gives the same digests. Digests stream out in batches: a million rows never
sit in memory at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

BATCH_ROWS = 100_000


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


@dataclass(frozen=True)
class Contents:
    """What a database holds, as a manifest records it."""

    tables: dict[str, TableDigest]
    migrations: list[int]
    audit_log_seq: int
    audit_log_hash: str | None


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def snapshot(cursor: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One read transaction: everything read inside sees the same moment, whatever others write."""
    with suppress(duckdb.TransactionException):
        cursor.rollback()  # a lake's reads come in a transaction already (Database.read): this one replaces it
    cursor.begin()
    try:
        yield cursor
    finally:
        cursor.rollback()


def export_table(cursor: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    cursor.execute(f"COPY (SELECT * FROM {_identifier(table)}) TO {_literal(path)} (FORMAT parquet)")


def table_columns(cursor: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [row[0] for row in rows]


def parquet_columns(cursor: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    rows = cursor.execute("SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(?))", [str(path)]).fetchall()
    return [row[0] for row in rows]


def load_table(cursor: duckdb.DuckDBPyConnection, table: str, columns: list[str], path: Path) -> None:
    """Replace the rows of `table` (a table the app made) with those of a Parquet file, by column name.

    Only data is read from the file: the table, its columns and their types are the app's own.
    """
    names = ", ".join(_identifier(column) for column in columns)
    cursor.execute(f"DELETE FROM {_identifier(table)}")
    cursor.execute(f"INSERT INTO {_identifier(table)} ({names}) SELECT {names} FROM read_parquet(?)", [str(path)])


def table_names(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    rows = cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [row[0] for row in rows]


def table_digest(cursor: duckdb.DuckDBPyConnection, table: str) -> TableDigest:
    reader = cursor.execute(
        f"SELECT sha256(to_json(backed_up_row)) FROM {_identifier(table)} AS backed_up_row ORDER BY 1"
    ).to_arrow_reader(BATCH_ROWS)
    digest, rows = hashlib.sha256(), 0
    for batch in reader:
        row_digests = batch.column(0).to_pylist()
        rows += len(row_digests)
        digest.update("".join(row_digests).encode("ascii"))
    return TableDigest(rows, digest.hexdigest())


def contents(cursor: duckdb.DuckDBPyConnection) -> Contents:
    names = table_names(cursor)
    migrations = []
    if "_migrations" in names:
        migrations = [row[0] for row in cursor.execute("SELECT number FROM _migrations ORDER BY number").fetchall()]
    tail = None
    if "audit_log" in names:
        tail = cursor.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return Contents(
        tables={name: table_digest(cursor, name) for name in names},
        migrations=migrations,
        audit_log_seq=tail[0] if tail else 0,
        audit_log_hash=tail[1] if tail else None,
    )

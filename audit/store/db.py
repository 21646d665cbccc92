"""The one connection to the DuckDB file, shared by every session of the server.

DuckDB allows one writing process per file, so the server process owns it. Each unit
of work gets its own cursor (its own transaction); writes are serialised by a lock so
that sessions never fight over the same rows, while reads go on in parallel.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from audit.errors import StoreUnavailable

DEFAULT_PATH = Path("data") / "audit.duckdb"


def database_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--db` wins, then the AUDIT_DB environment variable, then data/audit.duckdb."""
    return Path(explicit or os.environ.get("AUDIT_DB") or DEFAULT_PATH)


def _unavailable(path: Path, error: duckdb.Error) -> StoreUnavailable:
    text = str(error)
    if "lock" in text.lower():
        return StoreUnavailable(
            f"The database {path} is in use by another program (usually the running app). "
            "Stop that program, or work through the app, then try again."
        )
    if "read-only" in text.lower() or "permission" in text.lower():
        return StoreUnavailable(
            f"The database {path} cannot be written: the file or its folder is read-only. "
            "Make it writable, then try again."
        )
    if "space" in text.lower():
        return StoreUnavailable(
            f"The disk holding {path} is full. Free some space, then try again; "
            "nothing you entered was lost."
        )
    return StoreUnavailable(f"The database {path} cannot be used: {text}")


class Database:
    """Owns the connection; hands out cursors for reads and locked transactions for writes."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._write_lock = threading.RLock()
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as error:
            raise _unavailable(self.path, error) from error

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self._connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction, committed when the block ends and rolled back on any error."""
        if self.read_only:
            raise StoreUnavailable(f"The database {self.path} was opened read-only.")
        with self._write_lock:
            cursor = self._connection.cursor()
            try:
                cursor.begin()
                yield cursor
                cursor.commit()
            except BaseException as error:
                try:
                    cursor.rollback()
                except duckdb.Error:
                    pass
                if isinstance(error, (duckdb.IOException, duckdb.PermissionException)):
                    raise _unavailable(self.path, error) from error
                raise
            finally:
                cursor.close()

    def checkpoint(self) -> None:
        with self._write_lock:
            self._connection.execute("CHECKPOINT")


def open_database(path: str | os.PathLike | None = None, *, read_only: bool = False) -> Database:
    """Open (creating if needed) and bring the schema up to date."""
    from audit.store.migrations import migrate

    database = Database(database_path(path), read_only=read_only)
    if not read_only:
        migrate(database)
    return database

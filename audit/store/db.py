"""The one connection to the DuckDB file, shared by every session of the server.

DuckDB allows one writing process per file, so the server process owns it. Each unit
of work gets its own cursor (its own transaction); writes are serialised by a lock so
that sessions never fight over the same rows, while reads go on in parallel.

Storage faults (file held by another program, read-only, disk full) become one
`StoreUnavailable` with a plain message, and a failed write leaves nothing behind. When
DuckDB gives up on the file after such a fault (it "invalidates" the database, e.g. when a
checkpoint cannot be written), the next unit of work reopens it, so the app recovers by
itself once the fault is gone.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from audit.errors import StoreUnavailable
from audit.settings import settings

# Words of the operating system's error as DuckDB passes them on, by the fault they mean.
_FAULT_WORDS = (
    ("locked", ("conflicting lock", "could not set lock")),
    ("disk_full", ("no space left", "file too large", "disk quota")),
    ("read_only", ("read-only", "permission denied", "operation not permitted")),
)
# Errors about the file itself rather than about the statement.
_STORAGE_ERRORS = (duckdb.IOException, duckdb.PermissionException, duckdb.FatalException)


def database_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--db` wins, then the AUDIT_DB setting (default data/audit.duckdb)."""
    return Path(explicit) if explicit else settings().database_path


def storage_fault(error: BaseException) -> str | None:
    """locked, disk_full, read_only or failed when `error` is about the file; None otherwise.

    A commit that cannot write its log arrives as a TransactionException, the same type as
    a conflict, so only its words tell the two apart.
    """
    if not isinstance(error, duckdb.Error):
        return None
    text = str(error).lower()
    for reason, words in _FAULT_WORDS:
        if any(word in text for word in words) and isinstance(error, (*_STORAGE_ERRORS, duckdb.TransactionException)):
            return reason
    return "failed" if isinstance(error, _STORAGE_ERRORS) else None


def _holder(text: str) -> str:
    match = re.search(r"PID (\d+)", text)
    return f" (process {match.group(1)})" if match else ""


def _unavailable(path: Path, error: duckdb.Error, reason: str) -> StoreUnavailable:
    text = str(error)
    messages = {
        "locked": f"The database {path} is in use by another program{_holder(text)}, usually the running app. "
                  "Stop that program, or work through the app, then try again.",
        "read_only": f"The database {path} cannot be written: the file or its folder is read-only. "
                     "Nothing was saved; make it writable, then save again.",
        "disk_full": f"The disk holding {path} is full. Nothing was saved; free some space, then save again.",
    }
    message = messages.get(reason) or (
        f"The database {path} could not be used because of a storage error: {text.splitlines()[0]} "
        "Nothing was saved; it is reopened on the next try."
    )
    return StoreUnavailable(message, reason=reason)


class Database:
    """Owns the connection; hands out cursors for reads and locked transactions for writes."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._write_lock = threading.RLock()
        self._reopen_lock = threading.Lock()
        self._broken = False
        self._one_thread_lock = threading.Lock()
        self._one_thread_users = 0
        self._threads = 0
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.Error as error:
            raise _unavailable(self.path, error, storage_fault(error) or "failed") from error

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on a working connection, reopening the file if DuckDB gave up on it."""
        with self._reopen_lock:
            if self._broken:
                with suppress(duckdb.Error):
                    self._connection.close()
                self._connection = self._connect()  # still failing: StoreUnavailable, stays broken
                self._broken = False
            return self._connection.cursor()

    @contextmanager
    def _storage_faults(self) -> Iterator[None]:
        """Turn a fault of the file into StoreUnavailable, noting when DuckDB invalidated it."""
        try:
            yield
        except duckdb.Error as error:
            reason = storage_fault(error)
            if reason is None:
                raise
            if isinstance(error, duckdb.FatalException):
                self._broken = True
            raise _unavailable(self.path, error, reason) from error

    def close(self) -> None:
        try:
            self._connection.close()
        except duckdb.Error:
            if not self._broken:
                raise

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._storage_faults():
            cursor = self._cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction, committed when the block ends and rolled back on any error."""
        if self.read_only:
            raise StoreUnavailable(f"The database {self.path} was opened read-only.", reason="read_only")
        with self._write_lock, self._storage_faults():
            cursor = self._cursor()
            try:
                cursor.begin()
                yield cursor
                cursor.commit()
            except BaseException:
                with suppress(duckdb.Error):
                    cursor.rollback()
                raise
            finally:
                cursor.close()

    @contextmanager
    def one_thread(self) -> Iterator[None]:
        """DuckDB works on one thread while the block runs, for bulk reads such as exports.

        With more threads, the memory one export's sort gave back is not always reused by
        the next; it depends on how the threads were scheduled, and on a busy machine two
        exports in a row peaked a quarter higher. An export spends its time in the writer,
        not in DuckDB, so one thread costs it little. Other sessions' queries run on one
        thread too until the last such block ends.
        """
        with self._one_thread_lock, self._storage_faults():
            if self._one_thread_users == 0:
                cursor = self._cursor()
                try:
                    self._threads = cursor.execute("SELECT current_setting('threads')").fetchone()[0]
                    cursor.execute("SET threads = 1")
                finally:
                    cursor.close()
            self._one_thread_users += 1
        try:
            yield
        finally:
            with self._one_thread_lock, self._storage_faults():
                self._one_thread_users -= 1
                if self._one_thread_users == 0:
                    cursor = self._cursor()
                    try:
                        cursor.execute(f"SET threads = {int(self._threads)}")
                    finally:
                        cursor.close()

    def checkpoint(self) -> None:
        with self._write_lock, self._storage_faults():
            cursor = self._cursor()
            try:
                cursor.execute("CHECKPOINT")
            finally:
                cursor.close()

"""The one connection to the DuckDB file, shared by every session of the server.

DuckDB allows one writing process per file, so the server process owns it. Each unit
of work gets its own cursor (its own transaction); writes are serialised by a lock so
that sessions never fight over the same rows, while reads go on in parallel. On a lake
(`backend`) many processes write at once: a service call that writes is a `unit_of_work`,
run again when another process committed to the same table first.

Storage faults (file held by another program, read-only, disk full) become one
`StoreUnavailable` with a plain message, and a failed write leaves nothing behind. When
DuckDB gives up on the file after such a fault (it "invalidates" the database, e.g. when a
checkpoint cannot be written), the next unit of work reopens it, so the app recovers by
itself once the fault is gone.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import ParamSpec, TypeVar

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from audit.errors import StoreUnavailable
from audit.settings import settings
from audit.store import backend

# Words of the operating system's error as DuckDB passes them on, by the fault they mean.
_FAULT_WORDS = (
    ("locked", ("conflicting lock", "could not set lock")),
    ("disk_full", ("no space left", "file too large", "disk quota")),
    ("read_only", ("read-only", "permission denied", "operation not permitted")),
)
# Errors about the file itself rather than about the statement.
_STORAGE_ERRORS = (duckdb.IOException, duckdb.PermissionException, duckdb.FatalException)
# DuckDB's memory for the block in `Database.one_thread`, beyond what it already holds (index nodes and
# cached blocks of a server that has been answering pages): an export process peaks under 1 GB.
BULK_READ_MEMORY = "512MB"
_UNITS = {"bytes": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_UNITS |= {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}


def memory_bytes(setting: str) -> int:
    """DuckDB's memory setting as it reads back ('18.8 GiB', '512.0 MiB') in bytes."""
    number, unit = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", setting).groups()
    return int(float(number) * _UNITS[unit.lower() or "b"])


def database_path(explicit: str | os.PathLike | None = None) -> Path | str:
    """`--db` wins, then the AUDIT_DB setting (default data/audit.duckdb); a lake's connection string as it is."""
    target = str(explicit) if explicit else settings().db
    return target if backend.is_lake(target) else Path(target)


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


def _holder(text: str) -> str | None:
    match = re.search(r"PID (\d+)", text)
    return match.group(1) if match else None


def _unavailable(path: Path, error: duckdb.Error, reason: str) -> StoreUnavailable:
    text = str(error)
    if reason == "locked" and _holder(text):
        return StoreUnavailable("store.error.locked_by", reason=reason, path=str(path), process=_holder(text))
    if reason == "locked":
        return StoreUnavailable("store.error.locked", reason=reason, path=str(path))
    if reason == "read_only":
        return StoreUnavailable("store.error.read_only", reason=reason, path=str(path))
    if reason == "disk_full":
        return StoreUnavailable("store.error.disk_full", reason=reason, path=str(path))
    return StoreUnavailable("store.error.failed", reason=reason, path=str(path), detail=text.splitlines()[0])


class Database:
    """Owns the connection; hands out cursors for reads and locked transactions for writes."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False):
        self.target = str(path)
        self.lake = backend.is_lake(self.target)
        # Files kept beside the database (key, backups) go beside this path: in a lake's data folder.
        self.path = backend.home(self.target, settings().lake_data)
        self.read_only = read_only
        self._write_lock = threading.RLock()
        self._reopen_lock = threading.Lock()
        self._broken = False
        self._one_thread_lock = threading.Lock()
        self._one_thread_users = 0
        self._threads, self._memory = 0, ""
        if not read_only and not self.lake:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = self._connect()
        self._turn = backend.writers_turn(self.target, settings().lake_data)
        self._read_cache = backend.ReadCache() if self.lake else None
        self._beside: ThreadPoolExecutor | None = None  # made on first use of `beside`
        self._beside_lock = threading.Lock()
        # A file's data version: a new number after each of this object's writes (see `data_version`).
        self._instance, self._numbers = uuid.uuid4().hex, itertools.count()
        self._written = next(self._numbers)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return backend.connect(self.target, read_only=self.read_only, data=settings().lake_data)
        except duckdb.Error as error:
            raise _unavailable(self.path, error, storage_fault(error) or "failed") from error

    def _cursor(self, *, reading: bool = False, transaction: bool = False) -> duckdb.DuckDBPyConnection:
        """A cursor on a working connection, reopening the file if DuckDB gave up on it; in a
        transaction already when asked, so a lake looks its snapshot up once for the block."""
        with self._reopen_lock:
            if self._broken:
                with suppress(duckdb.Error):
                    self._connection.close()
                self._connection = self._connect()  # still failing: StoreUnavailable, stays broken
                self._broken = False
                self._moved()  # the file was let go meanwhile: another process may have written
            return backend.prepare(
                self._connection.cursor(), self.lake, self._read_cache if reading else None, begin=transaction
            )

    @contextmanager
    def _storage_faults(self) -> Iterator[None]:
        """Turn a fault of the file into StoreUnavailable, noting when DuckDB invalidated it."""
        try:
            yield
        except duckdb.Error as error:
            reason = storage_fault(error)
            if reason is None:
                raise
            if isinstance(error, duckdb.FatalException) or backend.lost_connection(error):
                self._broken = True
            raise _unavailable(self.path, error, reason) from error

    def reconnect(self) -> None:
        """Close the file and open it again: DuckDB gives back all the memory it held for it."""
        with self._write_lock, self._reopen_lock:
            self._connection.close()
            self._connection = self._connect()
            self._moved()

    def close(self) -> None:
        if self._beside is not None:
            self._beside.shutdown()
        try:
            self._connection.close()
        except duckdb.Error:
            if not self._broken:
                raise

    @contextmanager
    def one_snapshot(self) -> Iterator[None]:
        """Reads within the block (on this thread, this database) share one cursor: one transaction,
        one snapshot. A lake looks its snapshot up in the catalog per transaction, so a service call
        that reads in several steps (the account, then its data) pays that once, and a page that
        makes several such calls, wrapped in one, reads a table the calls copy alike only once
        (`backend.read_locally`)."""
        if _shared_read.get()[0] is self:
            yield
            return
        with self.read() as cursor:
            backend.keep_copies(cursor)
            token = _shared_read.set((self, cursor))
            try:
                yield
            finally:
                _shared_read.reset(token)

    def beside(self, read: Callable[[duckdb.DuckDBPyConnection], R], tables: tuple[str, ...]) -> Future[R]:
        """`read(cursor)`, reading `tables` as this thread's `one_snapshot` block reads them, while the
        caller goes on: on a lake, on a second cursor on another thread. Its result: `.result()`.

        Each lake read waits on the catalog and the data files, so two reads that do not need each
        other take the time of the longer one side by side. The second cursor reads each of
        `tables` (every table `read` names) as the lake was at the block's snapshot. On a file, or
        outside a block, `read` runs here and now: a file's reads wait on no catalog.
        """
        database, shared = _shared_read.get()
        if database is not self or not self.lake:
            done: Future[R] = Future()
            with self.read() as cursor:
                done.set_result(read(cursor))
            return done
        snapshot = backend.snapshot_of(shared)
        with self._beside_lock:
            if self._beside is None:
                self._beside = ThreadPoolExecutor(2, thread_name_prefix="read-beside")
        return self._beside.submit(self._read_at, read, tables, snapshot)

    def _read_at(self, read: Callable[[duckdb.DuckDBPyConnection], R], tables: tuple[str, ...], snapshot: int) -> R:
        with self._storage_faults():
            cursor = self._cursor(reading=True, transaction=True)
            try:
                backend.read_at(cursor, tables, snapshot)
                return read(cursor)
            finally:
                with suppress(duckdb.Error):
                    cursor.rollback()
                cursor.close()

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for reading (within `one_snapshot`, its cursor); with `snapshot`, every statement
        of the block sees the same data (an export's count and its rows)."""
        database, shared = _shared_read.get()
        if database is self:
            yield shared
            return
        with self._storage_faults():
            # One snapshot for the block: a lake looks its snapshot up in the catalog per transaction.
            cursor = self._cursor(reading=True, transaction=self.lake or snapshot)
            try:
                yield cursor
            finally:
                if self.lake:
                    with suppress(duckdb.Error):
                        cursor.rollback()
                cursor.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction, committed when the block ends and rolled back on any error."""
        if self.read_only:
            raise StoreUnavailable("store.error.opened_read_only", reason="read_only", path=str(self.path))
        with self._write_lock, self._turn(), self._storage_faults():
            cursor = self._cursor(transaction=True)
            unit = uuid.uuid4().hex if self.lake else None
            committing = False
            try:
                yield cursor
                if unit:
                    cursor.execute("INSERT INTO _write_units VALUES (?, now()::TIMESTAMP)", [unit])
                committing = True
                cursor.commit()
            except BaseException as error:
                with suppress(duckdb.Error):
                    cursor.rollback()
                if not (unit and backend.lost_connection(error)):
                    raise
                self._broken = True  # the next cursor comes from a new connection
                if not (committing and self._landed(unit, error)):
                    raise NotWritten("store.error.connection_lost", reason="failed", path=str(self.path)) from error
            finally:
                cursor.close()
                self._moved()  # after the commit: a version read since then finds its rows
            commits = _unit_commits.get()
            if commits is not None:
                commits.append(unit)

    def data_version(self, tables: tuple[str, ...]) -> str:
        """A token that moves whenever a row of `tables` may have changed: caches of reads key on it.

        A file is held by this process alone (DuckDB's lock), so its rows change only through this
        object's writes, and their count says it without reading a row. A file edited while the app
        was stopped meets a new `Database`, whose tokens are new. A lake has other writers: there the
        catalog's record of which tables each snapshot changed says it (`ReadCache.last_change`).
        """
        if not self.lake:
            return f"{self._instance}:{self._written}"
        with self.read() as cursor:
            return f"{self._instance}:{self._read_cache.last_change(cursor, tables)}"

    def _moved(self) -> None:
        # A number never given before, from a counter that threads share safely: whatever order two
        # writers store theirs in, a token read after a commit is one no earlier read saw.
        self._written = next(self._numbers)

    def _landed(self, unit: str, lost: BaseException) -> bool:
        """Whether a commit whose answer was lost with the connection made it: looked up by its id on a
        new connection. When even that fails, nobody can say, and the caller must not simply save again."""
        try:
            cursor = self._cursor()
            try:
                return cursor.execute("SELECT count(*) FROM _write_units WHERE id = ?", [unit]).fetchone()[0] > 0
            finally:
                cursor.close()
        except (duckdb.Error, StoreUnavailable):
            self._broken = True
            raise StoreUnavailable(
                "store.error.outcome_unknown", reason="failed", path=str(self.path), detail=str(lost).splitlines()[0]
            ) from lost

    @contextmanager
    def one_thread(self) -> Iterator[None]:
        """DuckDB works on one thread, within BULK_READ_MEMORY, while the block runs, for bulk reads such as exports.

        With more threads, the memory one export's sort gave back is not always reused by
        the next; it depends on how the threads were scheduled, and on a busy machine two
        exports in a row peaked a quarter higher. An export spends its time in the writer,
        not in DuckDB, so one thread costs it little. The memory cap makes the sort of a
        whole ledger (a million findings with their texts: about 900 MB in memory) spill to
        DuckDB's temporary files instead, a few seconds slower. Other sessions' queries run
        on one thread, under the same cap, until the last such block ends.
        """
        with self._one_thread_lock, self._storage_faults():
            if self._one_thread_users == 0:
                cursor = self._cursor()
                try:
                    self._threads, memory = cursor.execute(
                        "SELECT current_setting('threads'), current_setting('memory_limit')"
                    ).fetchone()
                    # The setting reads back rounded (18.8 GiB): kept as first read, setting it back
                    # again and again gives the same limit, where reading it each time would creep down.
                    self._memory = self._memory or memory
                    cursor.execute("SET threads = 1")
                    # On top of what is held already: a server's loaded index nodes count against the
                    # limit, and a cap of the bare 512 MB left a unit's export of 10 million findings
                    # too little to run in (out of memory).
                    held = cursor.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()
                    cap = int(held[0]) + memory_bytes(BULK_READ_MEMORY)
                    with suppress(duckdb.Error):  # refused while more is in use: the export runs uncapped
                        if cap < memory_bytes(self._memory):
                            cursor.execute(f"SET memory_limit = '{cap}B'")
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
                        # Not RESET: DuckDB then shows the default but keeps the buffer pool at the cap.
                        cursor.execute("SET memory_limit = $limit", {"limit": self._memory})
                    finally:
                        cursor.close()

    def housekeeping(self, step: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """Run `step` outside a transaction (a lake's maintenance functions refuse one), in this process's turn."""
        with self._write_lock, self._turn(), self._storage_faults():
            cursor = self._cursor()
            try:
                step(cursor)
            finally:
                cursor.close()
                self._moved()

    def checkpoint(self) -> None:
        with self._write_lock, self._turn(), self._storage_faults():
            cursor = self._cursor()
            try:
                cursor.execute("CHECKPOINT")
            finally:
                cursor.close()


class NotWritten(StoreUnavailable):
    """The connection to a lake's catalog was lost and the write is known not to have landed: it may run again."""

    title_key = "error.title.connection_lost"


P = ParamSpec("P")
R = TypeVar("R")
# Commits made by the unit of work running in this context; None outside one.
_unit_commits: ContextVar[list | None] = ContextVar("unit_commits", default=None)
# The database and cursor of the `Database.one_snapshot` block running in this context, if any.
_shared_read: ContextVar[tuple[Database | None, duckdb.DuckDBPyConnection | None]] = ContextVar(
    "shared_read", default=(None, None)
)


def unit_of_work(function: Callable[P, R]) -> Callable[P, R]:
    """A service call that writes, run again whole when another process committed to the same table first.

    Only on a lake can that happen (a file has one writing process, and its writes queue on a lock).
    The whole call runs again, reading afresh, so version checks and guard rows see the other commit.
    A call that already committed a write of its own is not run again: the conflict is raised. A unit
    called inside another runs as part of it, and the outer one decides. A write whose connection to
    the catalog was lost runs again too, once its id was looked up and found not committed (`NotWritten`).
    """

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _unit_commits.get() is not None:
            return function(*args, **kwargs)
        commits: list = []

        def again(error: BaseException) -> bool:
            return (backend.conflict(error) or isinstance(error, NotWritten)) and not commits

        retrying = Retrying(
            retry=retry_if_exception(again),
            wait=wait_random_exponential(multiplier=backend.BACKOFF_FIRST, max=backend.BACKOFF_MAX),
            stop=stop_after_attempt(backend.CONFLICT_ATTEMPTS),
            reraise=True,
        )
        token = _unit_commits.set(commits)
        try:
            return retrying(function, *args, **kwargs)
        except duckdb.TransactionException as error:
            if backend.conflict(error) and not commits:
                raise StoreUnavailable("store.error.busy", reason="busy") from error
            raise
        finally:
            _unit_commits.reset(token)

    return run

"""What differs between the two backends: an embedded DuckDB file, or DuckLake with a PostgreSQL catalog.

`AUDIT_DB` names a file (the default) or a lake (`ducklake:postgres:dbname=audit host=...`, its
Parquet files in `AUDIT_LAKE_DATA`). Everything else in the store runs the same SQL on both; the
differences live here:

- connecting: a lake is attached to an in-memory DuckDB with the extensions of the pinned wheels
  (nothing is downloaded), and every cursor must `USE lake`, since cursors start in memory;
- schema: a lake has no indexes, constraints, sequences, ON CONFLICT or list defaults (`lake_ddl`);
- writes: a lake has many writers, so a commit can meet another process's commit to the same table
  (`conflict`), or lose its PostgreSQL connection without knowing whether the commit landed.
  Writers take turns by a lock file in the shared data folder (`writers_turn`): a lake conflicts
  per table, so writers that only retried would starve a long transaction (an import) for ever.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import random
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TypeVar

import duckdb

from audit.errors import InvalidInput

LAKE_PREFIX = "ducklake:"
LAKE = "lake"
# DuckLake retries snapshot-id collisions by itself; 100 gave no failures with four writers.
SNAPSHOT_RETRIES = 100
# Small writes stay in PostgreSQL (inlined) until maintenance flushes them, instead of one Parquet file each.
INLINING_ROW_LIMIT = 1000
# In place of indexes: each table sorted by what it is read by, in row groups small enough that a
# lookup reads one (DuckDB's default is 122,880 rows, a whole ledger of a district in one group).
ROW_GROUP_ROWS = 16_384
SORT_ORDERS = {
    "findings": "found_at",
    "inspections": "started_at",
    "responses": "inspection_id",
    "finding_drafts": "inspection_id",
    "finding_events": "finding_id",
    "audit_log": "seq",
    "audit_log_rows": "seq",
}
# Retries of a unit of work that met another writer: jittered backoff, about a minute at most in all.
CONFLICT_ATTEMPTS = 30
BACKOFF_FIRST = 0.01
BACKOFF_MAX = 2.0

_INDEX = re.compile(r"CREATE\s+(UNIQUE\s+)?INDEX\b[^;]*;?", re.IGNORECASE)
_LIST_DEFAULT = re.compile(r"\s+DEFAULT\s+\[\s*\]", re.IGNORECASE)
_BOOLEAN_DEFAULT = re.compile(r"\bDEFAULT\s+(true|false)\b", re.IGNORECASE)


def is_lake(target: str | os.PathLike) -> bool:
    return str(target).startswith(LAKE_PREFIX)


def lake_data(target: str, configured: Path | None) -> Path:
    """The lake's data folder (AUDIT_LAKE_DATA); a lake without one is refused, naming the setting."""
    if configured is None:
        raise InvalidInput("store.error.lake_data_missing", field="AUDIT_LAKE_DATA", target=target)
    return Path(configured).resolve()


def home(target: str | os.PathLike, configured: Path | None) -> Path:
    """Where files that live beside the database go (key, backups): the data folder of a lake,
    shared by every server of it, so a link one server signs is good on the others."""
    if is_lake(target):
        return lake_data(str(target), configured) / "audit.lake"
    return Path(target)


def _extension(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInput("store.error.lake_extension_missing", field="AUDIT_DB", package=package.replace("_", "-"))
    return next(Path(spec.submodule_search_locations[0]).rglob(f"{name}.duckdb_extension"))


def _postgres_extension() -> Path:
    """The postgres extension loads only under its old name, so a link of that name points at the wheel's file."""
    target = _extension("duckdb_extension_postgres", "postgres")
    folder = Path(tempfile.gettempdir()) / f"audit-duckdb-extensions-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    link = folder / "postgres_scanner.duckdb_extension"
    if not (link.is_symlink() and link.resolve() == target.resolve()):
        spare = folder / f".link-{os.getpid()}-{random.getrandbits(32)}"
        spare.symlink_to(target)
        os.replace(spare, link)  # atomic: processes starting together all see a whole link
    return link


def connect(target: str | os.PathLike, *, read_only: bool, data: Path | None) -> duckdb.DuckDBPyConnection:
    if not is_lake(target):
        return duckdb.connect(str(target), read_only=read_only)
    folder = lake_data(str(target), data)
    if not read_only:
        folder.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(
        ":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        connection.execute(f"LOAD '{_postgres_extension()}'")
        connection.execute(f"LOAD '{_extension('duckdb_extension_ducklake', 'ducklake')}'")
        options = f"DATA_PATH '{_quoted(str(folder) + os.sep)}'" + (", READ_ONLY" if read_only else "")
        connection.execute(f"ATTACH '{_quoted(str(target))}' AS {LAKE} ({options})")
        connection.execute(f"USE {LAKE}")
        connection.execute(f"SET ducklake_max_retry_count = {SNAPSHOT_RETRIES}")
    except BaseException:
        connection.close()
        raise
    return connection


def writers_turn(target: str, data: Path | None):
    """A context manager that waits for this process's turn to write; a file needs none (one writer)."""
    if not is_lake(target):
        return nullcontext
    lock_path = lake_data(target, data) / ".writers.lock"

    @contextmanager
    def turn() -> Iterator[None]:
        # Opened per turn: a lock file on a shared disk can be replaced, and a held descriptor would not see it.
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    return turn


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def prepare(cursor: duckdb.DuckDBPyConnection, lake: bool, cache: ReadCache | None = None, *, begin: bool = False):
    """A cursor starts in DuckDB's in-memory catalog: point it at the lake. A transaction asked for is
    begun first: `USE` outside one is a transaction of its own, with its own look-up of the snapshot."""
    if begin:
        cursor.begin()
    if not lake:
        return cursor
    cursor.execute(f"USE {LAKE}")
    return LakeCursor(cursor, cache=cache)


def on_lake(cursor) -> bool:
    """Whether `cursor` reads a lake (see `prepare`)."""
    return isinstance(cursor, LakeCursor)


def lake_ddl(sql: str) -> str:
    """A migration's SQL as a lake takes it.

    Indexes are left out: a lake has none, and reads find rows through its file statistics (kept
    sharp by maintenance merging small files). List defaults are left out: every insert of such
    a column names its value. A boolean default is written as text, the only form ADD COLUMN takes.
    The schema has no other constraint, sequence or ON CONFLICT: ids are made by the app and
    uniqueness holds by guard rows (`audit_log` head in `meta`, `sequences`).
    """
    return _BOOLEAN_DEFAULT.sub(r"DEFAULT '\1'", _LIST_DEFAULT.sub("", _INDEX.sub("", sql)))


_UPDATE_RETURNING = re.compile(
    r"^\s*UPDATE\s+(?P<table>\w+)\s+SET\s+(?P<set>.*?)\s+WHERE\s+(?P<where>.*?)\s+RETURNING\s+(?P<returning>.*?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


class LakeCursor:
    """A cursor on a lake: what a lake does not take is done another way, the rest passes through.

    `UPDATE ... RETURNING` (not yet supported by DuckLake) becomes: the matching rows' rowids, the
    update, then the returned columns of those rows, all in the caller's transaction. Migrations
    (`ddl=True`) also go through `lake_ddl`. A reading cursor carries its process's `ReadCache`.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, *, ddl: bool = False, cache: ReadCache | None = None):
        self._cursor = cursor
        self._ddl = ddl
        self.cache = cache
        self.snapshot: int | None = None  # of a reading cursor's one transaction, once looked up
        # Within `Database.one_snapshot`, the copies `read_locally` made; None where each block drops its own.
        self.kept: KeptCopies | None = None

    def execute(self, sql: str, parameters=None):
        if self.kept is not None and self.kept.stale:
            self.kept.drop_stale(self._cursor)
        if self._ddl:
            sql = lake_ddl(sql)
            if not sql.strip(" \n;"):  # a migration of indexes only: nothing for a lake
                return self._cursor
        match = _UPDATE_RETURNING.match(sql)
        if match is None:
            return self._cursor.execute(sql) if parameters is None else self._cursor.execute(sql, parameters)
        table, assignments, where, returning = match["table"], match["set"], match["where"], match["returning"]
        found = self._cursor.execute(f"SELECT rowid FROM {table} WHERE {where}", _used(parameters, where, assignments))
        rows = [row[0] for row in found.fetchall()]
        self._cursor.execute(f"UPDATE {table} SET {assignments} WHERE {where}", _used(parameters, assignments + where))
        if isinstance(parameters, dict):
            chosen = {**_used(parameters, returning), "returned_rows": rows}
            return self._cursor.execute(
                f"SELECT {returning} FROM {table} WHERE list_contains($returned_rows::BIGINT[], rowid)", chosen
            )
        return self._cursor.execute(f"SELECT {returning} FROM {table} WHERE list_contains(?::BIGINT[], rowid)", [rows])

    def __getattr__(self, name: str):
        return getattr(self._cursor, name)


def _used(parameters, part: str, before: str = ""):
    """The parameters `part` uses: named ones by name; positional ones from after those `before` took."""
    if isinstance(parameters, dict):
        names = set(re.findall(r"\$(\w+)", part))
        return {name: value for name, value in parameters.items() if name in names}
    return list(parameters or [])[before.count("?") :]


def conflict(error: BaseException) -> bool:
    """Another writer committed to the same table first: the transaction is gone, running it again is safe."""
    return isinstance(error, duckdb.TransactionException) and not lost_connection(error)


def lost_connection(error: BaseException) -> bool:
    """The catalog could not be reached: a commit may or may not have landed.

    A connection that dies as DuckLake commits can also come back as a failed commit whose own
    rollback failed: its outcome is as unknown, and a conflict found that way is safely looked up too.
    """
    if not isinstance(error, duckdb.Error):
        return False
    text = str(error).lower()
    return any(
        words in text
        for words in (
            "unable to connect",
            "server closed the connection",
            "connection refused",
            "no connection",
            "terminating connection",
            'failed to execute query "rollback"',
        )
    )


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt `attempt` + 1: exponential with full jitter, so writers spread out."""
    return random.uniform(0, min(BACKOFF_MAX, BACKOFF_FIRST * 2**attempt))


T = TypeVar("T")
# Results kept per process; each is a few rows (an account, an inspection's answers).
CACHED_RESULTS = 4096
_CHANGED_TABLE = re.compile(r"^[a-z_]+:(\d+)$")


def cached(cursor, key: tuple, tables: tuple[str, ...], read: Callable[[], T]) -> T:
    """`read()`, or what it gave at an earlier snapshot of the lake if none of `tables` changed since.

    On a lake every table a query touches costs several round trips to the catalog (its files, their
    statistics, deletions, inlined rows): about 5 ms each, against well under 1 ms for a file's index.
    A page's point reads (the account, the inspection, its answers) mostly read what no one changed
    since the last rerun. A file, and a cursor that writes, always read.
    """
    cache = getattr(cursor, "cache", None)
    return read() if cache is None else cache.get(cursor, key, tables, read)


class ReadCache:
    """Results of reads by the lake snapshot they were read at, and which tables changed after it.

    Snapshots are immutable, and the catalog records which tables each one changed, so a result
    read at snapshot F holds at a later snapshot S exactly when none of its tables changed in
    (F, S]. The changes are fetched once per new snapshot this process sees, whoever committed
    them; a gap (snapshots expired meanwhile) or a change of the schema counts as every table changed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: int | None = None  # changes are known up to this snapshot
        self._changed: dict[str, int] = {}  # table -> last snapshot that changed it, as far as seen
        self._everything_changed = 0
        self._names: dict[int, str] = {}
        self._results: OrderedDict[tuple, tuple[int, object]] = OrderedDict()

    def get(self, cursor, key: tuple, tables: tuple[str, ...], read: Callable[[], T]) -> T:
        snapshot = snapshot_of(cursor)
        with self._lock:
            self._catch_up(cursor, snapshot)
            found = self._results.get(key)
            if found is not None and found[0] <= snapshot and self._unchanged_since(found[0], tables):
                self._results.move_to_end(key)
                return _copy(found[1])
        value = read()
        with self._lock:
            if key not in self._results or self._results[key][0] <= snapshot:
                self._results[key] = (snapshot, _copy(value))
                self._results.move_to_end(key)
                while len(self._results) > CACHED_RESULTS:
                    self._results.popitem(last=False)
        return value

    def last_change(self, cursor, tables: tuple[str, ...]) -> int:
        """The latest snapshot, as far as this process knows, that changed any of `tables`."""
        snapshot = snapshot_of(cursor)
        with self._lock:
            self._catch_up(cursor, snapshot)
            return max(self._everything_changed, *(self._changed.get(table, 0) for table in tables))

    def _unchanged_since(self, snapshot: int, tables: tuple[str, ...]) -> bool:
        return self._everything_changed <= snapshot and all(self._changed.get(t, 0) <= snapshot for t in tables)

    def _catch_up(self, cursor, snapshot: int) -> None:
        if self._seen is None:
            self._seen = self._everything_changed = snapshot  # nothing known about what came before
            return
        if snapshot <= self._seen:
            return
        rows = cursor.execute(
            f"SELECT snapshot_id, changes_made FROM postgres_query('{metadata_catalog()}', "
            f"'SELECT snapshot_id, changes_made FROM ducklake_snapshot_changes "
            f"WHERE snapshot_id > {int(self._seen)} AND snapshot_id <= {int(snapshot)}')"
        ).fetchall()
        if len({row[0] for row in rows}) != snapshot - self._seen:
            self._everything_changed = snapshot
        for changed_at, changes in rows:
            for change in (changes or "").split(","):
                table = _CHANGED_TABLE.match(change)
                name = self._name(cursor, int(table[1])) if table else None
                if name is None:  # a change of the schema, or of a table made meanwhile
                    self._everything_changed = max(self._everything_changed, changed_at)
                else:
                    self._changed[name] = max(self._changed.get(name, 0), changed_at)
        self._seen = snapshot

    def _name(self, cursor, table_id: int) -> str | None:
        if table_id not in self._names:
            self._names = dict(
                cursor.execute(
                    f"SELECT table_id, table_name FROM {metadata_catalog()}.ducklake_table WHERE end_snapshot IS NULL"
                ).fetchall()
            )
        return self._names.get(table_id)


@contextmanager
def read_locally(
    cursor, whole: tuple[str, ...], subsets: dict[str, tuple[str, str, dict]] | None = None
) -> Iterator[None]:
    """On a lake, the block's unchanged SQL reads in-process copies of some tables instead of the lake.

    Every table a lake query reads costs its catalog round trips (snapshot, files, statistics,
    inlined rows), so a page that runs ten queries over the same tables pays them ten times over.
    Here each table is read once: the `whole` tables (small ones, such as sites) from the process's
    `ReadCache`, read afresh only when a commit changed them; each of `subsets` (name: columns, a
    condition over the table as `f`, its parameters) once from the lake, as a temporary table.
    DuckDB looks names up among a connection's temporary objects before the lake's, so the copies
    stand in for the tables of the same name. A subset is all the block may read of that table:
    every query in it must ask for no row outside the condition, nor a column not copied. The
    whole tables are in place before the subsets are read, so a condition reads them too.

    Within `Database.one_snapshot` (`keep_copies`), each copy is a DuckDB table that outlives its
    block (`KeptCopies`), and a later block of the same snapshot asking for the very same rows
    reads it again instead of the lake: the dashboard's charts and its page of findings share one
    read. Outside a block the name means the lake's table again.
    On a file, and on a cursor that writes, the block reads the tables themselves.
    """
    cache = getattr(cursor, "cache", None)
    if cache is None:
        yield
        return
    kept: KeptCopies | None = getattr(cursor, "kept", None)
    made: list[str] = []
    try:
        for table in whole:
            copy = cache.get(cursor, ("whole table", table), (table,), lambda table=table: _whole(cursor, table))
            if kept is None:
                cursor.register(table, copy)
            else:  # read by several blocks: a table of DuckDB's own reads faster than Arrow each time
                kept.stand_in(cursor, table, copy, lambda name, copy=copy: _materialise(cursor, name, copy))
            made.append(table)
        for table, (columns, condition, parameters) in (subsets or {}).items():
            select = f"SELECT {columns} FROM {LAKE}.main.{table} f WHERE {condition}"
            if kept is None:
                cursor.execute(f"CREATE TEMP TABLE {table} AS {select}", parameters)
            else:
                kept.stand_in(
                    cursor,
                    table,
                    (select, _copy(parameters)),
                    lambda name, select=select, parameters=parameters: cursor.execute(
                        f"CREATE OR REPLACE TEMP TABLE {name} AS {select}", parameters
                    ),
                )
            made.append(table)
        yield
    finally:
        for table in reversed(made):
            if kept is not None:
                kept.release(table)
                continue
            with suppress(duckdb.Error):  # a failed transaction drops nothing; closing the cursor does
                if table in whole:
                    cursor.unregister(table)
                else:
                    cursor.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


class KeptCopies:
    """What `read_locally` copied within one `Database.one_snapshot`, kept for the cursor's life.

    Each copy is a temporary table of its own name (`kept_<table>`); a block reading a table has a
    temporary view of the table's name over the copy. The view outlives the block, for the next
    block asking for the same copy, and is dropped before any statement run outside such a block
    (`LakeCursor.execute`): there the name means the lake's table again.
    """

    def __init__(self) -> None:
        self._held: dict[str, object] = {}  # table: what its copy holds (its query, or the Arrow table copied)
        self._open: dict[str, int] = {}  # table: blocks reading its view now; 0 while the view stands unused

    def stand_in(self, cursor, table: str, holds: object, copy: Callable[[str], object]) -> None:
        """Have `table` mean its copy until `release`: made by `copy(name)` unless it holds `holds` already."""
        held = self._held.get(table)
        if not (held is holds or (isinstance(holds, tuple) and held == holds)):
            copy(f"kept_{table}")
            self._held[table] = holds
        if table in self._open:
            self._open[table] += 1
        else:
            self._open[table] = 1  # before the statement, which would otherwise drop it as unused
            cursor.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM temp.main.kept_{table}")

    def release(self, table: str) -> None:
        self._open[table] -= 1

    @property
    def stale(self) -> bool:
        """Whether a view stands that no open block reads."""
        return 0 in self._open.values()

    def drop_stale(self, cursor) -> None:
        for table in [table for table, blocks in self._open.items() if not blocks]:
            cursor.execute(f"DROP VIEW IF EXISTS temp.main.{table}")
            del self._open[table]


def keep_copies(cursor) -> None:
    """Have `read_locally` keep its copies for as long as `cursor` lives (`Database.one_snapshot`)."""
    if getattr(cursor, "cache", None) is not None:  # a lake's reading cursor
        cursor.kept = KeptCopies()


def _materialise(cursor, name: str, rows) -> None:
    """A temporary table `name` holding the Arrow table `rows`."""
    cursor.register("kept_arrow", rows)
    try:
        cursor.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM kept_arrow")
    finally:
        cursor.unregister("kept_arrow")


def _whole(cursor, table: str):
    """Every row of a lake table, as an Arrow table: immutable, so one copy serves every session."""
    return cursor.execute(f"SELECT * FROM {LAKE}.main.{table}").to_arrow_table()


def read_at(cursor, tables: tuple[str, ...], snapshot: int) -> None:
    """Have `cursor`'s statements read each of `tables` as the lake was at `snapshot` (`Database.beside`)."""
    for table in tables:
        cursor.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {LAKE}.main.{table} AT (VERSION => {int(snapshot)})")


def snapshot_of(cursor) -> int:
    """The lake snapshot a reading cursor reads: it stays in one transaction, so this is looked up once."""
    if cursor.snapshot is None:
        cursor.snapshot = cursor.execute(f"SELECT id FROM {LAKE}.current_snapshot()").fetchone()[0]
    return cursor.snapshot


def metadata_catalog() -> str:
    """The name under which DuckLake attaches the lake's catalog database."""
    return f"__ducklake_metadata_{LAKE}"


def _copy(value):
    """Containers are copied in and out, so a caller changing what it got changes no cached result."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value

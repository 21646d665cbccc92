"""Storage faults made real where this machine allows, injected where it does not.

- A small disk: a 8 MB tmpfs when we may mount one (root), else a file-size limit
  (RLIMIT_FSIZE), under which the kernel refuses to grow any file; both are real write
  errors inside DuckDB.
- A read-only folder: chmod for an ordinary user; root ignores modes, so for root the
  immutable flag (chattr +i). Where neither works (root without that capability) the
  caller falls back to injected errors (`failing_commits`).
- A file held by another process: a child that opens the database and waits.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb

from audit.store.db import Database

ROOT = Path(__file__).resolve().parents[2]


def succeeds(*command: str) -> bool:
    """Whether a system command ran and did its job (it may be missing, or not allowed)."""
    try:
        return subprocess.run(command, capture_output=True).returncode == 0
    except OSError:
        return False


class SmallDisk:
    """A folder on a disk that can be filled up and freed again."""

    def __init__(self, folder: Path, *, tmpfs: bool = True):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.mounted = tmpfs and succeeds("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder))
        self._limits = resource.getrlimit(resource.RLIMIT_FSIZE)
        self._handler = None

    def fill(self) -> None:
        if self.mounted:
            with open(self.folder / "filler", "wb") as filler:
                try:
                    while True:
                        filler.write(b"\0" * 65536)
                        filler.flush()
                except OSError:
                    pass
            return
        # Ignored, SIGXFSZ turns into the error EFBIG ("File too large") instead of killing us.
        self._handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        # Nothing may grow past where it ends now: the write-ahead log cannot take another commit.
        log_size = max((path.stat().st_size for path in self.folder.glob("*.wal")), default=0)
        resource.setrlimit(resource.RLIMIT_FSIZE, (log_size, self._limits[1]))

    def free(self) -> None:
        if self.mounted:
            (self.folder / "filler").unlink(missing_ok=True)
            return
        resource.setrlimit(resource.RLIMIT_FSIZE, self._limits)
        if self._handler is not None:
            signal.signal(signal.SIGXFSZ, self._handler)

    def close(self) -> None:
        self.free()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], check=True)


@contextmanager
def small_disk(folder: Path, *, tmpfs: bool = True):
    """A tmpfs if asked and allowed here, else the file-size limit."""
    disk = SmallDisk(folder, tmpfs=tmpfs)
    try:
        yield disk
    finally:
        disk.close()


@contextmanager
def read_only(*paths: Path):
    """Make files and folders unwritable; yields False when this machine cannot."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(modes[path] & ~0o222)
        try:
            yield True
        finally:
            for path in paths:
                path.chmod(modes[path])
        return
    if not succeeds("chattr", "+i", *map(str, paths)):
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


class _FailingCursor:
    def __init__(self, cursor: duckdb.DuckDBPyConnection, message: str):
        self._cursor, self._message = cursor, message

    def commit(self):
        raise duckdb.IOException(self._message)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class _FailingConnection:
    def __init__(self, connection: duckdb.DuckDBPyConnection, message: str):
        self._connection, self._message = connection, message

    def cursor(self):
        return _FailingCursor(self._connection.cursor(), self._message)

    def __getattr__(self, name):
        return getattr(self._connection, name)


@contextmanager
def failing_commits(database: Database, message: str):
    """Every commit through `database` fails with DuckDB's IOException carrying `message`."""
    real = database._connection
    database._connection = _FailingConnection(real, message)
    try:
        yield
    finally:
        database._connection = real


@contextmanager
def held_by_another_process(db_path: Path):
    """A second program with the database open (as a running app would have it)."""
    script = (
        "import sys\nfrom audit.store import open_database\n"
        f"database = open_database({str(db_path)!r})\nprint('holding', flush=True)\nsys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        if holder.stdout.readline().strip() != "holding":
            raise RuntimeError("the holding process did not start")
        yield holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()

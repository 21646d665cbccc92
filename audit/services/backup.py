"""Backups that can be trusted: a consistent copy taken while the app runs, and a restore
that proves it rebuilt exactly what was saved.

DuckDB lets one process hold the file, so `backup` runs in whichever process owns the
`Database` (the app's admin page, or the CLI when the app is stopped). The copy and its
manifest come from one snapshot, so sessions may go on saving meanwhile. A restore builds
the new file aside and only puts it in place once every table's row count and content
digest match the manifest and the audit log verifies; otherwise nothing is left behind.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

import audit
from audit.errors import InvalidInput, NotFound, StoreUnavailable
from audit.model import User
from audit.services.permissions import Permission, require
from audit.store import audit_log
from audit.store import backup as store
from audit.store.backup import Contents, TableDigest
from audit.store.db import Database

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    created_at: str
    tool_version: str
    duckdb_version: str
    contents: Contents

    def rows(self, table: str) -> int:
        digest = self.contents.tables.get(table)
        return digest.rows if digest else 0

    def to_json(self) -> str:
        contents = self.contents
        return json.dumps({
            "format": FORMAT, "created_at": self.created_at, "tool_version": self.tool_version,
            "duckdb_version": self.duckdb_version, "migrations": contents.migrations,
            "audit_log": {"last_seq": contents.audit_log_seq, "last_hash": contents.audit_log_hash},
            "tables": {name: asdict(digest) for name, digest in contents.tables.items()},
        }, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r} is not {FORMAT}")
        contents = Contents(
            tables={name: TableDigest(int(d["rows"]), str(d["sha256"])) for name, d in data["tables"].items()},
            migrations=[int(n) for n in data["migrations"]],
            audit_log_seq=int(data["audit_log"]["last_seq"]),
            audit_log_hash=data["audit_log"]["last_hash"],
        )
        return cls(data["created_at"], data["tool_version"], data["duckdb_version"], contents)


def backup(database: Database, out_dir: str | os.PathLike, *, actor: User | None = None) -> Manifest:
    """Write the database as Parquet plus manifest.json into `out_dir` (new or empty).

    `actor` is the signed-in user when the app asks (they need the backup permission); the
    command line passes none, its user already holding the file itself.
    """
    if actor is not None:
        actor = require(actor, Permission.BACKUP, database)
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput(f"The backup folder {out_dir} is not empty. Choose a new folder, so that no earlier "
                           "backup is overwritten.", field="out")
    partial = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with _full_disk_named(out_dir):
            manifest = _export(database, partial)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(partial, out_dir)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return manifest


def _export(database: Database, folder: Path) -> Manifest:
    with database.read() as cursor, store.snapshot(cursor):
        store.export_database(cursor, folder)
        manifest = Manifest(datetime.now(timezone.utc).isoformat(timespec="seconds"), audit.__version__,
                            duckdb.__version__, store.contents(cursor))
    (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


@contextmanager
def _full_disk_named(out_dir: Path) -> Iterator[None]:
    """A full disk while writing the backup is the backup folder's disk, not the database's."""
    try:
        yield
    except (StoreUnavailable, OSError) as error:
        full = (error.reason == "disk_full" if isinstance(error, StoreUnavailable)
                else error.errno in (errno.ENOSPC, errno.EFBIG))
        if not full:
            raise
        raise StoreUnavailable(f"The disk holding {out_dir} is full, so the backup was not made. Free some space "
                               "or choose a folder on another disk, then try again.", reason="disk_full") from error


def backup_archive(database: Database, folder: str | os.PathLike, *, actor: User | None = None) -> tuple[Path, Manifest]:
    """A backup zipped into one file in `folder`, for a browser to download."""
    name = datetime.now().strftime("audit-backup-%Y%m%d-%H%M%S")
    out_dir = Path(folder) / name
    manifest = backup(database, out_dir, actor=actor)
    try:
        archive = shutil.make_archive(str(out_dir), "zip", root_dir=out_dir)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return Path(archive), manifest


def read_manifest(folder: Path, source: Path | None = None) -> Manifest:
    """The manifest in `folder`; `source` is how the user named it (a zip's name, say)."""
    source = source or folder
    path = folder / MANIFEST
    if not path.is_file():
        raise NotFound(f"{source} holds no {MANIFEST}: it is not a backup made by this tool.", field="from")
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInput(f"The {MANIFEST} of {source} cannot be read ({error}); the backup is damaged.",
                           field="from") from error


def differences(expected: Contents, found: Contents) -> list[str]:
    """What a rebuilt database has that its manifest does not say, in words."""
    problems = [f"table {name} is missing" for name in sorted(set(expected.tables) - set(found.tables))]
    problems += [f"table {name} is not in the manifest" for name in sorted(set(found.tables) - set(expected.tables))]
    for name in sorted(set(expected.tables) & set(found.tables)):
        want, have = expected.tables[name], found.tables[name]
        if want.rows != have.rows:
            problems.append(f"{name} has {have.rows:,} rows instead of {want.rows:,}")
        elif want.sha256 != have.sha256:
            problems.append(f"{name} has the right number of rows but different contents")
    if expected.migrations != found.migrations:
        problems.append(f"schema migrations are {found.migrations} instead of {expected.migrations}")
    if (expected.audit_log_seq, expected.audit_log_hash) != (found.audit_log_seq, found.audit_log_hash):
        problems.append(f"the audit log ends at entry {found.audit_log_seq} instead of {expected.audit_log_seq}")
    return problems


def restore(source: str | os.PathLike, db_path: str | os.PathLike, *, force: bool = False) -> Manifest:
    """Rebuild a database from a backup folder (or its zip) and check it against the manifest."""
    source, db_path = Path(source), Path(db_path)
    if db_path.exists() and not force:
        raise InvalidInput(f"{db_path} already exists. Restore into a new file, or add --force to replace it.",
                           field="db")
    if db_path.exists():
        Database(db_path).close()  # refuses, plainly, while another program (the app) holds the file
    with tempfile.TemporaryDirectory() as unpacked:
        folder = _unpacked(source, Path(unpacked))
        manifest = read_manifest(folder, source)
        partial = db_path.with_name(f".{db_path.name}.restoring-{os.getpid()}")
        try:
            _rebuild(folder, partial, manifest, source)
            _wal(db_path).unlink(missing_ok=True)  # a log left by the replaced file belongs to it
            if _wal(partial).exists():
                os.replace(_wal(partial), _wal(db_path))
            os.replace(partial, db_path)
        finally:
            partial.unlink(missing_ok=True)
            _wal(partial).unlink(missing_ok=True)
    return manifest


def _unpacked(source: Path, scratch: Path) -> Path:
    if source.is_dir():
        return source
    if not zipfile.is_zipfile(source):
        raise InvalidInput(f"{source} is neither a backup folder nor a backup zip file.", field="from")
    with zipfile.ZipFile(source) as archive:
        archive.extractall(scratch)
    return scratch


def _rebuild(folder: Path, path: Path, manifest: Manifest, source: Path) -> None:
    path.unlink(missing_ok=True)
    _wal(path).unlink(missing_ok=True)
    database = Database(path)
    try:
        try:
            with database.write() as cursor:
                store.import_database(cursor, folder)
        except (duckdb.Error, StoreUnavailable) as error:
            cause = error.__cause__ if isinstance(error, StoreUnavailable) else error
            raise InvalidInput(f"The backup in {source} cannot be loaded, so nothing was restored: "
                               f"{str(cause).splitlines()[0]}", field="from") from error
        with database.read() as cursor:
            problems = differences(manifest.contents, store.contents(cursor))
            log = audit_log.verify(cursor)
    finally:
        database.close()
    if not log.ok:
        problems.append(f"the audit log does not verify at entry {log.bad_seq}: {log.reason}")
    if problems:
        raise InvalidInput(f"The backup in {source} does not match its manifest, so nothing was restored: "
                           + "; ".join(problems) + ".", field="from")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")

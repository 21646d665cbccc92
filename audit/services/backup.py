"""Backups that can be trusted: a consistent copy taken while the app runs, and a restore
that runs nothing from the backup and proves it rebuilt exactly what was saved.

DuckDB lets one process hold the file, so `backup` runs in whichever process owns the
`Database` (the app's admin page, or the CLI when the app is stopped). The Parquet files and
the manifest come from one snapshot, so sessions may go on saving meanwhile.

A backup is data only: one Parquet file per table and `manifest.json`, which records each
file's size and SHA-256, each table's row count and content digest, and is signed with the
server's key (HMAC-SHA256). A restore checks the signature and every file's hash, builds the
schema from the app's own migrations, loads only the tables and columns those made, and puts
the new file in place only once every digest matches and the audit log verifies. Anything
else in a backup (another file, table or column, any SQL) is refused, naming it.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

import duckdb

import audit
from audit import leftovers, secret_key
from audit.errors import InvalidInput, NotFound, StoreUnavailable
from audit.model import User
from audit.services.permissions import Permission, require
from audit.settings import settings
from audit.store import audit_log
from audit.store import backup as store
from audit.store.backup import Contents, TableDigest
from audit.store.db import Database
from audit.store.migrations import MIGRATIONS, migrate

FORMAT = 2
MANIFEST = "manifest.json"
MANIFEST_LIMIT = 4 * 2**20
SIGNATURE = "HMAC-SHA256"
CHUNK = 2**20


@dataclass(frozen=True)
class FileDigest:
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    tool_version: str
    duckdb_version: str
    contents: Contents
    files: dict[str, FileDigest] = field(default_factory=dict)
    signed: bool = True
    """False only for a backup restored with `trust_unsigned` whose signature did not verify."""

    def rows(self, table: str) -> int:
        digest = self.contents.tables.get(table)
        return digest.rows if digest else 0

    def body(self) -> dict:
        contents = self.contents
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "tool_version": self.tool_version,
            "duckdb_version": self.duckdb_version,
            "migrations": contents.migrations,
            "audit_log": {"last_seq": contents.audit_log_seq, "last_hash": contents.audit_log_hash},
            "tables": {name: {"rows": d.rows, "sha256": d.sha256} for name, d in contents.tables.items()},
            "files": {name: {"bytes": d.bytes, "sha256": d.sha256} for name, d in self.files.items()},
        }

    def to_json(self, key: bytes) -> str:
        body = self.body()
        signature = {"algorithm": SIGNATURE, "key_id": key_id(key), "value": sign(body, key)}
        return json.dumps({**body, "signature": signature}, indent=2, ensure_ascii=False)

    @classmethod
    def from_body(cls, data: dict) -> Manifest:
        contents = Contents(
            tables={str(name): TableDigest(int(d["rows"]), str(d["sha256"])) for name, d in data["tables"].items()},
            migrations=[int(n) for n in data["migrations"]],
            audit_log_seq=int(data["audit_log"]["last_seq"]),
            audit_log_hash=data["audit_log"]["last_hash"],
        )
        files = {str(name): FileDigest(int(d["bytes"]), str(d["sha256"])) for name, d in data["files"].items()}
        return cls(str(data["created_at"]), str(data["tool_version"]), str(data["duckdb_version"]), contents, files)


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(body: dict, key: bytes) -> str:
    return hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """Tells which key signed a backup without revealing it, so a wrong key is told from an edit."""
    return hmac.new(key, b"audit backup key id", hashlib.sha256).hexdigest()[:16]


def table_file(table: str) -> str:
    return f"{table}.parquet"


# --- backup -------------------------------------------------------------------------------------


def backup(database: Database, out_dir: str | os.PathLike, *, actor: User | None = None) -> Manifest:
    """Write the database as Parquet plus a signed manifest.json into `out_dir` (new or empty).

    `actor` is the signed-in user when the app asks (they need the backup permission); the
    command line passes none, its user already holding the file itself.
    """
    if actor is not None:
        actor = require(actor, Permission.BACKUP, database)
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput("backup.error.folder_not_empty", field="out", folder=str(out_dir))
    key = _signing_key(database)
    partial = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with _full_disk_named(out_dir):
            partial.mkdir(parents=True)
            manifest = _export(database, partial, key)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(partial, out_dir)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return manifest


def _signing_key(database: Database) -> bytes:
    try:
        return secret_key.server_key(database.path)
    except OSError as error:
        full = error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
        raise StoreUnavailable(
            "backup.error.key_unwritable",
            reason="disk_full" if full else "read_only",
            path=str(secret_key.key_path(database.path)),
            detail=error.strerror or str(error),
        ) from error


def _export(database: Database, folder: Path, key: bytes) -> Manifest:
    with database.read() as cursor, store.snapshot(cursor):
        for table in store.table_names(cursor):
            store.export_table(cursor, table, folder / table_file(table))
        contents = store.contents(cursor)
    files = {table_file(table): _digest_of(folder / table_file(table)) for table in contents.tables}
    manifest = Manifest(
        datetime.now(UTC).isoformat(timespec="seconds"), audit.__version__, duckdb.__version__, contents, files
    )
    (folder / MANIFEST).write_text(manifest.to_json(key), encoding="utf-8")
    return manifest


def _digest_of(path: Path) -> FileDigest:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return FileDigest(path.stat().st_size, digest.hexdigest())


@contextmanager
def _full_disk_named(out_dir: Path) -> Iterator[None]:
    """A full disk while writing the backup is the backup folder's disk, not the database's."""
    try:
        yield
    except (StoreUnavailable, OSError) as error:
        full = (
            error.reason == "disk_full"
            if isinstance(error, StoreUnavailable)
            else error.errno in (errno.ENOSPC, errno.EFBIG)
        )
        if not full:
            raise
        raise StoreUnavailable("backup.error.disk_full", reason="disk_full", folder=str(out_dir)) from error


def backup_archive(
    database: Database, folder: str | os.PathLike, *, actor: User | None = None
) -> tuple[Path, Manifest]:
    """A backup zipped into one file in `folder`, for a browser to download."""
    name = datetime.now().strftime("audit-backup-%Y%m%d-%H%M%S")
    out_dir = Path(folder) / name
    manifest = backup(database, out_dir, actor=actor)
    try:
        archive = shutil.make_archive(str(out_dir), "zip", root_dir=out_dir)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return Path(archive), manifest


# --- restore ------------------------------------------------------------------------------------


def restore(
    source: str | os.PathLike,
    db_path: str | os.PathLike,
    *,
    force: bool = False,
    trust_unsigned: bool = False,
    key_file: str | os.PathLike | None = None,
) -> Manifest:
    """Rebuild a database from a backup folder (or its zip) and check it against the manifest.

    The signature is checked with the keys this server holds (AUDIT_SECRET_KEY, the key file
    beside `db_path`, the key file of the configured database) or only with `key_file`. With
    `trust_unsigned`, a backup whose signature does not verify is restored all the same and the
    manifest returned says `signed=False`; every other check still applies.
    """
    source, db_path = Path(source), Path(db_path)
    leftovers.remove_abandoned(db_path, leftovers.RESTORING)
    if db_path.exists() and not force:
        raise InvalidInput("backup.error.target_exists", field="db", path=str(db_path))
    if db_path.exists():
        Database(db_path).close()  # refuses, plainly, while another program (the app) holds the file
    keys = _verifying_keys(db_path, key_file)
    work = leftovers.work_path(db_path, leftovers.RESTORING)
    files = work.with_name(work.name + ".files")
    try:
        files.mkdir(parents=True)
        with _entries(source) as entries:
            manifest, key = _checked_copy(entries, files, keys, trust_unsigned, source)
        _rebuild(files, work, manifest, source)
        if key is not None and key != secret_key.configured_key():
            secret_key.keep_key_beside(db_path, key)  # its later backups and this one verify with the same key
        _wal(db_path).unlink(missing_ok=True)  # a log left by the replaced file belongs to it
        if _wal(work).exists():
            os.replace(_wal(work), _wal(db_path))
        os.replace(work, db_path)
    finally:
        shutil.rmtree(files, ignore_errors=True)
        work.unlink(missing_ok=True)
        _wal(work).unlink(missing_ok=True)
    return manifest


def _verifying_keys(db_path: Path, key_file: str | os.PathLike | None) -> list[bytes]:
    if key_file is not None:
        try:
            return [secret_key.read_key_file(key_file)]
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput("backup.error.key_file", field="key_file", path=str(key_file)) from error
    keys = []
    for database in (db_path, settings().database_path):
        key = secret_key.existing_key(database)
        if key is not None and key not in keys:
            keys.append(key)
    return keys


class _Entries(Protocol):
    """The files of a backup folder or zip, each opened as a binary stream."""

    def names(self) -> list[str]: ...

    def open(self, name: str) -> BinaryIO: ...


class _Folder:
    def __init__(self, folder: Path):
        self.folder = folder

    def names(self) -> list[str]:
        return sorted(path.name for path in self.folder.iterdir())

    def open(self, name: str) -> BinaryIO:
        path = self.folder / name
        if path.is_symlink() or not path.is_file():
            raise InvalidInput("backup.error.not_a_file", field="from", source=str(self.folder), file=name)
        return path.open("rb")


class _Zip:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive

    def names(self) -> list[str]:
        return [info.filename for info in self.archive.infolist()]

    def open(self, name: str) -> BinaryIO:
        return self.archive.open(name)


@contextmanager
def _entries(source: Path) -> Iterator[_Entries]:
    if source.is_dir():
        yield _Folder(source)
        return
    if not zipfile.is_zipfile(source):
        raise InvalidInput("backup.error.not_a_backup", field="from", source=str(source))
    with zipfile.ZipFile(source) as archive:
        yield _Zip(archive)


def _checked_copy(
    entries: _Entries, folder: Path, keys: list[bytes], trust_unsigned: bool, source: Path
) -> tuple[Manifest, bytes | None]:
    """The verified manifest, the key that verified it, and every file it names copied into
    `folder` with its hash checked on the way, so what is loaded is exactly what was checked."""
    names = entries.names()
    if MANIFEST not in names:
        raise NotFound("backup.error.no_manifest", field="from", source=str(source))
    if len(names) != len(set(names)):
        raise InvalidInput(
            "backup.error.unreadable", field="from", source=str(source), file=MANIFEST, reason="an entry appears twice"
        )
    try:
        with entries.open(MANIFEST) as file:
            raw = file.read(MANIFEST_LIMIT + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise InvalidInput(
            "backup.error.unreadable", field="from", source=str(source), file=MANIFEST, reason=str(error)
        ) from error
    body, signature = _parse_manifest(raw, source)
    key = _verified_key(body, signature, keys, trust_unsigned, source)
    try:
        manifest = Manifest.from_body(body)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise InvalidInput(
            "backup.error.unreadable", field="from", source=str(source), file=MANIFEST, reason=str(error)
        ) from error
    if key is None:
        manifest = replace(manifest, signed=False)
    _check_names(manifest, names, source)
    for name, expected in sorted(manifest.files.items()):
        _copy_checked(entries, name, expected, folder / name, source)
    return manifest, key


def _parse_manifest(raw: bytes, source: Path) -> tuple[dict, dict | None]:
    try:
        if len(raw) > MANIFEST_LIMIT:
            raise ValueError(f"larger than {MANIFEST_LIMIT // 2**20} MiB")
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
    except (ValueError, TypeError) as error:
        raise InvalidInput(
            "backup.error.unreadable", field="from", source=str(source), file=MANIFEST, reason=str(error)
        ) from error
    if data.get("format") == 1:
        raise InvalidInput("backup.error.old_format", field="from", source=str(source))
    if data.get("format") != FORMAT:
        raise InvalidInput(
            "backup.error.unreadable",
            field="from",
            source=str(source),
            file=MANIFEST,
            reason=f"format {data.get('format')!r} is not {FORMAT}",
        )
    signature = data.pop("signature", None)
    return data, signature if isinstance(signature, dict) else None


def _verified_key(
    body: dict, signature: dict | None, keys: list[bytes], trust_unsigned: bool, source: Path
) -> bytes | None:
    """The key whose signature the manifest carries; None when it carries none that verifies
    and the user said to trust it anyway."""
    value = str(signature.get("value", "")) if signature else ""
    for key in keys:
        if value and signature.get("algorithm") == SIGNATURE and hmac.compare_digest(value, sign(body, key)):
            return key
    if trust_unsigned:
        return None
    if not keys:
        raise InvalidInput("backup.error.no_key", field="key_file", source=str(source))
    if not signature:
        raise InvalidInput("backup.error.unsigned", field="from", source=str(source))
    if any(signature.get("key_id") == key_id(key) for key in keys):
        raise InvalidInput("backup.error.edited", field="from", source=str(source))
    raise InvalidInput("backup.error.other_key", field="key_file", source=str(source))


def _check_names(manifest: Manifest, names: list[str], source: Path) -> None:
    expected = {table_file(table) for table in manifest.contents.tables}
    odd = sorted((set(manifest.files) ^ expected) | {name for name in expected if not _plain(name)})
    if odd:
        raise InvalidInput(
            "backup.error.unreadable",
            field="from",
            source=str(source),
            file=MANIFEST,
            reason=f"{odd[0]!r} is not the plain file name of exactly one table",
        )
    extra = sorted(set(names) - expected - {MANIFEST})
    if extra:
        raise InvalidInput("backup.error.extra_file", field="from", source=str(source), file=extra[0])
    missing = sorted(expected - set(names))
    if missing:
        raise InvalidInput("backup.error.missing_file", field="from", source=str(source), file=missing[0])


def _plain(name: str) -> bool:
    """A name that stays inside the folder it is unpacked into."""
    return name == Path(name).name and name not in ("", ".", "..") and not any(c in name for c in "\\/:\0")


def _copy_checked(entries: _Entries, name: str, expected: FileDigest, target: Path, source: Path) -> None:
    digest, size = hashlib.sha256(), 0
    try:
        with entries.open(name) as file, target.open("wb") as out:
            while chunk := file.read(CHUNK):
                size += len(chunk)
                if size > expected.bytes:
                    break  # never unpack more than the manifest promised
                digest.update(chunk)
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:  # a damaged zip
        raise InvalidInput(
            "backup.error.unreadable", field="from", source=str(source), file=name, reason=str(error)
        ) from error
    if size != expected.bytes or not hmac.compare_digest(digest.hexdigest(), expected.sha256):
        raise InvalidInput("backup.error.hash_mismatch", field="from", source=str(source), file=name)


def _rebuild(folder: Path, path: Path, manifest: Manifest, source: Path) -> None:
    """Build the schema from the app's migrations, load the checked files into it, compare."""
    unknown = sorted(set(manifest.contents.migrations) - {number for number, _, _ in MIGRATIONS})
    if unknown:
        raise InvalidInput(
            "backup.error.newer_schema", field="from", source=str(source), migrations=", ".join(map(str, unknown))
        )
    path.unlink(missing_ok=True)
    _wal(path).unlink(missing_ok=True)
    database = Database(path)
    try:
        migrate(database, only=manifest.contents.migrations)
        with database.write() as cursor:
            known = set(store.table_names(cursor))
            for table in sorted(manifest.contents.tables):
                _load(cursor, table, known, folder / table_file(table), source)
        with database.read() as cursor:
            problems = differences(manifest.contents, store.contents(cursor))
            log = audit_log.verify(cursor)
        # The chain only: rows that differ from the log are restored as they are, and verify-log names them.
        if log.bad_seq is not None:
            problems.append(f"the audit log does not verify at entry {log.bad_seq}: {log.reason}")
        if problems:
            raise InvalidInput("backup.error.mismatch", field="from", source=str(source), problems="; ".join(problems))
        migrate(database)  # a backup of an older version is upgraded as its file would be
    finally:
        database.close()


def _load(cursor: duckdb.DuckDBPyConnection, table: str, known: set[str], path: Path, source: Path) -> None:
    if table not in known:
        raise InvalidInput("backup.error.unknown_table", field="from", source=str(source), file=path.name, table=table)
    columns = store.table_columns(cursor, table)
    try:
        found = store.parquet_columns(cursor, path)
    except duckdb.Error as error:
        raise InvalidInput(
            "backup.error.unloadable",
            field="from",
            source=str(source),
            file=path.name,
            reason=str(error).splitlines()[0],
        ) from error
    for column in found:
        if column not in columns:
            raise InvalidInput(
                "backup.error.unknown_column",
                field="from",
                source=str(source),
                file=path.name,
                table=table,
                column=column,
            )
    for column in columns:
        if column not in found:
            raise InvalidInput(
                "backup.error.missing_column",
                field="from",
                source=str(source),
                file=path.name,
                table=table,
                column=column,
            )
    try:
        store.load_table(cursor, table, columns, path)
    except duckdb.Error as error:
        raise InvalidInput(
            "backup.error.unloadable",
            field="from",
            source=str(source),
            file=path.name,
            reason=str(error).splitlines()[0],
        ) from error


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


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")

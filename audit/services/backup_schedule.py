"""Backups the running server takes by itself, and what the admin sees of the latest one.

Whatever asks for a backup (the schedule, the admin page, the command line through the local
route), the outcome is recorded the same way: the time, the result and the folder, in the
store and in the audit log. Scheduled backups go to `AUDIT_BACKUP_DIR` (default `backups/`
beside the database), one dated folder each, and only the newest `AUDIT_BACKUP_KEEP` stay.
On a lake every server runs the schedule, and the one holding a lease row takes the backup.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit.errors import AuditError
from audit.model import User
from audit.services.backup import backup
from audit.services.database import unit_of_work
from audit.services.permissions import Permission, require
from audit.settings import settings
from audit.store import audit_log
from audit.store import maintenance as leases
from audit.store.backup_runs import last_backup_run, record_backup_run
from audit.store.db import Database

log = logging.getLogger(__name__)

PREFIX = "audit-backup-"
STALE_AFTER = timedelta(days=2)
RETRY_AFTER = timedelta(hours=1)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
# Longer than a backup of a big lake takes; a server that dies holding it frees it after this.
BACKUP_LEASE = timedelta(hours=6)


@dataclass(frozen=True)
class BackupRun:
    at: str  # ISO time in UTC
    ok: bool
    trigger: str  # scheduled, admin or cli
    by: str
    folder: str
    error: str | None = None
    findings: int | None = None
    last_ok_at: str | None = None  # the latest successful backup, this one or an earlier one

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.at)

    @property
    def last_ok(self) -> datetime | None:
        return datetime.fromisoformat(self.last_ok_at) if self.last_ok_at else None


def backup_folder(database: Database) -> Path:
    configured = settings().backup_dir
    return Path(configured) if configured else database.path.resolve().parent / "backups"


def dated_folder(folder: Path, moment: datetime) -> Path:
    return folder / f"{PREFIX}{moment:%Y%m%d-%H%M%S}"


def take_backup(
    database: Database,
    *,
    trigger: str,
    actor: User | None = None,
    by: str | None = None,
    out_dir: str | os.PathLike | None = None,
    now: datetime | None = None,
) -> BackupRun:
    """Back up into `out_dir`, or a new dated folder of the backup folder (then keep the newest N).

    The outcome is recorded whether it succeeded or not; a failure is then raised again.
    """
    if actor is not None:
        actor = require(actor, Permission.BACKUP, database)
    moment = now or datetime.now(UTC)
    folder = backup_folder(database)
    target = Path(out_dir) if out_dir is not None else dated_folder(folder, moment)
    who = actor.username if actor is not None else (by or trigger)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        manifest = backup(database, target, actor=actor)
    except (AuditError, OSError) as error:
        text = error.message if isinstance(error, AuditError) else f"{type(error).__name__}: {error}"
        _record(database, BackupRun(moment.isoformat(), False, trigger, who, str(target), error=text))
        raise
    run = _record(
        database,
        BackupRun(
            moment.isoformat(),
            True,
            trigger,
            who,
            str(target),
            findings=manifest.rows("findings"),
            last_ok_at=moment.isoformat(),
        ),
    )
    if out_dir is None:
        prune(folder, settings().backup_keep)
    return run


def record_admin_backup(
    database: Database, actor: User, archive: Path | None, *, findings: int | None = None, error: str | None = None
) -> BackupRun:
    """A backup the admin page zipped for download (or failed to) counts like any other."""
    actor = require(actor, Permission.BACKUP, database)
    moment = datetime.now(UTC).isoformat()
    return _record(
        database,
        BackupRun(
            moment,
            error is None,
            "admin",
            actor.username,
            str(archive or ""),
            error=error,
            findings=findings,
            last_ok_at=None if error else moment,
        ),
    )


@unit_of_work
def _record(database: Database, run: BackupRun) -> BackupRun:
    if run.ok:
        log.info("backup %s by %s written to %s", run.trigger, run.by, run.folder)
    else:
        log.error("backup %s by %s to %s failed: %s", run.trigger, run.by, run.folder, run.error)
    try:
        with database.write() as cursor:
            if not run.ok:
                previous = last_backup_run(cursor)
                run = BackupRun(**{**asdict(run), "last_ok_at": (previous or {}).get("last_ok_at")})
            record_backup_run(cursor, asdict(run))
            audit_log.append(
                cursor,
                actor=run.by,
                action="backup.made" if run.ok else "backup.failed",
                entity="backup",
                after=asdict(run),
            )
    except AuditError as error:  # the database itself is failing: the log above still says what happened
        log.error("the outcome of the backup could not be recorded: %s", error.message)
    return run


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` dated backups in `folder`; nothing else there is touched."""
    made = sorted(path for path in folder.glob(f"{PREFIX}*") if path.is_dir())
    gone = made[:-keep] if keep > 0 else made
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return gone


def latest_run(database: Database) -> BackupRun | None:
    """The latest outcome, for the server itself (the scheduler, the health route)."""
    with database.read() as cursor:
        stored = last_backup_run(cursor)
    return BackupRun(**stored) if stored else None


def last_backup(database: Database, actor: User) -> BackupRun | None:
    actor = require(actor, Permission.BACKUP, database)
    return latest_run(database)


def backup_warning(run: BackupRun | None, now: datetime | None = None) -> str | None:
    """`failed`, `stale` (none good for two days) or `never`; None when the latest backup is fine."""
    if run is None:
        return "never"
    if not run.ok:
        return "failed"
    moment = now or datetime.now(UTC)
    return "stale" if run.last_ok is None or moment - run.last_ok > STALE_AFTER else None


def seconds_until_due(database: Database, now: datetime | None = None) -> float:
    """How long the scheduler waits before the next backup: now when none was ever made."""
    run, moment = latest_run(database), now or datetime.now(UTC)
    every = timedelta(hours=settings().backup_hours)
    if run is None:
        return 0.0
    retry = run.moment + min(RETRY_AFTER, every)
    due = retry if run.last_ok is None else run.last_ok + every
    if not run.ok:
        due = min(due, retry)
    return max((due - moment).total_seconds(), 0.0)


def scheduled_backup(database: Database, *, holder: str = HOLDER, now: datetime | None = None) -> BackupRun | None:
    """The scheduled backup, when one is due and, on a lake, no other server is taking it; else None.

    The due time is read again once the lease is held: another server may have finished one meanwhile.
    """
    if seconds_until_due(database, now) > 0:
        return None
    if not database.lake:
        return take_backup(database, trigger="scheduled", by="server", now=now)
    if not _take_lease(database, holder, now or datetime.now(UTC)):
        return None
    result = "failed"
    try:
        if seconds_until_due(database, now) > 0:
            result = "done by another server"
            return None
        run = take_backup(database, trigger="scheduled", by="server", now=now)
        result = "ok"
        return run
    finally:
        _finish_lease(database, holder, now or datetime.now(UTC), result)


def _naive(moment: datetime) -> datetime:
    """Lease times are stored as the catalog's plain TIMESTAMP, in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


@unit_of_work
def _take_lease(database: Database, holder: str, now: datetime) -> bool:
    with database.write() as cursor:
        return leases.take_lease(cursor, holder, _naive(now), _naive(now + BACKUP_LEASE), name=leases.BACKUP_LEASE)


@unit_of_work
def _finish_lease(database: Database, holder: str, now: datetime, result: str) -> None:
    with database.write() as cursor:
        leases.finish_lease(cursor, holder, _naive(now), result, name=leases.BACKUP_LEASE)

"""A lake's maintenance: flush small writes into Parquet, merge small files, expire old snapshots, delete
files nothing reads. One server at a time does it, the one holding the lease row; each step meeting
busy writers is tried again. A file needs none of this (DuckDB checkpoints it by itself).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from audit.model import User
from audit.services.database import Database, unit_of_work
from audit.services.permissions import Permission, require
from audit.settings import settings
from audit.store import maintenance as store

HOLDER = f"{socket.gethostname()}:{os.getpid()}"
LEASE = timedelta(hours=1)
DUE_AFTER = timedelta(hours=24)
FILES_DUE = 500  # more files than this and reads slow down: maintain before the day is out
STEP_ATTEMPTS = 10


@dataclass(frozen=True)
class MaintenanceRun:
    at: datetime | None
    result: str | None
    held_by: str | None  # a server at work on it now


def _lease(database: Database) -> MaintenanceRun:
    with database.read() as cursor:
        row = store.lease(cursor)
    holder, until, at, result = row or ("", datetime.min, None, None)
    return MaintenanceRun(at, result, holder if holder and until > datetime.now() else None)


def last_maintenance(database: Database, actor: User) -> MaintenanceRun | None:
    """When maintenance last ran and how it went, for the admin page; None on a file."""
    require(actor, Permission.BACKUP, database)
    return _lease(database) if database.lake else None


def maintenance_due(database: Database, now: datetime | None = None) -> bool:
    if not database.lake:
        return False
    now = now or datetime.now()
    run = _lease(database)
    if run.at is None or now - run.at >= DUE_AFTER:
        return True
    with database.read() as cursor:
        return store.data_files(cursor) > FILES_DUE


@unit_of_work
def _take(database: Database, now: datetime) -> bool:
    with database.write() as cursor:
        return store.take_lease(cursor, HOLDER, now, now + LEASE)


@unit_of_work
def _finish(database: Database, now: datetime, result: str) -> None:
    with database.write() as cursor:
        store.finish_lease(cursor, HOLDER, now, result)


def maintain_lake(database: Database, now: datetime | None = None) -> str | None:
    """Run every step now; returns "ok" or what failed, or None when another server holds the lease."""
    now = now or datetime.now()
    if not database.lake or not _take(database, now):
        return None
    older_than = now - timedelta(days=settings().lake_retention_days)
    result = "ok"
    for name, statement in store.STEPS:
        try:
            _step(database, statement, older_than)
        except duckdb.Error as error:
            result = f"{name}: {str(error).splitlines()[0]}"
            break
    else:
        _forget(database, now - LEASE)
    _finish(database, datetime.now(), result)
    return result


def _step(database: Database, statement: str, older_than: datetime) -> None:
    """One step, tried again while writers on other hosts keep it from committing."""
    for attempt in Retrying(
        retry=retry_if_exception_type(duckdb.TransactionException),
        wait=wait_random_exponential(multiplier=0.5, max=30),
        stop=stop_after_attempt(STEP_ATTEMPTS),
        reraise=True,
    ):
        with attempt:
            database.housekeeping(lambda cursor: store.run_step(cursor, statement, older_than))


@unit_of_work
def _forget(database: Database, older_than: datetime) -> None:
    with database.write() as cursor:
        store.forget_units(cursor, older_than)

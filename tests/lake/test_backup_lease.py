"""Scheduled backups with several servers on one lake: the one holding the lease takes it, the others
leave it, and a server that got the lease after another finished one does not take a second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from audit import settings
from audit.services import backup_schedule
from audit.store import maintenance as leases
from audit.store import open_database

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _backups(folder) -> list:
    return sorted(path.name for path in folder.glob(f"{backup_schedule.PREFIX}*"))


def _servers(lake_target, tmp_path, monkeypatch, count: int) -> list:
    monkeypatch.setenv("AUDIT_BACKUP_DIR", str(tmp_path / "backups"))
    settings.reload()
    return [open_database(lake_target) for _ in range(count)]


def test_a_server_holding_the_backup_lease_keeps_the_others_off(lake_target, tmp_path, monkeypatch):
    first, second = _servers(lake_target, tmp_path, monkeypatch, 2)
    with first.write() as cursor:  # the first server is taking one now
        held_until = (NOW + timedelta(hours=1)).replace(tzinfo=None)
        assert leases.take_lease(cursor, "first:1", NOW.replace(tzinfo=None), held_until, name=leases.BACKUP_LEASE)
    assert backup_schedule.scheduled_backup(second, holder="second:1", now=NOW) is None
    assert _backups(tmp_path / "backups") == []
    later = NOW + timedelta(hours=2)  # the first died holding it: its lease ran out
    run = backup_schedule.scheduled_backup(second, holder="second:1", now=later)
    assert run is not None and run.ok
    assert len(_backups(tmp_path / "backups")) == 1
    for database in (first, second):
        database.close()


def test_one_backup_per_period_however_many_servers_run_the_schedule(lake_target, tmp_path, monkeypatch):
    servers = _servers(lake_target, tmp_path, monkeypatch, 3)
    runs = [
        backup_schedule.scheduled_backup(database, holder=f"server-{n}:1", now=NOW)
        for n, database in enumerate(servers)
    ]
    assert [run is not None for run in runs] == [True, False, False]
    assert len(_backups(tmp_path / "backups")) == 1
    with servers[0].read() as cursor:
        holder, _, finished, result = leases.lease(cursor, leases.BACKUP_LEASE)
    assert (holder, result) == ("server-0:1", "ok") and finished is not None
    for database in servers:
        database.close()


def test_a_server_that_gets_the_lease_after_another_finished_takes_no_second(lake_target, tmp_path, monkeypatch):
    first, second = _servers(lake_target, tmp_path, monkeypatch, 2)
    assert backup_schedule.scheduled_backup(first, holder="first:1", now=NOW) is not None
    due = backup_schedule.seconds_until_due
    asked: list = []

    def due_when_first_asked(database, now=None):  # the second server looked before the first one finished
        asked.append(now)
        return 0.0 if len(asked) == 1 else due(database, now)

    monkeypatch.setattr(backup_schedule, "seconds_until_due", due_when_first_asked)
    assert backup_schedule.scheduled_backup(second, holder="second:1", now=NOW + timedelta(minutes=5)) is None
    assert len(asked) == 2
    assert len(_backups(tmp_path / "backups")) == 1
    with second.read() as cursor:
        assert leases.lease(cursor, leases.BACKUP_LEASE)[3] == "done by another server"
    for database in (first, second):
        database.close()

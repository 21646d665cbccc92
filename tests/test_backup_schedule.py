"""Backups the server takes by itself: dated folders, the newest N kept, every outcome recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.errors import InvalidInput, PermissionDenied
from audit.services import backup_schedule as schedule
from audit.settings import reload
from audit.store.audit_log import verify
from tests.factories import ADMIN, SUPERVISOR, seed_ledger, store_accounts

START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def configured(db, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_BACKUP_DIR", str(tmp_path / "kept"))
    monkeypatch.setenv("AUDIT_BACKUP_KEEP", "2")
    monkeypatch.setenv("AUDIT_BACKUP_HOURS", "24")
    reload()
    seed_ledger(db)
    store_accounts(db, ADMIN)  # the services read the acting account from the database
    yield db
    monkeypatch.undo()
    reload()


def test_scheduled_backups_keep_the_newest_n(configured, tmp_path):
    for day in range(4):
        schedule.take_backup(configured, trigger="scheduled", by="server", now=START + timedelta(days=day))
    kept = sorted(path.name for path in (tmp_path / "kept").iterdir())
    assert kept == ["audit-backup-20260303-020000", "audit-backup-20260304-020000"]
    assert all((tmp_path / "kept" / name / "manifest.json").is_file() for name in kept)


def test_the_outcome_is_recorded_and_logged(configured):
    run = schedule.take_backup(configured, trigger="scheduled", by="server", now=START)
    latest = schedule.last_backup(configured, ADMIN)
    assert latest == run and latest.ok and latest.findings == 8 and latest.last_ok == START
    with configured.read() as cursor:
        entry = cursor.execute("SELECT actor, action FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        assert verify(cursor).ok
    assert entry == ("server", "backup.made")


def test_a_failure_is_recorded_keeping_the_last_good_time(configured, tmp_path):
    schedule.take_backup(configured, trigger="scheduled", by="server", now=START)
    taken = tmp_path / "taken"
    (taken / "x").mkdir(parents=True)
    with pytest.raises(InvalidInput):
        schedule.take_backup(configured, trigger="cli", by="cli:ops@host", out_dir=taken, now=START + timedelta(days=1))
    latest = schedule.latest_run(configured)
    assert (latest.ok, latest.trigger, latest.by, latest.last_ok) == (False, "cli", "cli:ops@host", START)
    assert "not empty" in latest.error
    assert schedule.backup_warning(latest, START + timedelta(days=1)) == "failed"


def test_warnings_for_never_failed_and_older_than_two_days(configured):
    assert schedule.backup_warning(None) == "never"
    run = schedule.take_backup(configured, trigger="scheduled", by="server", now=START)
    assert schedule.backup_warning(run, START + timedelta(days=1)) is None
    assert schedule.backup_warning(run, START + timedelta(days=2, minutes=1)) == "stale"


def test_the_next_backup_is_due_a_period_after_the_last_good_one(configured):
    assert schedule.seconds_until_due(configured, START) == 0  # never backed up: at once
    schedule.take_backup(configured, trigger="scheduled", by="server", now=START)
    assert schedule.seconds_until_due(configured, START + timedelta(hours=1)) == 23 * 3600
    assert schedule.seconds_until_due(configured, START + timedelta(hours=30)) == 0


def test_a_file_takes_the_scheduled_backup_when_due_and_not_before(configured, tmp_path):
    assert schedule.scheduled_backup(configured, now=START).ok
    assert schedule.scheduled_backup(configured, now=START + timedelta(hours=1)) is None
    assert schedule.scheduled_backup(configured, now=START + timedelta(hours=25)).ok
    assert len(list((tmp_path / "kept").glob(f"{schedule.PREFIX}*"))) == 2


def test_only_those_allowed_to_back_up_see_or_make_backups(configured):
    with pytest.raises(PermissionDenied):
        schedule.last_backup(configured, SUPERVISOR)
    with pytest.raises(PermissionDenied):
        schedule.take_backup(configured, trigger="admin", actor=SUPERVISOR)

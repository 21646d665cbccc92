"""The admin page's Backup tab and the admin's home warning about backups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.errors import InvalidInput
from audit.model import Role, User
from audit.services import backup_schedule as schedule
from audit.settings import reload
from audit.store import open_database
from tests.app.conftest import SignIn

ADMIN = User(id="admin-1", username="boss", display_name="管理员", role=Role.ADMIN)
SUPERVISOR = User(id="sup-1", username="zhou", display_name="周组长", role=Role.SUPERVISOR)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_BACKUP_DIR", str(tmp_path / "kept"))
    reload()
    yield tmp_path / "kept"
    monkeypatch.undo()
    reload()


def backed_up(app_db, *, days_ago: float = 0, fail_after: bool = False) -> None:
    database = open_database(app_db)
    try:
        schedule.take_backup(
            database, trigger="scheduled", by="server", now=datetime.now(UTC) - timedelta(days=days_ago)
        )
        if fail_after:
            taken = app_db.parent / "taken"
            (taken / "x").mkdir(parents=True)
            with pytest.raises(InvalidInput):
                schedule.take_backup(database, trigger="cli", by="cli:ops@host", out_dir=taken)
    finally:
        database.close()


def home(make_app, user=ADMIN, language="en"):
    app = make_app(language)
    SignIn()(app, user)
    return app.run()


def admin_backup_tab(make_app, language="en"):
    app = home(make_app, language=language)
    return app.switch_page("audit/ui/admin.py").run()


def test_the_backup_tab_shows_the_latest_backup_and_the_schedule(make_app, app_db, folder):
    backed_up(app_db)
    app = admin_backup_tab(make_app)
    assert not app.exception
    assert "The latest backup succeeded." in [s.value for s in app.success]
    labels = [c.value for c in app.caption]
    values = dict(zip(labels[labels.index("Time") : labels.index("Time") + 6], [t.value for t in app.text]))
    assert values["Result"] == "succeeded" and values["Made by"] == "the server's schedule"
    assert values["Where"].startswith(str(folder / "audit-backup-"))
    assert any("every 24 hours" in c.value and str(folder) in c.value for c in app.caption)


def test_the_backup_button_makes_a_backup_and_records_it(make_app, app_db, folder):
    app = admin_backup_tab(make_app)
    assert "No backup has been made of this database yet." in [w.value for w in app.warning]
    next(b for b in app.button if b.key == "backup_make").click().run()
    assert not app.exception
    assert "The latest backup succeeded." in [s.value for s in app.success]
    database = open_database(app_db)
    try:
        latest = schedule.latest_run(database)
    finally:
        database.close()
    assert (latest.ok, latest.trigger, latest.by) == (True, "admin", "boss")


def test_a_failed_backup_shows_its_error_as_written(make_app, app_db, folder):
    backed_up(app_db, fail_after=True)
    app = admin_backup_tab(make_app, language="zh-CN")
    assert any("最近一次备份失败" in e.value for e in app.error)
    assert any("not empty" in c.value for c in app.code)


@pytest.mark.parametrize(
    "days_ago, fail_after, expected",
    [
        (0, True, "The latest backup of the database failed."),
        (3, False, "No backup of the database has succeeded for more than two days."),
    ],
)
def test_the_admins_home_warns_of_a_failed_or_old_backup(make_app, app_db, folder, days_ago, fail_after, expected):
    backed_up(app_db, days_ago=days_ago, fail_after=fail_after)
    app = home(make_app)
    assert any(w.value.startswith(expected) for w in app.warning)


def test_a_recent_good_backup_gives_no_warning_and_others_never_see_it(make_app, app_db, folder):
    backed_up(app_db)
    assert not home(make_app).warning
    backed_up(app_db, days_ago=3)
    assert not [w for w in home(make_app, SUPERVISOR).warning if "backup" in w.value]

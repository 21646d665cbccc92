"""Backup and restore: a consistent copy while people keep saving, and a restore that proves
it rebuilt exactly what was saved (counts, content hashes, the audit log) or leaves nothing."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from click.testing import CliRunner
from PIL import Image
from streamlit.testing.v1 import AppTest

from audit import settings
from audit.checklists import load_checklists
from audit.cli import cli
from audit.demo import generate
from audit.errors import InvalidInput, PermissionDenied
from audit.model import Role, User
from audit.photos import prepare_photo
from audit.secret_key import server_key
from audit.services.backup import MANIFEST, backup, backup_archive, restore, sign
from audit.store import audit_log, open_database
from audit.store.backup import contents, table_columns
from audit.store.db import Database
from audit.store.migrations import MIGRATIONS, migrate
from audit.store.photos import attach_photo, photo_bytes, save_photo
from tests.app.screen import error_text
from tests.conftest import ROOT
from tests.factories import store_accounts
from tests.reliability.records import record_finding

ADMIN = User("u-admin", "admin", "管理员", Role.ADMIN)
KEY = "a-server-key-for-these-tests-only-0123456789"


@pytest.fixture(autouse=True)
def one_server_key(monkeypatch):
    """Every database here belongs to one server; tests/security/ covers keys and signatures."""
    monkeypatch.setenv("AUDIT_SECRET_KEY", KEY)
    settings.reload()
    yield
    monkeypatch.delenv("AUDIT_SECRET_KEY")
    settings.reload()


INSPECTOR = User("u-chen", "chenming", "陈明", Role.INSPECTOR)


def picture(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def add_photos(database) -> list[str]:
    """Two evidence photos on the first finding, saved as the app saves them."""
    with database.write() as cursor:
        finding_id = cursor.execute("SELECT id FROM findings ORDER BY number LIMIT 1").fetchone()[0]
        hashes = []
        for colour, stage in (((200, 30, 30), "found"), ((30, 160, 60), "fix")):
            photo = prepare_photo(picture(colour), "现场.jpg")
            save_photo(cursor, photo, datetime(2026, 3, 2, 9, 0))
            attach_photo(cursor, finding_id, photo.sha256, stage=stage, added_by="陈明", now=datetime(2026, 3, 2, 9, 0))
            audit_log.append(
                cursor,
                actor="陈明",
                action="photo.attached",
                entity="finding",
                entity_id=finding_id,
                after={"sha256": photo.sha256, "stage": stage},
                rows={"photos": [photo.sha256], "finding_photos": [(finding_id, stage, photo.sha256, None)]},
            )
            hashes.append(photo.sha256)
    return hashes


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo database with photos and audit-log entries, and one backup of it."""
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("AUDIT_SECRET_KEY", KEY)
        settings.reload()
        yield from _demo(tmp_path_factory)
    settings.reload()


def _demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    database = open_database(folder / "demo.duckdb")
    generate(
        database,
        load_checklists(ROOT / "checklists").checklists,
        findings=300,
        seed=11,
        now=datetime(2026, 3, 20, 9, 30),
    )
    photos = add_photos(database)
    store_accounts(database, ADMIN, INSPECTOR)
    manifest = backup(database, folder / "backup")
    yield database, folder / "backup", manifest, photos
    database.close()


def database_contents(path: Path):
    database = open_database(path, read_only=True)
    try:
        with database.read() as cursor:
            return contents(cursor), audit_log.verify(cursor)
    finally:
        database.close()


def test_a_demo_backup_restores_to_identical_contents(demo, tmp_path):
    database, folder, manifest, photos = demo
    assert manifest.rows("findings") == 300 and manifest.rows("photos") == 2
    assert (folder / MANIFEST).is_file() and (folder / "photos.parquet").is_file()
    restore(folder, tmp_path / "restored.duckdb")
    restored, log = database_contents(tmp_path / "restored.duckdb")
    with database.read() as cursor:
        assert restored == manifest.contents == contents(cursor)
    assert log.ok and log.checked == manifest.contents.audit_log_seq >= 3
    copy = open_database(tmp_path / "restored.duckdb", read_only=True)
    with copy.read() as cursor, database.read() as original:
        assert [photo_bytes(cursor, sha) for sha in photos] == [photo_bytes(original, sha) for sha in photos]
    copy.close()


class Undone(Exception):
    """Raised to roll a trial change back."""


def test_the_manifest_hashes_notice_a_changed_value(demo):
    database, _, manifest, _ = demo
    with pytest.raises(Undone), database.write() as cursor:
        cursor.execute(
            "UPDATE findings SET description = description || ' ' WHERE number = (SELECT min(number) FROM findings)"
        )
        changed = contents(cursor)
        raise Undone
    assert changed.tables["findings"].rows == manifest.contents.tables["findings"].rows
    assert changed.tables["findings"].sha256 != manifest.contents.tables["findings"].sha256
    assert changed.tables["responses"] == manifest.contents.tables["responses"]


def test_a_backup_taken_while_sessions_save_is_consistent(db, tmp_path, monkeypatch):
    for _ in range(50):
        record_finding(db, "陈明")
    saved: list[str] = []
    stop = threading.Event()

    def inspector() -> None:
        while not stop.is_set():
            saved.append(record_finding(db, "李华"))

    def contents_once_more_is_saved(cursor):
        """Between the export and the manifest, let the inspector save three more findings."""
        wanted = len(saved) + 3
        deadline = time.monotonic() + 30
        while len(saved) < wanted and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(saved) >= wanted, "the inspector could not save during the backup"
        return contents(cursor)

    monkeypatch.setattr("audit.services.backup.store.contents", contents_once_more_is_saved)
    writer = threading.Thread(target=inspector)
    writer.start()
    try:
        manifest = backup(db, tmp_path / "backup")
    finally:
        stop.set()
        writer.join()
        monkeypatch.undo()
    restore(tmp_path / "backup", tmp_path / "restored.duckdb")  # counts, hashes and the log all match
    restored, log = database_contents(tmp_path / "restored.duckdb")
    assert log.ok and 50 <= restored.tables["findings"].rows == manifest.rows("findings") < 50 + len(saved)
    assert restored.audit_log_seq == manifest.rows("findings")  # one entry per finding, the same moment


def test_restore_refuses_an_existing_database_unless_forced(demo, tmp_path):
    _, folder, manifest, _ = demo
    target = tmp_path / "audit.duckdb"
    open_database(target).close()
    before = target.read_bytes()
    with pytest.raises(InvalidInput, match="already exists.*--force"):
        restore(folder, target)
    assert target.read_bytes() == before
    restore(folder, target, force=True)
    assert database_contents(target)[0] == manifest.contents


def damage_findings(folder: Path) -> None:
    path = folder / "findings.parquet"
    duckdb.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN number = (SELECT min(number) FROM '{path}') "
        f"THEN description || '（已改）' ELSE description END AS description) FROM '{path}') "
        f"TO '{path}.new' (FORMAT parquet)"
    )
    Path(f"{path}.new").replace(path)


def drop_an_event(folder: Path) -> None:
    path = folder / "finding_events.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM '{path}' LIMIT (SELECT count(*) - 1 FROM '{path}')) TO '{path}.new' (FORMAT parquet)"
    )
    Path(f"{path}.new").replace(path)


def rewrite_history(folder: Path) -> None:
    path = folder / "audit_log.parquet"
    duckdb.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN seq = 2 THEN 'someone else' ELSE actor END AS actor) "
        f"FROM '{path}') TO '{path}.new' (FORMAT parquet)"
    )
    Path(f"{path}.new").replace(path)


def reseal(folder: Path, key: bytes) -> None:
    """Record the changed files' hashes and sign again, as someone holding the key could:
    what is left to catch the change is the content digests and the audit log."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for name in manifest["files"]:
        data = (folder / name).read_bytes()
        manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["signature"]["value"] = sign({k: v for k, v in manifest.items() if k != "signature"}, key)
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


DAMAGE = [
    (damage_findings, "findings.parquet", lambda rows: "findings has the right number of rows but different contents"),
    (drop_an_event, "finding_events.parquet", lambda rows: f"finding_events has {rows - 1:,} rows instead of {rows:,}"),
    (rewrite_history, "audit_log.parquet", lambda rows: "the audit log does not verify at entry 2"),
]


@pytest.mark.parametrize("damage, file, said", DAMAGE)
def test_a_changed_file_is_refused_by_its_hash_and_leaves_nothing(demo, tmp_path, damage, file, said):
    database, _, _, _ = demo
    folder = tmp_path / "backup"
    backup(database, folder)
    damage(folder)
    target = tmp_path / "restored" / "audit.duckdb"
    with pytest.raises(InvalidInput) as refused:
        restore(folder, target, trust_unsigned=True)
    assert f"{file} in {folder} does not match the size and hash its manifest records" in refused.value.message
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("damage, file, said", DAMAGE)
def test_a_change_with_matching_hashes_is_caught_by_the_contents_and_leaves_nothing(demo, tmp_path, damage, file, said):
    database, _, _, _ = demo
    folder = tmp_path / "backup"
    manifest = backup(database, folder)
    damage(folder)
    reseal(folder, server_key(database.path))
    target = tmp_path / "restored" / "audit.duckdb"
    with pytest.raises(InvalidInput) as refused:
        restore(folder, target)
    assert said(manifest.rows("finding_events")) in refused.value.message
    assert "nothing was restored" in refused.value.message
    assert list(target.parent.iterdir()) == []


def test_a_backup_missing_a_file_is_refused_plainly(demo, tmp_path):
    database, _, _, _ = demo
    backup(database, tmp_path / "backup")
    (tmp_path / "backup" / "photos.parquet").unlink()
    with pytest.raises(InvalidInput, match="lacks photos.parquet, which its manifest lists, so nothing was restored"):
        restore(tmp_path / "backup", tmp_path / "restored.duckdb")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup"]


def test_a_backup_never_overwrites_an_earlier_one(demo, tmp_path):
    database, _, _, _ = demo
    (tmp_path / "earlier").mkdir()
    (tmp_path / "earlier" / "manifest.json").write_text("{}")
    with pytest.raises(InvalidInput, match="not empty"):
        backup(database, tmp_path / "earlier")
    assert (tmp_path / "earlier" / "manifest.json").read_text() == "{}"


def test_only_administrators_may_back_up_from_the_app(demo, tmp_path):
    database, _, _, _ = demo
    with pytest.raises(PermissionDenied):
        backup(database, tmp_path / "backup", actor=INSPECTOR)
    assert not (tmp_path / "backup").exists()
    archive, manifest = backup_archive(database, tmp_path, actor=ADMIN)
    restore(archive, tmp_path / "from-zip.duckdb")  # the file the admin page offers restores as it is
    assert database_contents(tmp_path / "from-zip.duckdb")[0] == manifest.contents
    assert [path.name for path in tmp_path.iterdir() if path.is_dir()] == []  # only the zip is left


def test_the_commands_back_up_and_restore(demo, tmp_path):
    source = tmp_path / "copy.duckdb"
    restore(demo[1], source)
    runner = CliRunner()
    made = runner.invoke(cli, ["backup", "--out", str(tmp_path / "b"), "--db", str(source)])
    assert made.exit_code == 0, made.output
    assert "300 findings, 2 photos" in made.output
    restored = runner.invoke(cli, ["restore", "--from", str(tmp_path / "b"), "--db", str(tmp_path / "r.duckdb")])
    assert restored.exit_code == 0 and "match the manifest" in restored.output
    again = runner.invoke(cli, ["restore", "--from", str(tmp_path / "b"), "--db", str(tmp_path / "r.duckdb")])
    assert again.exit_code == 1 and "--force" in again.output
    missing = runner.invoke(cli, ["backup", "--out", str(tmp_path / "c"), "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "There is no database" in missing.output


def panel_page():
    from audit.ui.backup_panel import render_backup_panel

    render_backup_panel()


@pytest.fixture
def panel(db_path, tmp_path, monkeypatch):
    monkeypatch.setattr("audit.ui.backup_panel.FOLDER", tmp_path / "archives")
    database = open_database(db_path)
    record_finding(database, "陈明")
    store_accounts(database, ADMIN, INSPECTOR)
    database.close()
    monkeypatch.setenv("AUDIT_DB", str(db_path))
    settings.reload()
    st.cache_resource.clear()
    yield lambda user: _panel_app(user)
    st.cache_resource.clear()


def _panel_app(user: User) -> AppTest:
    app = AppTest.from_function(panel_page, default_timeout=30)
    app.session_state["user"] = user
    app.session_state["language"] = "zh-CN"
    return app.run()


def test_the_admin_panel_makes_a_backup_to_download(panel, tmp_path):
    app = panel(ADMIN)
    assert app.info[0].value.startswith("本次登录尚未备份")
    app.button(key="backup_make").click().run()
    assert not app.exception and not app.error
    done = next(success.value for success in app.success if success.value.startswith("备份完成"))
    assert "1 条问题，0 张照片" in done
    archive = Path(app.session_state["backup_archive"]["path"])
    assert archive.is_file() and archive.parent.parent == tmp_path / "archives"
    app.button(key="backup_make").click().run()  # a second backup replaces the first
    assert not archive.exists() and Path(app.session_state["backup_archive"]["path"]).is_file()


def test_the_panel_tells_a_non_admin_plainly(panel):
    app = panel(INSPECTOR)
    app.button(key="backup_make").click().run()
    assert [error_text(error) for error in app.error] == ["账号 chenming（督查人员）无权备份数据。"]


def test_a_backup_of_an_older_schema_is_loaded_as_made_then_upgraded(tmp_path):
    older = Database(tmp_path / "older.duckdb")
    migrate(older, only=[1, 3])  # as a version before the imported-ledger columns left it
    with older.write() as cursor:
        cursor.execute("INSERT INTO meta VALUES ('made by', 'an older version')")
    manifest = backup(older, tmp_path / "backup")
    older.close()
    assert manifest.contents.migrations == [1, 3]
    restore(tmp_path / "backup", tmp_path / "restored.duckdb")
    restored = open_database(tmp_path / "restored.duckdb", read_only=True)
    with restored.read() as cursor:
        assert cursor.execute("SELECT value FROM meta WHERE name = 'made by'").fetchall() == [("an older version",)]
        assert {"checklist_text", "item_text"} <= set(table_columns(cursor, "findings"))
        assert [n for (n,) in cursor.execute("SELECT number FROM _migrations ORDER BY number").fetchall()] == [
            number for number, _, _ in MIGRATIONS
        ]
    restored.close()

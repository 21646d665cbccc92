"""Checklist versions in a real DuckDB: registered once, read back in the wording they had."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audit.services.checklists import sync_checklists
from audit.store import audit_log
from audit.store import checklists as checklist_store

SHIPPED = Path(__file__).resolve().parent.parent / "checklists"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped checklists that a test may edit."""
    return Path(shutil.copytree(SHIPPED, tmp_path / "checklists"))


def stored_rows(db) -> int:
    with db.read() as cursor:
        return cursor.execute("SELECT count(*) FROM checklists").fetchone()[0]


def reword(folder: Path, old: str, new: str) -> None:
    path = folder / "isolation_point.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_registering_the_same_version_twice_keeps_one_row(db, folder):
    checklist = sync_checklists(db, folder).checklists[0]
    with db.write() as cursor:
        assert checklist_store.register(cursor, checklist, "again.yaml") is False
    assert stored_rows(db) == 7
    sync_checklists(db, folder)
    assert stored_rows(db) == 7


def test_each_new_version_is_in_the_audit_log_once(db, folder):
    sync_checklists(db, folder)
    sync_checklists(db, folder)
    with db.read() as cursor:
        entries = audit_log.history(cursor, "checklist", "isolation_point")
        assert audit_log.verify(cursor).ok
    assert [entry["action"] for entry in entries] == ["checklist.registered"]
    assert entries[0]["after"]["source_file"] == "isolation_point.yaml"


def test_a_changed_checklist_is_a_new_version_and_the_old_wording_is_kept(db, folder):
    old = next(c for c in sync_checklists(db, folder).checklists if c.id == "isolation_point")
    reword(folder, "version: 1", "version: 2")
    reword(folder, "公示值班和心理疏导联系电话", "在显著位置公示值班和心理疏导联系电话")
    new = next(c for c in sync_checklists(db, folder).checklists if c.id == "isolation_point")

    assert new.content_hash != old.content_hash
    assert stored_rows(db) == 8
    with db.read() as cursor:
        kept = checklist_store.get_version(cursor, "isolation_point", old.content_hash)
        current = {checklist.id: checklist for checklist in checklist_store.latest(cursor)}
        entries = audit_log.history(cursor, "checklist", "isolation_point")
    assert kept == old
    assert kept.item("IP-10").text.zh == "公示值班和心理疏导联系电话"
    assert current["isolation_point"] == new
    assert len(current) == 7
    assert [entry["after"]["version"] for entry in entries] == [1, 2]


def test_an_unknown_version_is_none(db, folder):
    sync_checklists(db, folder)
    with db.read() as cursor:
        assert checklist_store.get_version(cursor, "isolation_point", "0" * 64) is None


def test_a_broken_file_is_reported_and_the_rest_registered(db, folder):
    reword(folder, "version: 1", "version: one")
    result = sync_checklists(db, folder)
    assert [str(problem) for problem in result.problems] == [
        f"{folder / 'isolation_point.yaml'}:4: 'version' must be a whole number, not 'one'"
    ]
    with db.read() as cursor:
        assert sorted(c.id for c in checklist_store.latest(cursor)) == sorted(c.id for c in result.checklists)
    assert stored_rows(db) == 6

"""Settings: one object read the same way by the app and every command; a bad value stops with its name."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from audit import settings
from audit.cli import cli
from audit.errors import InvalidInput
from tests.conftest import ROOT


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    "name, value", [("AUDIT_IDLE_MINUTES", "half an hour"), ("AUDIT_IDLE_MINUTES", "0"), ("AUDIT_BACKUP_KEEP", "-1")]
)
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput) as refused:
        settings.reload()
    assert refused.value.field == name
    assert name in refused.value.text("en") and name in refused.value.text("zh-CN")


def test_a_command_stops_on_a_bad_setting_too(monkeypatch, db_path):
    monkeypatch.setenv("AUDIT_IDLE_MINUTES", "soon")
    result = invoke("init", "--db", str(db_path))
    assert result.exit_code == 1 and "AUDIT_IDLE_MINUTES" in result.output
    assert not db_path.exists()


def test_db_option_overrides_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_DB", str(tmp_path / "from-env.duckdb"))
    assert invoke("init", "--db", str(tmp_path / "given.duckdb")).exit_code == 0
    assert (tmp_path / "given.duckdb").exists() and not (tmp_path / "from-env.duckdb").exists()
    assert invoke("init").exit_code == 0
    assert (tmp_path / "from-env.duckdb").exists()


def test_checklists_check_reads_the_checklists_setting(monkeypatch, tmp_path):
    shutil.copy(ROOT / "tests" / "data" / "checklists" / "demo.yaml", tmp_path)
    (tmp_path / "broken.yaml").write_text("id: broken\nversion: [\n", encoding="utf-8")
    monkeypatch.setenv("AUDIT_CHECKLISTS", str(tmp_path))
    settings.reload()
    result = invoke("checklists", "check")
    assert result.exit_code == 1
    assert "broken.yaml" in result.output and "1 checklist valid, 1 problem" in result.output


def test_demo_reads_the_checklists_setting(monkeypatch, tmp_path, db_path):
    empty = tmp_path / "no checklists"
    empty.mkdir()
    monkeypatch.setenv("AUDIT_CHECKLISTS", str(empty))
    settings.reload()
    result = invoke("demo", "--db", str(db_path), "--findings", "0")
    assert result.exit_code == 1 and f"No valid checklist in {empty}" in result.output


def test_a_changed_variable_is_read_again(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_DB", str(tmp_path / "first.duckdb"))
    assert settings.settings().database_path == tmp_path / "first.duckdb"
    monkeypatch.setenv("AUDIT_DB", str(tmp_path / "second.duckdb"))
    assert settings.settings().database_path == tmp_path / "second.duckdb"

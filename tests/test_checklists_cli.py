"""`python -m audit checklists check`: what an admin sees before a checklist goes live."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from audit.cli import cli

ROOT = Path(__file__).resolve().parent.parent

GOOD = (ROOT / "tests" / "data" / "checklists" / "demo.yaml").read_text(encoding="utf-8")


def run(*args: str):
    return CliRunner().invoke(cli, ["checklists", "check", *args])


def test_the_shipped_checklists_pass_from_the_project_folder(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run()
    assert result.exit_code == 0
    assert result.stdout == "7 checklists valid\n"


def test_one_valid_checklist_is_said_in_the_singular(tmp_path):
    (tmp_path / "demo.yaml").write_text(GOOD, encoding="utf-8")
    result = run(str(tmp_path))
    assert (result.exit_code, result.stdout) == (0, "1 checklist valid\n")


def test_problems_are_printed_one_per_line_and_fail_the_command(tmp_path):
    (tmp_path / "demo.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    (tmp_path / "typo.yaml").write_text(
        GOOD.replace("id: demo", "id: typo").replace("photo_required: true", "photo_requred: true"), encoding="utf-8"
    )
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'empty.yaml'}: the file is empty",
        f"{tmp_path / 'typo.yaml'}:18: item DM-02: unknown field 'photo_requred' (did you mean 'photo_required'?); "
        "allowed: id, text, severity, response, limit, photo_required, rule",
    ]
    assert result.stderr == "1 checklist valid, 2 problems\n"


def test_a_missing_directory_fails(tmp_path):
    result = run(str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert result.stdout == f"{tmp_path / 'nowhere'}: no such directory\n"

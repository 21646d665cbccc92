"""No command prints a traceback: bad input is one plain line (exit 1), a bug one line naming the
file that holds the details (exit 2). Checked through click's runner and through a real process."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit.cli import cli
from tests.security.hostile import ROOT
from tests.test_import import write_sheet

HEAD = ["编号", "发现时间", "检查点位", "问题描述", "责任单位", "整改时限"]


@pytest.fixture
def bad_inputs(tmp_path) -> list[list[str]]:
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database at all" * 100)
    not_a_workbook = tmp_path / "ledger.xlsx"
    not_a_workbook.write_text("序号,问题描述\n1,口罩\n", encoding="utf-8")
    empty_zip = tmp_path / "empty.xlsx"
    zipfile.ZipFile(empty_zip, "w").close()
    db = str(tmp_path / "audit.duckdb")
    sheet = lambda name, *row: write_sheet(tmp_path / f"{name}.xlsx", [HEAD, list(row)])  # noqa: E731
    return [
        [
            "import-ledger",
            sheet("twenty", "2026-" + "1" * 20, "2026-03-01", "国胜", "口罩", "居委会", "2026-03-03"),
            "--db",
            db,
        ],
        ["import-ledger", sheet("future", "", "9999-03-01", "国胜", "口罩", "居委会", "9999-03-03"), "--db", db],
        ["import-ledger", sheet("bignum", 10**20, "2026-03-01", "国胜", "口罩", "居委会", 10**20), "--db", db],
        ["import-ledger", str(not_a_workbook), "--db", db],
        ["import-ledger", str(empty_zip), "--db", db],
        ["import-ledger", str(not_a_workbook), "--db", str(garbage)],
        ["init", "--db", str(garbage)],
        ["verify-log", "--db", str(garbage)],
        ["export", "--format", "csv", "--out", str(tmp_path / "out.csv"), "--db", str(garbage)],
        ["restore", "--from", str(tmp_path), "--db", str(tmp_path / "restored.duckdb")],
        ["sites", "import", str(not_a_workbook), "--db", db],
        ["checklists", "check", str(tmp_path / "nowhere")],
    ]


def test_bad_input_is_never_a_traceback_in_click(bad_inputs):
    for args in bad_inputs:
        result = CliRunner().invoke(cli, args)
        assert "Traceback" not in result.output, args
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code in (0, 1, 2), args


def test_bad_input_is_never_a_traceback_in_a_real_process(bad_inputs):
    for args in bad_inputs:
        done = subprocess.run(
            [sys.executable, "-m", "audit", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert "Traceback" not in done.stderr + done.stdout, (args, done.stderr)
        assert done.returncode in (0, 1, 2), (args, done.stderr)


def test_a_bug_is_one_line_with_exit_code_2_and_the_details_in_a_file(monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("something the code never expected")

    monkeypatch.setattr("audit.cli.import_ledger.import_ledger", broken)
    path = write_sheet(tmp_path / "ledger.xlsx", [HEAD, ["", "2026-03-01", "国胜", "口罩", "居委会", "2026-03-03"]])
    result = CliRunner().invoke(cli, ["import-ledger", path, "--db", str(tmp_path / "audit.duckdb")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert "unexpected ZeroDivisionError (a bug" in line
    details = Path(re.search(r"details are in (\S+);", line)[1])
    assert "something the code never expected" in details.read_text() and "Traceback" in details.read_text()
    assert details.stat().st_mode & 0o077 == 0
    details.unlink()


def test_a_bug_in_a_real_process_is_one_line_too(tmp_path):
    script = (
        "import sys, audit.services.ledger_import as ledger\n"
        "def broken(*args, **kwargs):\n    raise KeyError('never expected')\n"
        "ledger.read_ledger = broken\n"
        "from audit.cli import main\nsys.argv = ['audit', *sys.argv[1:]]\nmain()\n"
    )
    path = write_sheet(tmp_path / "ledger.xlsx", [HEAD, ["", "2026-03-01", "国胜", "口罩", "居委会", "2026-03-03"]])
    done = subprocess.run(
        [sys.executable, "-c", script, "import-ledger", path, "--db", str(tmp_path / "a.duckdb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "a bug in the audit tracker" in done.stderr
    Path(re.search(r"details are in (\S+);", done.stderr)[1]).unlink()

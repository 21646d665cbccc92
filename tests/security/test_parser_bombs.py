"""Small files that expand: YAML aliases in checklists, shared-strings XLSX bombs. Refused before
they are expanded; an upload of at most 5 MB peaks under 300 MB (measured in a child process)."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from audit.checklists import load_checklists
from audit.services.ledger_import import MAX_SHARED_STRINGS, LedgerImportError, read_ledger
from tests.conftest import ROOT
from tests.security.hostile import peak_mb, shared_strings_bomb, yaml_alias_bomb

PEAK_MB = 300
UPLOAD_LIMIT = 5 * 1024 * 1024


@pytest.fixture
def checklists_with_a_bomb(tmp_path):
    folder = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", folder)
    (folder / "laughs.yaml").write_text(yaml_alias_bomb(), encoding="utf-8")
    return folder


def test_a_checklist_with_aliases_is_reported_like_any_broken_file(checklists_with_a_bomb):
    assert len(yaml_alias_bomb()) < 1000
    result = load_checklists(checklists_with_a_bomb)
    [problem] = result.problems
    assert problem.file.endswith("laughs.yaml") and problem.line == 1
    assert "anchor" in problem.reason and "remove it" in problem.reason
    assert len(result.checklists) == len(list((ROOT / "checklists").glob("*.yaml")))


def test_an_alias_alone_is_refused_on_its_line(tmp_path):
    (tmp_path / "alias.yaml").write_text("id: x\nversion: 1\ntitle: *t\n", encoding="utf-8")
    [problem] = load_checklists(tmp_path).problems
    assert (problem.line, problem.reason.split(" refers")[0]) == (3, "'*t'")


def test_loading_the_alias_bomb_peaks_under_300_mb(checklists_with_a_bomb):
    peak, outcome = peak_mb(
        "from audit.checklists import load_checklists",
        f"assert load_checklists({str(checklists_with_a_bomb)!r}).problems",
    )
    assert outcome == "accepted" and peak < PEAK_MB, (peak, outcome)


def test_a_shared_strings_bomb_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    shared_strings_bomb(path, 4_000_000)
    assert path.stat().st_size < UPLOAD_LIMIT
    with pytest.raises(LedgerImportError) as refused:
        read_ledger(path)
    [problem] = refused.value.problems
    assert problem.startswith("bomb.xlsx: its part xl/sharedStrings.xml is packed") and "save the ledger" in problem
    peak, outcome = peak_mb("from audit.services.ledger_import import read_ledger", f"read_ledger({str(path)!r})")
    assert outcome.startswith("LedgerImportError") and peak < PEAK_MB, (peak, outcome)


def test_too_many_shared_strings_are_refused_however_well_they_hide(tmp_path):
    path = tmp_path / "many.xlsx"
    shared_strings_bomb(path, MAX_SHARED_STRINGS + 10_000, unique=True)
    with zipfile.ZipFile(path) as archive:  # packed no better than real text
        part = archive.getinfo("xl/sharedStrings.xml")
        assert part.file_size < 5 * part.compress_size
    with pytest.raises(LedgerImportError, match="more than 200,000 different texts"):
        read_ledger(path)

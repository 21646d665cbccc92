"""Hostile input: text kept exactly or refused by name, exports that run nothing, files and imports
refused with a located message and nothing half-written."""

from __future__ import annotations

import io
import struct
import zlib

import openpyxl
import pytest
from PIL import Image

from audit.checklists import load_checklists
from audit.errors import InvalidInput
from audit.services import inspections as inspecting
from audit.services import rectification
from audit.services.checklists import sync_checklists
from audit.services.ledger_import import LedgerImportError, import_ledger
from audit.services.sites import import_sites_csv
from audit.store import open_database
from audit.store.findings import get_finding
from tests.conftest import ROOT
from tests.factories import csv_text, jpeg, site_row
from tests.reliability.bad_input import (
    CORPUS,
    FIELDS,
    INSPECTOR,
    NOW,
    STARTED,
    SUPERVISOR,
    excel_text,
    export_both,
    export_column,
    exported,
    formula_cells,
    limit,
    neutralised,
    prepare,
    run_corpus,
)

FIELD_WORDS = {  # how each field's refusal names it, in English and in Chinese
    "description": ("Description of the problem", "问题描述"),
    "immediate_measure": ("Immediate measure", "立行立改措施"),
    "responsible_person": ("Responsible person", "责任人"),
    "requirement": ("Rectification requirement", "整改要求"),
    "inspectors": ("Inspectors", "检查人员"),
    "fix_report": ("What was done", "整改情况"),
    "reason": ("The reason", "原因"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The whole corpus through the services once, then both exports: the cases check the results."""
    folder = tmp_path_factory.mktemp("bad_input")
    database = open_database(folder / "audit.duckdb")
    cases = {case.name: case for case in run_corpus(database)}
    csv_rows, xlsx_rows = export_both(database, folder)
    yield cases, csv_rows, xlsx_rows
    database.close()


def count(database, table: str) -> int:
    with database.read() as cursor:
        return cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", CORPUS, ids=list(CORPUS))
def test_text_is_stored_exactly_or_refused_naming_the_field(corpus, value, name):
    case = corpus[0][value]
    too_long = len(case.expected(name)) > limit(name)
    if not too_long:
        assert name not in case.refused
        assert case.stored[name] == case.expected(name)
        return
    error = case.refused[name]
    assert isinstance(error, InvalidInput) and error.field == name
    english, chinese = FIELD_WORDS[name]
    assert english in error.message and str(limit(name)) in error.message
    in_chinese = error.text("zh-CN")
    assert chinese in in_chinese and str(limit(name)) in in_chinese


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"responsible_person": "李" * 101}, "responsible_person"),
        ({"responsible_unit": "委" * 201}, "responsible_unit"),
    ],
)
def test_reassigning_to_an_over_long_name_is_refused_and_changes_nothing(db, changes, name):
    case = run_corpus(db, {"chinese": CORPUS["chinese"]})[0]
    before = count(db, "audit_log")
    with db.read() as cursor:
        version = get_finding(cursor, case.finding_id).version
    with pytest.raises(InvalidInput) as refused:
        rectification.reassign(db, SUPERVISOR, case.finding_id, version=version, now=NOW, **changes)
    assert refused.value.field == name and str(len(changes[name]) - 1) in refused.value.message
    assert count(db, "audit_log") == before


def test_the_corpus_holds_every_kind_of_hostile_text():
    values = "".join(CORPUS.values())
    for needle in (
        "=",
        "<script>",
        "DROP TABLE",
        "\u202e",
        "\u200b",
        "\ufeff",
        "\u200d",
        "\u0301",
        "单层",
        "\x00",
        "\x07",
        "\x1b[",
    ):
        assert needle in values, needle
    assert max(len(value) for value in CORPUS.values()) >= 10_000


@pytest.mark.parametrize("value", CORPUS, ids=list(CORPUS))
def test_exports_hold_the_text_and_neutralise_formulas(corpus, value):
    cases, csv_rows, xlsx_rows = corpus
    case = cases[value]
    number = export_column("number")
    csv_row = next(row for row in csv_rows if row[number] == case.number)
    xlsx_row = next(row for row in xlsx_rows if row[number].value == case.number)
    for column, text in exported(case).items():
        index = export_column(column)
        assert csv_row[index] == neutralised(text), column
        assert xlsx_row[index].data_type == "s" and excel_text(xlsx_row[index].value) == text, column


def test_no_cell_of_either_export_is_a_formula(corpus):
    cases, csv_rows, xlsx_rows = corpus
    assert formula_cells(csv_rows, xlsx_rows) == 0
    description = export_column("description")
    assert "'=1+1" in [row[description] for row in csv_rows]  # the risky text is there, made inert
    assert "=1+1" in [row[description].value for row in xlsx_rows]


# --- photos --------------------------------------------------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: a decompression bomb caught before decoding."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    header = struct.pack(">II", width, height) + data[24:29]
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(data)


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")
    return buffer.getvalue()


BAD_FILES = {
    "empty": (b"", "empty"),
    "truncated": (jpeg()[:300], "damaged or incomplete"),
    "text renamed": ("整改完成 =1+1".encode(), "not a JPEG, PNG or WebP"),
    "pdf renamed": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not a JPEG, PNG or WebP"),
    "gif": (gif(), "GIF files are not accepted"),
    "oversized": (b"\xff\xd8" + bytes(16 * 2**20), "the limit is 15 MB"),
    "bomb": (png_claiming(30_000, 30_000), "too many pixels"),
    "bomb under Pillow's limit": (png_claiming(9_000, 9_000), "too many pixels"),
}


@pytest.mark.parametrize("data, words", BAD_FILES.values(), ids=list(BAD_FILES))
def test_a_bad_photo_is_refused_and_nothing_is_stored(db, data, words):
    site = prepare(db)
    inspection = inspecting.start_inspection(
        db, INSPECTOR, site_id=site.id, checklist_id="transfer_test", inspectors=["陈明"], started_at=STARTED, now=NOW
    )
    draft = inspecting.add_adhoc_finding(db, INSPECTOR, inspection.id, now=NOW)
    before = count(db, "photos"), count(db, "audit_log")
    with pytest.raises(InvalidInput) as refused:
        inspecting.add_finding_photo(db, INSPECTOR, draft.id, data, "现场.jpg", now=NOW)
    assert refused.value.field == "photo"
    assert "现场.jpg" in refused.value.message and words in refused.value.message
    assert (count(db, "photos"), count(db, "audit_log")) == before
    sheet = inspecting.inspection_sheet(db, INSPECTOR, inspection.id)
    assert next(d for d in sheet.drafts if d.id == draft.id).photos == []


# --- checklists ----------------------------------------------------------------------------------

DEMO = (ROOT / "tests" / "data" / "checklists" / "demo.yaml").read_text(encoding="utf-8")
BROKEN_CHECKLISTS = {
    "truncated": (DEMO[: len(DEMO) // 2].encode(), "not valid YAML"),
    "NUL inside": (DEMO.replace("Main", "Ma\x00in").encode(), "character U+0000 is not allowed"),
    "escape inside": (DEMO.replace("Main", "\x1b[31mMain").encode(), "character U+001B is not allowed"),
    "UTF-16": (DEMO.encode("utf-16"), "not UTF-8 text"),
    "an image renamed": (jpeg(), "not UTF-8 text"),
}


@pytest.mark.parametrize("data, words", BROKEN_CHECKLISTS.values(), ids=list(BROKEN_CHECKLISTS))
def test_a_broken_checklist_file_is_located_and_registers_nothing(db, tmp_path, data, words):
    path = tmp_path / "broken.yaml"
    path.write_bytes(data)
    result = sync_checklists(db, tmp_path)
    assert result.checklists == []
    [problem] = result.problems
    assert problem.file == str(path) and words in problem.reason
    if "U+00" in words:
        assert problem.line == next(n for n, line in enumerate(DEMO.splitlines(), 1) if "Main" in line)
    assert (count(db, "checklists"), count(db, "audit_log")) == (0, 0)


def test_a_broken_file_does_not_keep_the_good_one_out(tmp_path):
    (tmp_path / "a.yaml").write_text(DEMO, encoding="utf-8")
    (tmp_path / "b.yaml").write_bytes(DEMO.replace("Main", "Ma\x07in").encode())
    result = load_checklists(tmp_path)
    assert [c.id for c in result.checklists] == ["demo"] and len(result.problems) == 1


# --- site CSV ------------------------------------------------------------------------------------

GOOD_SITES = csv_text([site_row("CC-1"), site_row("CC-2", name_zh="易家桥社区卫生服务中心")])
BROKEN_SITES = {
    "cut inside a character": (
        GOOD_SITES.encode()[: GOOD_SITES.encode().rindex("易".encode()) + 1],
        "not UTF-8 text (byte",
    ),
    "a row cut short": (
        GOOD_SITES.rstrip("\n").rsplit(",", 3)[0].encode() + b"\n",
        "row 3: has 9 fields but the header has 12",
    ),
    "a row too long": (
        GOOD_SITES.rstrip("\n").encode() + b",=1+1,@cmd\n",
        "row 3: has 14 fields but the header has 12",
    ),
    "an image renamed": (jpeg(), "not UTF-8 text (byte"),
}


@pytest.mark.parametrize("data, words", BROKEN_SITES.values(), ids=list(BROKEN_SITES))
def test_a_broken_site_file_is_located_and_imports_nothing(db, tmp_path, data, words):
    import_sites_csv(db, io.StringIO(csv_text([site_row("OLD-1")])), actor="admin")
    before = count(db, "sites"), count(db, "audit_log")
    path = tmp_path / "sites.csv"
    path.write_bytes(data)
    with pytest.raises(InvalidInput) as refused:
        import_sites_csv(db, path, actor="admin")
    assert words in refused.value.message
    assert (count(db, "sites"), count(db, "audit_log")) == before


def test_hostile_site_names_are_stored_exactly(db, tmp_path):
    hostile = {"name_zh": "=1+1 隔离点", "name_en": "<script>alert(1)</script>", "unit_en": "\u202eabc"}
    path = tmp_path / "sites.csv"
    path.write_text(csv_text([site_row("CC-9", **hostile)]), encoding="utf-8")
    import_sites_csv(db, path, actor="admin")
    with db.read() as cursor:
        row = cursor.execute("SELECT name_zh, name_en, unit_en FROM sites WHERE code = 'CC-9'").fetchone()
    assert row == tuple(hostile.values())


# --- ledger XLSX ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger_export(corpus, tmp_path_factory):
    """The corpus ledger exported as XLSX: a real sheet full of hostile text to import and to break."""
    folder = tmp_path_factory.mktemp("ledger")
    database = open_database(folder / "source.duckdb")
    run_corpus(database, {name: CORPUS[name] for name in ("formula =", "script", "chinese", "bell")})
    export_both(database, folder)
    database.close()
    return (folder / "ledger.xlsx").read_bytes()


def broken_ledger(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 2]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    if how == "bad deadline":
        sheet.cell(3, export_column("deadline") + 1).value = "=DATE(2026,13,1)"
        sheet.cell(3, export_column("deadline") + 1).data_type = "s"
    elif how == "no description":
        sheet.cell(4, export_column("description") + 1).value = None
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "how, words",
    [
        ("truncated", "cannot be read as an Excel workbook"),
        ("bad deadline", "row 3: 整改时限: '=DATE(2026,13,1)' is not a date"),
        ("no description", "row 4: 问题描述: is empty"),
    ],
)
def test_a_broken_ledger_is_located_and_imports_nothing(db, tmp_path, ledger_export, how, words):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(broken_ledger(ledger_export, how))
    with pytest.raises(LedgerImportError) as refused:
        import_ledger(db, path, actor="tester")
    assert any(words in problem for problem in refused.value.problems), refused.value.problems
    assert (count(db, "findings"), count(db, "sites"), count(db, "audit_log")) == (0, 0, 0)


def test_a_hostile_ledger_imports_its_text_exactly(db, tmp_path, ledger_export):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(ledger_export)
    assert import_ledger(db, path, actor="tester").findings == 4
    with db.read() as cursor:
        descriptions = {row[0] for row in cursor.execute("SELECT description FROM findings").fetchall()}
    assert descriptions == {CORPUS[name] for name in ("formula =", "script", "chinese", "bell")}

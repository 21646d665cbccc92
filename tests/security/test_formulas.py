"""Text a spreadsheet could run as a formula: inert in every export, kept exactly on import."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from audit.exports.columns import FIELDS
from audit.model import FindingFilter
from audit.services import dashboard as analytics
from audit.services.ledger import export_ledger
from audit.services.ledger_import import import_ledger
from audit.store.findings import insert_finding
from tests.factories import LEDGER_TODAY as TODAY
from tests.factories import SUPERVISOR, make_finding, store_accounts
from tests.test_export import as_excel_reads
from tests.test_import import findings_in, write_sheet

# Each starts a formula once a spreadsheet skips the blanks or reads the full-width sign as ASCII.
HIDDEN = [
    " =1+1",
    "  +1",
    '\u00a0=HYPERLINK("http://evil.example")',
    "\u3000＝1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "\u2003@SUM(A1)",
    "\u200b=1",
    "\t\u3000=1",
    "\tplain",
    "\nplain",
    "\rplain",
    "-",
]
PLAIN = ["1-2", "a=b", "  leading spaces", "减少＋", "国胜社区"]


@pytest.fixture
def hostile_db(db):
    store_accounts(db, SUPERVISOR)  # who exports
    with db.write() as cursor:
        for number, text in enumerate(HIDDEN + PLAIN, 1):
            insert_finding(cursor, make_finding(f"2026-{number:04d}", description=text, responsible_person=text))
    return db


def export(db, fmt, tmp_path):
    path = tmp_path / f"ledger.{fmt}"
    export_ledger(db, SUPERVISOR, FindingFilter(), fmt, str(path), language="zh-CN", today=TODAY)
    return path


def test_csv_quotes_formulas_hidden_behind_blanks_and_full_width_signs(hostile_db, tmp_path):
    text = export(hostile_db, "csv", tmp_path).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    cells = {row[FIELDS.index("number")]: row[FIELDS.index("description")] for row in rows}
    for number, typed in enumerate(HIDDEN + PLAIN, 1):
        expected = "'" + typed if typed in HIDDEN else typed
        assert cells[f"2026-{number:04d}"] == expected, repr(typed)


def test_xlsx_writes_formula_looking_text_as_string_cells(hostile_db, tmp_path):
    sheet = openpyxl.load_workbook(export(hostile_db, "xlsx", tmp_path)).active
    for row in sheet.iter_rows(min_row=2):
        cell = row[FIELDS.index("description")]
        assert cell.data_type == "s"
    typed = [as_excel_reads(row[FIELDS.index("description")].value) for row in sheet.iter_rows(min_row=2)]
    assert sorted(typed) == sorted(HIDDEN + PLAIN)


def test_dashboard_csv_uses_the_same_rule():
    frame = pd.DataFrame({"site": range(len(HIDDEN + PLAIN)), "site_label": HIDDEN + PLAIN})
    rows = list(csv.reader(io.StringIO(analytics.csv_bytes(frame, "en").decode("utf-8-sig"), newline="")))[1:]
    assert [row[0] for row in rows] == ["'" + text for text in HIDDEN] + PLAIN


def test_import_keeps_free_text_exactly_and_trims_only_codes_and_names(db, tmp_path):
    rows = [
        ["编号", "发现时间", "检查点位", "问题描述", "责任单位", "整改时限", "整改要求", "责任人"],
        [
            " 2026-0007 ",
            "2026-03-01",
            "  国胜集中隔离点\u3000",
            "\t=1+1",
            " 国胜社区居委会 ",
            "2026-03-03",
            "  ＝SUM(A1)  ",
            "\u00a0张伟 ",
        ],
    ]
    import_ledger(db, write_sheet(tmp_path / "ledger.xlsx", rows), actor="tester")
    [finding] = findings_in(db)
    assert (finding["description"], finding["requirement"]) == ("\t=1+1", "  ＝SUM(A1)  ")
    assert (finding["number"], finding["responsible_unit"], finding["responsible_person"]) == (
        "2026-0007",
        "国胜社区居委会",
        "张伟",
    )
    with db.read() as cursor:
        assert cursor.execute("SELECT name_zh FROM sites").fetchall() == [("国胜集中隔离点",)]

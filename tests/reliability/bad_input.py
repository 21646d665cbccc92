"""Hostile text through every text field of a finding, read back from the database and the exports.

Shared by tests/test_bad_input.py and bench/reliability.py so the figure and the tests measure
the same thing. Each corpus value goes through one whole life: an inspection whose team names it,
an ad-hoc finding with it in every form field, a fix report saying it and a rejection giving it as
the reason. A field either keeps the value (as typed; names, the fix report and the reason are
trimmed at both ends by design) or refuses it, over the field's length limit, with an InvalidInput
naming the field.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl

from audit.errors import InvalidInput
from audit.exports.columns import FIELDS as EXPORT_FIELDS
from audit.exports.formulas import is_formula_risk, neutralise
from audit.model import FindingFilter, Role, User
from audit.services import inspections as inspecting
from audit.services import rectification
from audit.services.ledger import export_ledger
from audit.services.limits import LIMITS
from audit.store import Database
from audit.store.findings import events_of_finding, get_finding
from audit.store.inspections import get_inspection
from tests.factories import add_site, answer_all, make_site, register, store_accounts, transfer_checklist

NOW = datetime(2026, 3, 1, 23, 30)
STARTED = datetime(2026, 3, 1, 23, 0)
UNIT_NAME = "国胜社区居委会"
INSPECTOR = User(id="u-chen", username="chen", display_name="陈明", role=Role.INSPECTOR)
UNIT = User(id="u-unit", username="guosheng", display_name="国胜社区", role=Role.UNIT, unit=UNIT_NAME)
SUPERVISOR = User(id="u-wang", username="wangfang", display_name="王芳", role=Role.SUPERVISOR)
SAFE = "已整改"
"""What a refused field is filled with instead, so the rest of the case can go on."""

ZALGO = "Z\u0351\u0346\u036b\u0313a\u0364\u0352l\u0310\u0357\u033eg\u0350\u034ao\u0309\u0363"
CORPUS: dict[str, str] = {
    "formula =": "=1+1",
    "formula +": "+SUM(A1)",
    "formula -": "-2+3",
    "formula @": "@cmd",
    "formula after tab": "\t=x",
    "formula after CR": "\r=x",
    "formula after LF": "\n=x",
    "hyperlink formula": '=HYPERLINK("http://evil.example","点击")',
    "script": "<script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "SQL": "'; DROP TABLE findings; --",
    "quotes and commas": 'a "quoted", comma; line\nbreak',
    "right-to-left override": "\u202eabc.exe \u05e9\u05dc\u05d5\u05dd",
    "zero-width": "口\u200b罩\u200d",
    "byte-order mark": "\ufeff口罩",
    "emoji ZWJ": "👩\u200d⚕️🏥",
    "flags": "🇨🇳🇬🇧🏳️\u200d🌈",
    "combining": "e\u0301 Å\u030a",
    "zalgo": ZALGO,
    "chinese": "单层普通口罩，同车转运",
    "10k": "隔" * 10_000,
    "NUL": "a\x00b",
    "bell": "a\x07b",
    "ANSI escape": "\x1b[31m红\x1b[0m",
    "xlsx escape lookalike": "_x0041_ stays",
    "xml specials": "a & b < c > d",
}

FORM_FIELDS = ("description", "immediate_measure", "responsible_person", "requirement")
TRIMMED = ("inspectors", "responsible_person", "fix_report", "reason")
FIELDS = (*FORM_FIELDS, "inspectors", "fix_report", "reason")


def limit(name: str) -> int:
    """The longest text the field takes."""
    if name == "inspectors":
        return LIMITS["inspector"]
    return LIMITS[name]


@dataclass
class Case:
    name: str
    value: str
    finding_id: str = ""
    number: str = ""
    stored: dict[str, str] = field(default_factory=dict)
    refused: dict[str, InvalidInput] = field(default_factory=dict)

    def expected(self, name: str) -> str:
        return self.value.strip() if name in TRIMMED else self.value

    def exact(self, name: str) -> bool:
        return name in self.stored and self.stored[name] == self.expected(name)


def prepare(database: Database):
    """The accounts, a checklist and a site whose unit the unit account speaks for."""
    store_accounts(database, INSPECTOR, UNIT, SUPERVISOR)
    register(database, transfer_checklist())
    return add_site(database, make_site(unit=make_site().unit.__class__(UNIT_NAME, "Guosheng committee")))


def _refusable(case: Case, name: str, call, fallback):
    """Run call(value); when refused, note the refusal and run call(fallback)."""
    try:
        return call(case.value)
    except InvalidInput as error:
        case.refused[name] = error
        return call(fallback)


def _record(database: Database, case: Case, draft_id: str) -> None:
    inspecting.save_finding_draft(database, INSPECTOR, draft_id, now=NOW, **dict.fromkeys(FORM_FIELDS, case.value))
    for _ in FORM_FIELDS:
        try:
            inspecting.record_finding(database, INSPECTOR, draft_id, now=NOW)
            return
        except InvalidInput as error:
            case.refused[error.field] = error
            inspecting.save_finding_draft(database, INSPECTOR, draft_id, now=NOW, **{error.field: SAFE})
    inspecting.record_finding(database, INSPECTOR, draft_id, now=NOW)


def run_case(database: Database, site, name: str, value: str) -> Case:
    case = Case(name, value)
    inspection = _refusable(
        case,
        "inspectors",
        lambda v: inspecting.start_inspection(
            database,
            INSPECTOR,
            site_id=site.id,
            checklist_id="transfer_test",
            inspectors=[v, "陈明"],
            started_at=STARTED,
            now=NOW,
        ),
        "陈明",
    )
    answer_all(database, inspection.id)
    draft = inspecting.add_adhoc_finding(database, INSPECTOR, inspection.id, now=NOW)
    _record(database, case, draft.id)
    finding = inspecting.submit_inspection(database, INSPECTOR, inspection.id, now=NOW).findings[0]
    case.finding_id, case.number = finding.id, finding.number
    reported = _refusable(
        case,
        "fix_report",
        lambda v: rectification.report_fix(database, UNIT, finding.id, version=finding.version, fix_report=v, now=NOW),
        SAFE,
    )
    _refusable(
        case,
        "reason",
        lambda v: rectification.reject_fix(
            database, SUPERVISOR, finding.id, version=reported.version, reason=v, now=NOW
        ),
        SAFE,
    )
    case.stored = read_back(database, case, inspection.id)
    return case


def read_back(database: Database, case: Case, inspection_id: str) -> dict[str, str]:
    """What the database holds for each field that was not refused."""
    with database.read() as cursor:
        finding = get_finding(cursor, case.finding_id)
        stored = {name: getattr(finding, name) for name in (*FORM_FIELDS, "fix_report")}
        stored["inspectors"] = get_inspection(cursor, inspection_id).inspectors[0]
        stored["reason"] = next(
            e["note"] for e in events_of_finding(cursor, case.finding_id) if e["action"] == "rejected"
        )
    return {name: value for name, value in stored.items() if name not in case.refused}


def run_corpus(database: Database, corpus: dict[str, str] = CORPUS) -> list[Case]:
    site = prepare(database)
    return [run_case(database, site, name, value) for name, value in corpus.items()]


# --- exports -------------------------------------------------------------------------------------


def export_both(database: Database, folder: Path) -> tuple[list[list[str]], list[list]]:
    """The whole ledger as CSV rows and as openpyxl cells (header row dropped)."""
    paths = {fmt: folder / f"ledger.{fmt}" for fmt in ("csv", "xlsx")}
    for fmt, path in paths.items():
        export_ledger(database, SUPERVISOR, FindingFilter(), fmt, str(path), language="zh-CN", today=NOW.date())
    text = paths["csv"].read_bytes().decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    sheet = openpyxl.load_workbook(paths["xlsx"]).active
    return csv_rows, [list(row) for row in sheet.iter_rows(min_row=2)]


def excel_text(value) -> str:
    """A cell's text as Excel shows it: OOXML writes control characters (and a literal _xHHHH_)
    as _xHHHH_ escapes, which openpyxl leaves undecoded."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match[1], 16)), value or "")


def neutralised(text: str) -> str:
    """The exporter's CSV rule: text that starts like a formula gets a leading single quote."""
    return neutralise(text)


def formula_cells(csv_rows: list[list[str]], xlsx_rows: list[list]) -> int:
    """Cells a spreadsheet would run: CSV text starting like a formula, or XLSX formula cells."""
    in_csv = sum(is_formula_risk(cell) for row in csv_rows for cell in row)
    in_xlsx = sum(cell.data_type == "f" for row in xlsx_rows for cell in row)
    return in_csv + in_xlsx


def export_column(field_name: str) -> int:
    return EXPORT_FIELDS.index(field_name)


def exported(case: Case) -> dict[str, str]:
    """What each exported column of the case's finding should hold (refused fields were filled with SAFE)."""
    values = {
        name: case.stored.get(name, SAFE) for name in ("description", "responsible_person", "requirement", "fix_report")
    }
    values["inspector"] = "、".join([case.stored["inspectors"], "陈明"]) if "inspectors" in case.stored else "陈明"
    return values


@dataclass
class Tally:
    cases: int  # value-and-field pairs the services accepted
    stored_exact: int
    refused: int
    formulas_in_exports: int

    @property
    def line(self) -> str:
        return (
            f"bad_input cases={self.cases} stored_exact={self.stored_exact} "
            f"formulas_in_exports={self.formulas_in_exports} refused={self.refused}"
        )


def tally(cases: list[Case], formulas: int) -> Tally:
    pairs = [(case, name) for case in cases for name in FIELDS]
    refused = sum(name in case.refused for case, name in pairs)
    return Tally(
        cases=len(pairs) - refused,
        stored_exact=sum(case.exact(name) for case, name in pairs),
        refused=refused,
        formulas_in_exports=formulas,
    )


def bad_input_check(database: Database, folder: Path) -> Tally:
    """The whole corpus through the services and both exports, counted."""
    cases = run_corpus(database)
    return tally(cases, formula_cells(*export_both(database, folder)))

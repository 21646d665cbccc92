"""Importing Excel ledgers: the app's own export (round trip), an office's sheet, and broken sheets."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
from click.testing import CliRunner

from audit.cli import cli
from audit.model import FindingFilter, Severity, Status
from audit.services.checklists import checklists_directory, sync_checklists
from audit.services.ledger import export_ledger
from audit.services.ledger_import import LedgerImportError, import_ledger
from audit.store import audit_log, open_database
from audit.store.findings import allocate_number, get_finding
from tests.factories import LEDGER_TODAY as TODAY
from tests.factories import SUPERVISOR, seed_ledger, store_accounts


def findings_in(db) -> list[dict]:
    with db.read() as cursor:
        ids = [row[0] for row in cursor.execute("SELECT id FROM findings ORDER BY number").fetchall()]
        return [vars(get_finding(cursor, finding_id)) for finding_id in ids]


def count(db, table: str) -> int:
    with db.read() as cursor:
        return cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def sheet_rows(path) -> list[tuple]:
    return list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))


def write_sheet(path, rows: list[list]) -> str:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    for cell in (cell for row in workbook.active.iter_rows() for cell in row):
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # text a person typed, as Excel keeps it, not a formula
    workbook.save(path)
    return str(path)


def seed_importable_ledger(db) -> None:
    """The shared ledger, with every deadline on or after the day found, as the app's forms require
    (the shared seed backdates some deadlines to make findings overdue)."""
    seed_ledger(db)
    with db.write() as cursor:
        cursor.execute(
            "UPDATE findings SET found_at = deadline - INTERVAL 3 DAY + INTERVAL 9 HOUR WHERE deadline < found_at::DATE"
        )


@pytest.fixture
def other_db(tmp_path):
    database = open_database(tmp_path / "other.duckdb")
    store_accounts(database, SUPERVISOR)  # who exports the imported ledger again
    yield database
    database.close()


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_round_trip_export_then_import_gives_the_same_findings(db, other_db, tmp_path, language):
    seed_importable_ledger(db)
    first = tmp_path / "first.xlsx"
    export_ledger(db, SUPERVISOR, FindingFilter(), "xlsx", str(first), language=language, today=TODAY)
    report = import_ledger(other_db, first, actor="tester")
    assert (report.findings, len(report.sites_created)) == (8, 2)
    second = tmp_path / "second.xlsx"
    export_ledger(other_db, SUPERVISOR, FindingFilter(), "xlsx", str(second), language=language, today=TODAY)
    assert sheet_rows(second) == sheet_rows(first)
    keep = (
        "id",
        "number",
        "description",
        "severity",
        "responsible_unit",
        "responsible_person",
        "requirement",
        "deadline",
        "status",
        "found_at",
        "fix_report",
    )
    assert [{k: f[k] for k in keep} for f in findings_in(other_db)] == [
        {k: f[k] for k in keep} for f in findings_in(db)
    ]


def test_checklist_words_find_the_registered_checklist(db, other_db, tmp_path):
    for database in (db, other_db):
        sync_checklists(database, checklists_directory())
    seed_importable_ledger(db)
    with db.write() as cursor:
        cursor.execute("UPDATE findings SET checklist_id = 'ppe_use', item_id = 'PPE-01'")
    path = tmp_path / "ledger.xlsx"
    export_ledger(db, SUPERVISOR, FindingFilter(), "xlsx", str(path), today=TODAY)
    import_ledger(other_db, path, actor="tester")
    assert {(f["checklist_id"], f["item_id"]) for f in findings_in(other_db)} == {("ppe_use", "PPE-01")}


def test_an_unknown_item_of_a_known_checklist_keeps_its_words(other_db, tmp_path):
    sync_checklists(other_db, checklists_directory())
    rows = [
        ["发现时间", "检查点位", "问题描述", "责任单位", "整改时限", "检查表", "检查项目"],
        ["2026-03-01", "国胜集中隔离点", "口罩", "国胜社区居委会", "2026-03-03", "个人防护", "口罩没有及时更换"],
    ]
    import_ledger(other_db, write_sheet(tmp_path / "items.xlsx", rows), actor="tester")
    with other_db.read() as cursor:
        assert cursor.execute("SELECT checklist_id, item_id, checklist_text, item_text FROM findings").fetchall() == [
            ("ppe_use", None, None, "口罩没有及时更换")
        ]


OFFICE_SHEET = [
    ["崇川区疫情防控督查问题整改台账（2020年3月）"],
    [],
    [
        "序号",
        "检查日期",
        "检查地点",
        "点位类型",
        "存在问题",
        "责任单位",
        "整改责任人",
        "整改措施",
        "完成时限",
        "整改进度",
        "整改落实情况",
        "完成日期",
        "检查类别",
    ],
    [
        1,
        datetime(2020, 3, 1, 23, 0),
        "国胜社区集中隔离点",
        "隔离点",
        "社区书记私家车转运两名外省返回人员",
        "国胜社区居委会",
        "王书记",
        "专车转运，填写集中隔离信息表",
        "2020/3/2",
        "已整改",
        "已对全体社区工作人员开展防护培训",
        "2020年3月5日",
        "人员转运",
    ],
    [
        2,
        "2020-03-01",
        "国胜社区集中隔离点",
        "隔离点",
        "=仅佩戴一层普通口罩",
        "国胜社区居委会",
        None,
        None,
        date(2020, 3, 2),
        "整改中",
        None,
        None,
        "防护用品使用",
    ],
    [
        3,
        "2020.3.3",
        "永兴街道光明社区",
        None,
        "预检分诊登记不全",
        "光明社区卫生服务站",
        "李医生",
        "完善登记",
        43900,
        None,
        None,
        None,
        None,
    ],
]


def test_an_office_sheet_with_its_own_headings(db, tmp_path):
    path = write_sheet(tmp_path / "office.xlsx", OFFICE_SHEET)
    report = import_ledger(db, path, actor="tester")
    assert report.findings == 3 and report.sites_created == ["国胜社区集中隔离点", "永兴街道光明社区"]
    assert any("永兴街道光明社区" in warning and "community" in warning for warning in report.warnings)
    assert any("severity" in warning for warning in report.warnings)
    first, second, third = findings_in(db)
    assert (first["number"], first["status"], first["closed_at"]) == ("2020-0001", Status.CLOSED, datetime(2020, 3, 5))
    assert first["fix_report"] == "已对全体社区工作人员开展防护培训" and first["deadline"] == date(2020, 3, 2)
    assert (second["status"], second["description"], second["found_at"]) == (
        Status.OPEN,
        "=仅佩戴一层普通口罩",
        datetime(2020, 3, 1),
    )
    assert third["deadline"] == date(2020, 3, 10) and third["severity"] is Severity.MINOR  # 43900 is an Excel date
    with db.read() as cursor:
        kinds = dict(cursor.execute("SELECT name_zh, kind FROM sites").fetchall())
        words = cursor.execute("SELECT checklist_text FROM findings ORDER BY number").fetchall()
    assert kinds == {"国胜社区集中隔离点": "isolation_point", "永兴街道光明社区": "community"}
    assert [w[0] for w in words] == ["人员转运", "防护用品使用", None]
    with db.read() as cursor:
        actions = [row[0] for row in cursor.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
        assert audit_log.verify(cursor).ok
    assert actions == ["site.created"] * 2 + ["finding.imported"] * 3


def test_kept_numbers_move_the_counter_past_them(db, tmp_path):
    rows = [
        ["编号", "发现时间", "检查点位", "问题描述", "责任单位", "整改时限"],
        ["2026-0412", "2026-03-01", "国胜集中隔离点", "口罩", "国胜社区居委会", "2026-03-03"],
    ]
    import_ledger(db, write_sheet(tmp_path / "numbers.xlsx", rows), actor="tester")
    with db.write() as cursor:
        assert allocate_number(cursor, 2026) == "2026-0413"


HEAD = ["编号", "发现时间", "检查点位", "问题描述", "责任单位", "整改时限", "整改状态", "销号日期"]
GOOD = ["2026-0001", "2026-03-01", "国胜集中隔离点", "口罩", "国胜社区居委会", "2026-03-03", "待整改", None]


@pytest.mark.parametrize(
    "rows, expected",
    [
        (
            [["编号", "发现时间", "检查点位", "责任单位", "整改时限"], GOOD[:2] + GOOD[2:3] + GOOD[4:6]],
            ["row 1: missing required column(s): 问题描述 / Description of the problem"],
        ),
        (
            [HEAD, GOOD, GOOD[:5] + ["2026-13-01"] + GOOD[6:]],
            [
                "row 3: 整改时限: '2026-13-01' is not a date",
                "row 3: 编号: '2026-0001' is also in row 2; each finding once only",
            ],
        ),
        (
            [HEAD, GOOD[:6] + ["处理完毕了"] + GOOD[7:]],
            [
                "row 2: 整改状态: '处理完毕了' is not a known status (use one of: 待整改/Open, 待核验/Awaiting verification, "
                "已销号/Closed, 重新整改/Reopened)"
            ],
        ),
        (
            [HEAD, GOOD[:6] + ["已销号", None]],
            ["row 2: 销号日期: is empty, but the finding is closed (已销号); give the date it was closed"],
        ),
        ([HEAD, GOOD[:3] + [None] + GOOD[4:]], ["row 2: 问题描述: is empty; every finding needs it"]),
        (
            [],
            [
                "No heading row found in the first rows of the sheet: expected headings such as 问题描述, 责任单位, 整改时限 "
                "(or Description of the problem, Responsible unit, Deadline)."
            ],
        ),
        ([HEAD], ["row 1: the sheet has headings but no findings under them"]),
    ],
)
def test_broken_sheets_name_every_problem_and_import_nothing(db, tmp_path, rows, expected):
    path = write_sheet(tmp_path / "broken.xlsx", rows)
    with pytest.raises(LedgerImportError) as refused:
        import_ledger(db, path, actor="tester")
    assert refused.value.problems == expected
    assert (count(db, "findings"), count(db, "sites"), count(db, "audit_log")) == (0, 0, 0)


def test_a_row_already_in_the_database_stops_the_whole_import(db, tmp_path):
    first = write_sheet(tmp_path / "a.xlsx", [HEAD, GOOD])
    import_ledger(db, first, actor="tester")
    second = write_sheet(tmp_path / "b.xlsx", [HEAD, ["2026-0002", *GOOD[1:]], GOOD])
    with pytest.raises(LedgerImportError, match="row 3: finding number 2026-0001 is already taken"):
        import_ledger(db, second, actor="tester")
    assert count(db, "findings") == 1


def test_a_dry_run_checks_everything_and_stores_nothing(db, tmp_path):
    report = import_ledger(db, write_sheet(tmp_path / "a.xlsx", [HEAD, GOOD]), actor="tester", dry_run=True)
    assert (report.dry_run, report.findings, report.sites_created) == (True, 1, ["国胜集中隔离点"])
    assert (count(db, "findings"), count(db, "sites"), count(db, "audit_log")) == (0, 0, 0)


def test_not_a_workbook(db, tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_text("序号,问题描述\n1,口罩\n", encoding="utf-8")
    with pytest.raises(LedgerImportError, match="cannot be read as an Excel workbook"):
        import_ledger(db, path, actor="tester")


# --- the command line ---------------------------------------------------------------------


def test_cli_import_reports_rows_and_exits_1(db_path, tmp_path):
    open_database(db_path).close()
    path = write_sheet(tmp_path / "broken.xlsx", [HEAD, GOOD[:5] + ["2026-13-01"] + GOOD[6:]])
    result = CliRunner().invoke(cli, ["import-ledger", path, "--db", str(db_path)])
    assert result.exit_code == 1
    assert "row 2: 整改时限: '2026-13-01' is not a date" in result.output
    assert "nothing was imported" in result.output


def test_cli_export_with_filters_then_import(db, db_path, tmp_path):
    seed_importable_ledger(db)
    db.close()
    out = tmp_path / "open.xlsx"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--db",
            str(db_path),
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--status",
            "open",
            "--subdistrict",
            "虹桥街道",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 3 findings" in result.output
    assert [row[0] for row in sheet_rows(out)] == ["No.", "2026-0005", "2026-0007", "2026-0008"]
    target = tmp_path / "target.duckdb"
    result = CliRunner().invoke(cli, ["import-ledger", str(out), "--db", str(target)])
    assert result.exit_code == 0 and "Imported 3 findings" in result.output

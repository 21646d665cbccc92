"""Values an import must refuse, each as a row-numbered error naming the column and what to do."""

from __future__ import annotations

from datetime import date

import pytest

from audit.services.ledger_import import LedgerImportError, import_ledger
from audit.store.findings import allocate_number
from tests.test_import import count, write_sheet

TODAY = date(2026, 3, 10)
HEAD = ["编号", "发现时间", "检查点位", "问题描述", "责任单位", "整改时限", "整改状态", "销号日期"]
GOOD = ["2026-0001", "2026-03-01", "国胜集中隔离点", "口罩", "国胜社区居委会", "2026-03-03", "待整改", None]


def changed(**cells) -> list:
    row = list(GOOD)
    for heading, value in cells.items():
        row[HEAD.index(heading)] = value
    return row


@pytest.mark.parametrize(
    "row, expected",
    [
        (
            changed(整改时限="2026-02-27"),
            "row 2: 整改时限: '2026-02-27' is before the day the problem was found (2026-03-01)",
        ),
        (changed(发现时间="9999-03-01", 整改时限="9999-03-03"), "row 2: 发现时间: '9999-03-01' is in the future"),
        (changed(发现时间=2958465, 整改时限=2958465), "row 2: 发现时间: '9999-12-31' is in the future"),
        (
            changed(整改状态="已销号", 销号日期="2026-02-01"),
            "row 2: 销号日期: '2026-02-01' is before the day the problem was found (2026-03-01)",
        ),
        (changed(编号="2026-999999999"), "row 2: 编号: '2026-999999999' is not a number this ledger could have given"),
        (changed(编号="2026-" + "9" * 20), "row 2: 编号: '2026-99999999999999999999' is not a number"),
        (changed(编号="9999-0001"), "row 2: 编号: '9999-0001' is not a number this ledger could have given"),
        (changed(编号="X" * 40), "row 2: 编号: '" + "X" * 30 + "...' is too long for a finding number"),
        (changed(问题描述="长" * 2001), "row 2: 问题描述: has 2001 characters, more than the 2000"),
    ],
    ids=[
        "deadline-before-found",
        "found-in-9999",
        "found-excel-serial-9999",
        "closed-before-found",
        "number-moves-counter",
        "number-20-digits",
        "number-year-9999",
        "number-too-long",
        "description-too-long",
    ],
)
def test_an_impossible_value_is_a_row_numbered_error_and_nothing_is_stored(db, tmp_path, row, expected):
    with pytest.raises(LedgerImportError) as refused:
        import_ledger(db, write_sheet(tmp_path / "ledger.xlsx", [HEAD, row]), actor="tester", today=TODAY)
    [problem] = refused.value.problems
    assert problem.startswith(expected)
    assert any(advice in problem for advice in ("give ", "correct it", "shorten it", "leave it empty"))
    assert (count(db, "findings"), count(db, "sites"), count(db, "audit_log")) == (0, 0, 0)
    with db.write() as cursor:
        assert allocate_number(cursor, 2026) == "2026-0001"


def test_plausible_values_still_import(db, tmp_path):
    rows = [HEAD, changed(编号="2026-0412", 整改时限="2026-03-01", 整改状态="已销号", 销号日期="2026-03-10")]
    assert import_ledger(db, write_sheet(tmp_path / "ledger.xlsx", rows), actor="tester", today=TODAY).findings == 1

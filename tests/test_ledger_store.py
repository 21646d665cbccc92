"""The ledger queries on real DuckDB: filters, colours, sort, pages; and the data other ledger tests share."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from audit.model import FindingFilter, Overdue, Severity, Status, overdue_colour
from audit.store.findings import insert_finding
from audit.store.ledger import count_findings, filter_options, ledger_page
from tests.factories import GUANGMING, GUOSHENG, make_finding, seed_ledger
from tests.factories import LEDGER_TODAY as TODAY
from tests.factories import ledger_numbers as page


@pytest.fixture
def ledger_db(db):
    seed_ledger(db)
    return db


@pytest.mark.parametrize(
    "flt, expected",
    [
        (FindingFilter(statuses=(Status.OPEN,)), ["2026-0001", "2026-0003", "2026-0005", "2026-0007", "2026-0008"]),
        (FindingFilter(colours=(Overdue.RED,)), ["2026-0001", "2026-0007"]),
        (FindingFilter(colours=(Overdue.BLUE, Overdue.YELLOW)), ["2026-0002", "2026-0003", "2026-0004"]),
        (FindingFilter(severities=(Severity.CRITICAL,)), ["2026-0001", "2026-0008"]),
        (FindingFilter(subdistrict="虹桥街道"), ["2026-0005", "2026-0006", "2026-0007", "2026-0008"]),
        (FindingFilter(subdistrict="虹桥街道 (en)"), ["2026-0005", "2026-0006", "2026-0007", "2026-0008"]),
        (FindingFilter(community="国胜社区 (en)"), ["2026-0001", "2026-0002", "2026-0003", "2026-0004"]),
        (FindingFilter(community="国胜社区"), ["2026-0001", "2026-0002", "2026-0003", "2026-0004"]),
        (FindingFilter(site="Guangming fever clinic"), ["2026-0005", "2026-0006", "2026-0007", "2026-0008"]),
        (
            FindingFilter(unit=GUOSHENG, statuses=(Status.OPEN, Status.REOPENED)),
            ["2026-0001", "2026-0002", "2026-0003"],
        ),
        (FindingFilter(found_from=date(2026, 3, 3), found_to=date(2026, 3, 4)), ["2026-0003", "2026-0004"]),
        (FindingFilter(repeats_only=True), ["2026-0002", "2026-0006"]),
        (FindingFilter(search="0007"), ["2026-0007"]),
        (FindingFilter(search="问题 2026-0003"), ["2026-0003"]),
        # A typed wildcard still works as one (the term goes through ILIKE, not a plain substring test).
        (FindingFilter(search="问题 2026-000_"), [f"2026-000{n}" for n in range(1, 9)]),
        (FindingFilter(checklist="no such checklist"), []),
    ],
)
def test_each_filter_selects_what_it_says(ledger_db, flt, expected):
    assert page(ledger_db, flt, sort="number") == expected
    with ledger_db.read() as cursor:
        assert count_findings(cursor, flt, TODAY) == len(expected)


def test_sql_and_python_agree_on_the_overdue_colour(db):
    """Every day from 12 before to 12 after the deadline, in every status."""
    with db.write() as cursor:
        for status in Status:
            for late in range(-12, 13):
                insert_finding(
                    cursor, make_finding(f"{status.value}{late}", deadline=TODAY - timedelta(days=late), status=status)
                )
    with db.read() as cursor:
        rows = ledger_page(cursor, FindingFilter(), TODAY, language="en", limit=1000)
    assert len(rows) == len(Status) * 25
    assert {row.overdue for row in rows} == set(Overdue)
    for row in rows:
        assert row.overdue is overdue_colour(row.deadline, row.status, TODAY), row


@pytest.mark.parametrize(
    "sort, descending, expected_first",
    [
        ("deadline", False, "2026-0006"),
        ("deadline", True, "2026-0005"),
        ("severity", True, "2026-0001"),
        ("overdue", True, "2026-0001"),
        ("found_at", True, "2026-0008"),
        ("status", True, "2026-0006"),
    ],
)
def test_sorting_happens_in_sql(ledger_db, sort, descending, expected_first):
    assert page(ledger_db, sort=sort, descending=descending)[0] == expected_first


def test_pages_are_cut_in_sql_and_cover_everything_once(ledger_db):
    pages = [page(ledger_db, sort="number", limit=3, offset=offset) for offset in (0, 3, 6)]
    assert pages == [
        ["2026-0001", "2026-0002", "2026-0003"],
        ["2026-0004", "2026-0005", "2026-0006"],
        ["2026-0007", "2026-0008"],
    ]


def test_rows_carry_site_words_in_the_language_asked(ledger_db):
    with ledger_db.read() as cursor:
        zh = ledger_page(cursor, FindingFilter(search="0005"), TODAY, language="zh-CN")[0]
        en = ledger_page(cursor, FindingFilter(search="0005"), TODAY, language="en")[0]
    assert (zh.site, en.site) == ("光明发热门诊", "Guangming fever clinic")


def test_filter_choices_come_from_the_findings_and_respect_a_unit(ledger_db):
    with ledger_db.read() as cursor:
        everyone = filter_options(cursor, "zh-CN")
        one_unit = filter_options(cursor, "en", GUANGMING)
    assert [value for value, _ in everyone["unit"]] == [GUANGMING, GUOSHENG]
    assert [label for _, label in everyone["subdistrict"]] == ["崇川开发区", "虹桥街道"]
    assert [label for _, label in one_unit["site"]] == ["Guangming fever clinic"]
    assert one_unit["subdistrict"] == [("虹桥街道", "虹桥街道 (en)")]

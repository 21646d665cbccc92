"""The ledger queries on real DuckDB: filters, colours, sort, pages; and the data other ledger tests share."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from audit.model import Overdue, Role, Severity, Status, User, new_id, overdue_colour
from audit.store import audit_log
from audit.store.row_state import every_row
from audit.store.findings import insert_finding
from audit.store.ledger import LedgerFilter, count_findings, filter_options, ledger_page
from tests.test_store import make_finding

TODAY = date(2026, 3, 10)
GUOSHENG, GUANGMING = "国胜社区居委会", "光明社区居委会"

UNIT = User(new_id(), "guosheng", "国胜社区", Role.UNIT, unit=GUOSHENG)
OTHER_UNIT = User(new_id(), "guangming", "光明社区", Role.UNIT, unit=GUANGMING)
INSPECTOR = User(new_id(), "chenming", "陈明", Role.INSPECTOR)
SECOND_INSPECTOR = User(new_id(), "liuyang", "刘洋", Role.INSPECTOR)
SUPERVISOR = User(new_id(), "wangfang", "王芳", Role.SUPERVISOR)
ADMIN = User(new_id(), "admin", "管理员", Role.ADMIN)


def add_user(cursor, user: User) -> None:
    """The account of `user`, under its own id, unless it is stored already."""
    cursor.execute(
        "INSERT INTO users (id, username, display_name, role, unit, created_at) SELECT ?, ?, ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?)",
        [user.id, user.username, user.display_name, user.role.value, user.unit, datetime(2026, 1, 1), user.id],
    )


def add_site(cursor, name_zh: str, *, unit: str, subdistrict: str = "崇川开发区", community: str = "国胜社区",
             kind: str = "isolation_point", name_en: str | None = None) -> str:
    site_id = new_id()
    cursor.execute(
        "INSERT INTO sites (id, code, name_zh, name_en, kind, district_zh, district_en, subdistrict_zh, "
        "subdistrict_en, community_zh, community_en, unit_zh, unit_en) VALUES (?, ?, ?, ?, ?, '崇川区', "
        "'Chongchuan', ?, ?, ?, ?, ?, ?)",
        [site_id, f"S-{site_id[:6]}", name_zh, name_en or name_zh, kind, subdistrict, subdistrict + " (en)",
         community, community + " (en)", unit, unit],
    )
    return site_id


def seed_ledger(database) -> dict[str, str]:
    """Eight findings over two sites and units, covering every status and colour; returns number -> id."""
    ids = {}
    with database.write() as cursor:
        for user in (UNIT, OTHER_UNIT, INSPECTOR, SECOND_INSPECTOR, SUPERVISOR):
            add_user(cursor, user)
        isolation = add_site(cursor, "国胜集中隔离点", unit=GUOSHENG, name_en="Guosheng isolation point")
        clinic = add_site(cursor, "光明发热门诊", unit=GUANGMING, subdistrict="虹桥街道", community="光明社区",
                          kind="fever_clinic", name_en="Guangming fever clinic")
        rows = [
            # number, site, unit, deadline offset from TODAY, status, severity, repeat
            ("2026-0001", isolation, GUOSHENG, -12, Status.OPEN, Severity.CRITICAL, False),      # red
            ("2026-0002", isolation, GUOSHENG, -3, Status.REOPENED, Severity.MAJOR, True),       # yellow
            ("2026-0003", isolation, GUOSHENG, 1, Status.OPEN, Severity.MINOR, False),           # blue
            ("2026-0004", isolation, GUOSHENG, 0, Status.AWAITING_VERIFICATION, Severity.MAJOR, False),  # blue
            ("2026-0005", clinic, GUANGMING, 5, Status.OPEN, Severity.MAJOR, False),             # none
            ("2026-0006", clinic, GUANGMING, -20, Status.CLOSED, Severity.MINOR, True),          # none: closed
            ("2026-0007", clinic, GUANGMING, -8, Status.OPEN, Severity.MINOR, False),            # red
            ("2026-0008", clinic, GUANGMING, 3, Status.OPEN, Severity.CRITICAL, False),          # none
        ]
        for offset, (number, site, unit, due, status, severity, repeat) in enumerate(rows):
            finding = make_finding(
                number, site_id=site, responsible_unit=unit, deadline=TODAY + timedelta(days=due), status=status,
                severity=severity, found_at=datetime(2026, 3, 1 + offset, 9, 30), inspector=INSPECTOR.username,
                description=f"问题 {number}", repeat_of=[new_id()] if repeat else [],
                closed_at=datetime(2026, 3, 9, 10, 0) if status is Status.CLOSED else None,
                verifier=SUPERVISOR.username if status is Status.CLOSED else None,
            )
            insert_finding(cursor, finding)
            ids[number] = finding.id
        # Seeded through the store, so one entry vouches for the rows, as an upgrade's does.
        audit_log.append(cursor, actor="test", action="test.seeded", entity="database", rows_where=every_row())
    return ids


def numbers(rows) -> list[str]:
    return [row.number for row in rows]


def page(db, flt=LedgerFilter(), **options):
    with db.read() as cursor:
        return numbers(ledger_page(cursor, flt, TODAY, language="zh-CN", **options))


@pytest.fixture
def ledger_db(db):
    seed_ledger(db)
    return db


@pytest.mark.parametrize("flt, expected", [
    (LedgerFilter(statuses=(Status.OPEN,)), ["2026-0001", "2026-0003", "2026-0005", "2026-0007", "2026-0008"]),
    (LedgerFilter(colours=(Overdue.RED,)), ["2026-0001", "2026-0007"]),
    (LedgerFilter(colours=(Overdue.BLUE, Overdue.YELLOW)), ["2026-0002", "2026-0003", "2026-0004"]),
    (LedgerFilter(severities=(Severity.CRITICAL,)), ["2026-0001", "2026-0008"]),
    (LedgerFilter(subdistrict="虹桥街道"), ["2026-0005", "2026-0006", "2026-0007", "2026-0008"]),
    (LedgerFilter(community="国胜社区"), ["2026-0001", "2026-0002", "2026-0003", "2026-0004"]),
    (LedgerFilter(site="Guangming fever clinic"), ["2026-0005", "2026-0006", "2026-0007", "2026-0008"]),
    (LedgerFilter(unit=GUOSHENG, statuses=(Status.OPEN, Status.REOPENED)), ["2026-0001", "2026-0002", "2026-0003"]),
    (LedgerFilter(found_from=date(2026, 3, 3), found_to=date(2026, 3, 4)), ["2026-0003", "2026-0004"]),
    (LedgerFilter(repeats_only=True), ["2026-0002", "2026-0006"]),
    (LedgerFilter(search="0007"), ["2026-0007"]),
    (LedgerFilter(checklist="no such checklist"), []),
])
def test_each_filter_selects_what_it_says(ledger_db, flt, expected):
    assert page(ledger_db, flt, sort="number") == expected
    with ledger_db.read() as cursor:
        assert count_findings(cursor, flt, TODAY) == len(expected)


def test_sql_and_python_agree_on_the_overdue_colour(db):
    """Every day from 12 before to 12 after the deadline, in every status."""
    with db.write() as cursor:
        for status in Status:
            for late in range(-12, 13):
                insert_finding(cursor, make_finding(f"{status.value}{late}", deadline=TODAY - timedelta(days=late),
                                                    status=status))
    with db.read() as cursor:
        rows = ledger_page(cursor, LedgerFilter(), TODAY, language="en", limit=1000)
    assert len(rows) == len(Status) * 25
    assert {row.overdue for row in rows} == set(Overdue)
    for row in rows:
        assert row.overdue is overdue_colour(row.deadline, row.status, TODAY), row


@pytest.mark.parametrize("sort, descending, expected_first", [
    ("deadline", False, "2026-0006"),
    ("deadline", True, "2026-0005"),
    ("severity", True, "2026-0001"),
    ("overdue", True, "2026-0001"),
    ("found_at", True, "2026-0008"),
    ("status", True, "2026-0006"),
])
def test_sorting_happens_in_sql(ledger_db, sort, descending, expected_first):
    assert page(ledger_db, sort=sort, descending=descending)[0] == expected_first


def test_pages_are_cut_in_sql_and_cover_everything_once(ledger_db):
    pages = [page(ledger_db, sort="number", limit=3, offset=offset) for offset in (0, 3, 6)]
    assert pages == [["2026-0001", "2026-0002", "2026-0003"], ["2026-0004", "2026-0005", "2026-0006"],
                     ["2026-0007", "2026-0008"]]


def test_rows_carry_site_words_in_the_language_asked(ledger_db):
    with ledger_db.read() as cursor:
        zh = ledger_page(cursor, LedgerFilter(search="0005"), TODAY, language="zh-CN")[0]
        en = ledger_page(cursor, LedgerFilter(search="0005"), TODAY, language="en")[0]
    assert (zh.site, en.site) == ("光明发热门诊", "Guangming fever clinic")


def test_filter_choices_come_from_the_findings_and_respect_a_unit(ledger_db):
    with ledger_db.read() as cursor:
        everyone = filter_options(cursor, "zh-CN")
        one_unit = filter_options(cursor, "en", GUANGMING)
    assert [value for value, _ in everyone["unit"]] == [GUANGMING, GUOSHENG]
    assert [label for _, label in everyone["subdistrict"]] == ["崇川开发区", "虹桥街道"]
    assert [label for _, label in one_unit["site"]] == ["Guangming fever clinic"]
    assert one_unit["subdistrict"] == [("虹桥街道", "虹桥街道 (en)")]

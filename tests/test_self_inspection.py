"""Unit self-inspections (每日一查一报): a unit walks a checklist at its own sites only; what it finds is
kept apart from supervision in every count, and a missed daily self-report shows to supervisors."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from audit.errors import PermissionDenied
from audit.model import FindingFilter as LedgerFilter
from audit.model import ResponseType, Result
from audit.services import inspections, plans, worklist
from audit.services.bulletins import draft_bulletin
from audit.services.dashboard import dashboard
from audit.services.ledger import ledger_page
from audit.services.overview import home_figures
from tests.test_plans import add, office  # noqa: F401  (office is a fixture)

DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, 0)
OWN, OTHER = "CC-ISO-001", "CC-ISO-002"  # the unit "guangming" runs the first only


def self_plan(db, office):  # noqa: F811
    return add(
        db,
        office,
        name="隔离点每日自查",
        site_codes=[OWN],
        site_kind=None,
        subdistrict=None,
        team=[],
        self_inspection=True,
    )


def walk(db, user, inspection_id: str, *, fail: str | None = None) -> None:
    """Answer every item (pass, 36.5, a note), failing one if asked, and record its finding."""
    sheet = inspections.inspection_sheet(db, user, inspection_id)
    for item in sheet.checklist.items:
        if item.response is ResponseType.PASS_FAIL:
            result = Result.FAIL if item.id == fail else Result.PASS
            inspections.record_response(db, user, inspection_id, item.id, result=result, now=NOW)
        elif item.response is ResponseType.NUMBER:
            inspections.record_response(db, user, inspection_id, item.id, value=36.5, now=NOW)
        else:
            inspections.record_response(db, user, inspection_id, item.id, text="正常", now=NOW)
    if fail:
        draft = next(d for d in inspections.inspection_sheet(db, user, inspection_id).drafts if d.item_id == fail)
        inspections.save_finding_draft(
            db, user, draft.id, description="自查发现：登记不全", responsible_person="王经理", now=NOW
        )
        inspections.record_finding(db, user, draft.id, now=NOW)


def first_plain_item(db, user, inspection_id: str) -> str:
    sheet = inspections.inspection_sheet(db, user, inspection_id)
    return next(i.id for i in sheet.checklist.items if i.response is ResponseType.PASS_FAIL and not i.photo_required)


def self_inspect(db, office, *, fail: bool = True):  # noqa: F811
    unit = office["guangming"]
    task = next(t for t in plans.my_tasks(db, unit, today=DAY, now=NOW, language="zh-CN") if t.due == DAY)
    inspection = plans.start_task(db, unit, task, now=NOW)
    walk(db, unit, inspection.id, fail=first_plain_item(db, unit, inspection.id) if fail else None)
    return inspections.submit_inspection(db, unit, inspection.id, now=NOW)


def test_a_unit_self_inspects_its_own_site_and_completes_its_self_task(db, office):  # noqa: F811
    self_plan(db, office)
    unit = office["guangming"]
    assert [t.done for t in plans.my_tasks(db, unit, today=DAY, now=NOW, language="zh-CN") if t.due == DAY] == [False]
    submitted = self_inspect(db, office)
    assert submitted.inspection.self_reported
    assert [f.self_reported for f in submitted.findings] == [True]
    assert [t.done for t in plans.my_tasks(db, unit, today=DAY, now=NOW, language="zh-CN") if t.due == DAY] == [True]
    rows = plans.coverage(db, office["zhou.lan"], start=DAY, end=DAY, by="team", today=DAY, now=NOW)
    assert [(r.group, r.due, r.done) for r in rows] == [("(self)", 1, 1)]


def test_a_supervision_inspection_does_not_complete_a_self_task(db, office):  # noqa: F811
    self_plan(db, office)
    inspector = office["li.na"]
    site = office["sites"][OWN]
    inspection = inspections.start_inspection(
        db, inspector, site_id=site.id, checklist_id="isolation_point", inspectors=["李娜"], started_at=NOW, now=NOW
    )
    walk(db, inspector, inspection.id)
    inspections.submit_inspection(db, inspector, inspection.id, now=NOW)
    assert not inspections.inspection_sheet(db, inspector, inspection.id).inspection.self_reported
    assert plans.self_reports_missed(db, office["zhou.lan"], start=DAY, end=DAY, today=DAY, now=NOW) == 1


def test_a_unit_may_not_self_inspect_another_units_site(db, office):  # noqa: F811
    unit = office["guangming"]
    with pytest.raises(PermissionDenied):
        inspections.start_inspection(
            db,
            unit,
            site_id=office["sites"][OTHER].id,
            checklist_id="isolation_point",
            inspectors=[unit.display_name],
            started_at=NOW,
            now=NOW,
        )
    assert [s.code for s in inspections.find_sites(db, unit, text="CC-ISO")] == [OWN]


def test_a_unit_may_not_open_or_answer_a_supervision_inspection(db, office):  # noqa: F811
    inspector, unit = office["li.na"], office["guangming"]
    inspection = inspections.start_inspection(
        db,
        inspector,
        site_id=office["sites"][OWN].id,
        checklist_id="isolation_point",
        inspectors=["李娜"],
        started_at=NOW,
        now=NOW,
    )
    item = first_plain_item(db, inspector, inspection.id)
    with pytest.raises(PermissionDenied):
        inspections.inspection_sheet(db, unit, inspection.id)
    with pytest.raises(PermissionDenied):
        inspections.record_response(db, unit, inspection.id, item, result=Result.PASS, now=NOW)
    with pytest.raises(PermissionDenied):
        inspections.correct_inspection(db, unit, inspection.id, reason="改", inspectors=["x"], now=NOW)


def supervision_figures(db, office):  # noqa: F811
    supervisor, unit = office["zhou.lan"], office["guangming"]
    home = home_figures(db, DAY), home_figures(db, DAY, unit=unit.unit)
    board = dashboard(db, supervisor, LedgerFilter.last_days(DAY), today=DAY).headline
    ledger = (
        ledger_page(db, supervisor, LedgerFilter(), today=DAY).total,
        ledger_page(db, unit, LedgerFilter(), today=DAY).total,
    )
    counts = worklist.supervisor_counts(db, supervisor, today=DAY, now=NOW)
    bulletin = draft_bulletin(db, supervisor, kind="weekly", period_from=DAY, period_to=DAY, today=DAY).figures
    return (
        home,
        board,
        ledger,
        (counts.awaiting, counts.overdue),
        (bulletin.inspections, bulletin.findings, bulletin.by_severity, bulletin.overdue),
    )


def test_self_reported_findings_leave_the_supervision_counts_alone(db, office):  # noqa: F811
    self_plan(db, office)
    before = supervision_figures(db, office)
    submitted = self_inspect(db, office)
    assert supervision_figures(db, office) == before
    seen = ledger_page(db, office["zhou.lan"], LedgerFilter(origin="self"), today=DAY)
    assert [row.id for row in seen.rows] == [submitted.findings[0].id]
    assert ledger_page(db, office["zhou.lan"], LedgerFilter(origin="all"), today=DAY).total == before[2][0] + 1


def test_a_missed_daily_self_report_is_shown_to_supervisors(db, office):  # noqa: F811
    self_plan(db, office)
    supervisor = office["zhou.lan"]
    assert worklist.supervisor_counts(db, supervisor, today=DAY, now=NOW).self_missed_today == 1
    self_inspect(db, office, fail=False)
    assert worklist.supervisor_counts(db, supervisor, today=DAY, now=NOW).self_missed_today == 0
    assert plans.self_reports_missed(db, supervisor, start=date(2026, 3, 1), end=DAY, today=DAY, now=NOW) == 9

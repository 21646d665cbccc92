"""督查计划: plans yield one task per site, checklist and day; coverage counts inspections made."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from audit.errors import InvalidInput, PermissionDenied
from audit.model import FindingFilter, Status
from audit.services import plans as service
from audit.services import worklist
from audit.services.accounts import add_user, generate_password, set_role
from audit.services.administration import set_site_active
from audit.services.checklists import sync_checklists
from audit.services.sites import import_sites_csv
from audit.store.findings import insert_finding
from audit.store.inspections import Inspection, insert_inspection
from audit.store.sites import list_sites
from tests.conftest import ROOT
from tests.factories import make_finding

MARCH = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 8, 0)


@pytest.fixture
def office(db):
    sync_checklists(db, ROOT / "checklists")
    import_sites_csv(db, ROOT / "data" / "sites.csv", "test")
    people = {
        name: add_user(db, None, username=name, role=role, password=generate_password(), unit=unit)
        for name, role, unit in (
            ("li.na", "inspector", None),
            ("wang.qiang", "inspector", None),
            ("zhou.lan", "supervisor", None),
            ("admin.one", "admin", None),
            ("guangming", "unit", "光明商务酒店集中隔离点工作专班"),
        )
    }
    with db.read() as cursor:
        people["sites"] = {site.code: site for site in list_sites(cursor)}
    return people


def add(db, office, **changes):
    options = dict(
        name="虹桥街道隔离点每日督查",
        checklist_ids=["isolation_point"],
        site_kind="isolation_point",
        subdistrict="虹桥街道",
        team=["li.na"],
        every="daily",
        start=MARCH,
        end=date(2026, 3, 31),
        now=NOW,
    )
    return service.add_plan(db, office["zhou.lan"], **(options | changes))


def inspected(
    db,
    office,
    code: str,
    day: date,
    *,
    status: str = "submitted",
    checklist: str = "isolation_point",
    self_reported: bool = False,
):
    site = office["sites"][code]
    with db.write() as cursor:
        insert_inspection(
            cursor,
            Inspection(
                id=f"i-{code}-{day}-{status}-{self_reported}",
                site_id=site.id,
                checklist_id=checklist,
                checklist_version=1,
                checklist_hash="h",
                inspectors=["李娜"],
                started_at=datetime.combine(day, datetime.min.time()) + timedelta(hours=21),
                status=status,
                created_by="test",
                submitted_at=datetime.combine(day, datetime.min.time()) + timedelta(hours=22),
                self_reported=self_reported,
            ),
        )


def tasks_between(db, office, user: str, start: date, end: date):
    from audit.store.plans import tasks_of

    with db.read() as cursor:
        return tasks_of(cursor, start, end, username=user)


def test_a_month_of_tasks_with_an_overlap_and_a_deactivation(db, office):
    add(db, office)  # every day, both 虹桥街道 isolation points
    add(
        db,
        office,
        name="光明商务酒店周一周四复查",
        site_kind=None,
        subdistrict=None,
        site_codes=["CC-ISO-001"],
        team=["wang.qiang"],
        every="weekdays:MON,THU",
    )
    assert service.ensure_tasks(db, date(2026, 3, 14), now=NOW) == 2 * 14
    set_site_active(db, office["admin.one"], office["sites"]["CC-ISO-002"].id, False)
    assert service.ensure_tasks(db, date(2026, 3, 31), now=NOW) == 17  # only CC-ISO-001 from 15 March on
    assert service.ensure_tasks(db, date(2026, 3, 31), now=NOW) == 0  # made once
    li = tasks_between(db, office, "li.na", MARCH, date(2026, 3, 31))
    wang = tasks_between(db, office, "wang.qiang", MARCH, date(2026, 3, 31))
    assert len(li) == 45
    # 2, 5, 9, 12, 16, 19, 23, 26, 30 March: the same tasks, shared by both teams, never made twice.
    assert sorted(row[7].day for row in wang) == [2, 5, 9, 12, 16, 19, 23, 26, 30]
    assert {row[0] for row in wang} <= {row[0] for row in li}
    [plan] = [p for p in service.plans(db, office["zhou.lan"]) if p.name.startswith("光明")]
    set_site_active(db, office["admin.one"], office["sites"]["CC-ISO-001"].id, False)
    assert service.plan_warnings(db, office["zhou.lan"], plan, "zh-CN") == [
        "站点 CC-ISO-001 已停用，不再生成任务。",
        "目前没有符合条件的在用站点，这个计划不会生成任务。",
    ]


def test_a_retired_checklist_stops_yielding_tasks(db, office):
    add(db, office)
    service.ensure_tasks(db, date(2026, 3, 19), now=NOW)
    service.retire_checklist(db, office["admin.one"], "isolation_point", today=date(2026, 3, 20))
    assert service.ensure_tasks(db, date(2026, 3, 31), now=NOW) == 0
    [plan] = service.plans(db, office["zhou.lan"])
    assert "检查表 isolation_point 已停用，不再生成任务。" in service.plan_warnings(
        db, office["zhou.lan"], plan, "zh-CN"
    )
    with pytest.raises(PermissionDenied):
        service.retire_checklist(db, office["li.na"], "isolation_point", today=date(2026, 3, 20))


def test_coverage_agrees_with_a_hand_count(db, office):
    add(db, office)
    inspected(db, office, "CC-ISO-001", date(2026, 3, 2))  # made without a task: still counts
    inspected(db, office, "CC-ISO-001", date(2026, 3, 3))
    inspected(db, office, "CC-ISO-002", date(2026, 3, 4), status="draft")  # not submitted: does not count
    inspected(db, office, "CC-ISO-003", date(2026, 3, 4))  # no plan covers it: not a task
    rows = service.coverage(
        db, office["zhou.lan"], start=MARCH, end=date(2026, 3, 7), by="subdistrict", today=date(2026, 3, 10), now=NOW
    )
    assert [(r.group, r.due, r.done, r.missed) for r in rows] == [("虹桥街道", 14, 2, 12)]
    by_site = {
        r.group: (r.due, r.done)
        for r in service.coverage(
            db, office["zhou.lan"], start=MARCH, end=date(2026, 3, 7), by="site", today=date(2026, 3, 10), now=NOW
        )
    }
    assert by_site == {"光明商务酒店集中隔离点": (7, 2), "虹桥宾馆集中隔离点": (7, 0)}
    csv = (
        service.coverage_bytes(
            db, office["zhou.lan"], start=MARCH, end=date(2026, 3, 2), today=date(2026, 3, 10), now=NOW
        )
        .decode("utf-8-sig")
        .splitlines()
    )
    assert csv[0].startswith('"site_code","checklist_id","due_date","done"')
    assert csv[1].startswith('"CC-ISO-001","isolation_point","2026-03-01","false"')
    assert csv[3].startswith('"CC-ISO-001","isolation_point","2026-03-02","true"')
    assert len(csv) == 5
    with pytest.raises(PermissionDenied):
        service.coverage(db, office["li.na"], start=MARCH, end=MARCH, by="site", today=MARCH, now=NOW)


def test_the_dashboards_coverage_agrees_with_a_hand_count(db, office):
    add(db, office)  # 光明 (CC-ISO-001) and 虹桥宾馆 (CC-ISO-002), every day from 1 March
    add(
        db,
        office,
        name="光明每日一查一报",
        site_kind=None,
        subdistrict=None,
        site_codes=["CC-ISO-001"],
        team=[],
        self_inspection=True,
    )
    for day in (2, 5, 6, 9, 10):
        inspected(db, office, "CC-ISO-001", date(2026, 3, day))
    inspected(db, office, "CC-ISO-002", date(2026, 3, 9))
    inspected(db, office, "CC-ISO-001", date(2026, 3, 11), self_reported=True)  # the unit's, not supervision
    inspected(db, office, "CC-ISO-001", date(2026, 3, 10), self_reported=True)
    today = date(2026, 3, 11)  # a Wednesday: this week is 9 to 11 March
    week = FindingFilter(found_from=date(2026, 3, 5), found_to=today)  # the week before: 26 Feb to 4 March
    board = service.dashboard_coverage(db, office["zhou.lan"], week, today=today, now=NOW, language="zh-CN")
    # Supervision: 2 sites x 7 days due, done 5; before: 2 x 4 days (from 1 March), done 1.
    figures = {f.key: (f.current, f.previous) for f in board.headline}
    assert figures == {
        "coverage_rate": (5 / 14, 1 / 8),
        "visits_missed": (9, 7),
        "self_reports_missed": (5, 4),  # 7 due, done 10 and 11 March; 4 due before, none done
    }
    assert board.due == 14 + 7 and board.week_start == date(2026, 3, 9)
    done = board.over_time[board.over_time["state"] == "done"]
    assert dict(zip(done["period"].dt.day, done["tasks"])) == {5: 1, 6: 1, 7: 0, 8: 0, 9: 2, 10: 1, 11: 0}
    assert set(board.over_time["state_label"]) == {"已完成", "漏查"}
    assert list(zip(board.missed_sites["site"], board.missed_sites["missed"])) == [
        ("虹桥宾馆集中隔离点", 2),
        ("光明商务酒店集中隔离点", 1),
    ]
    assert list(zip(board.missed_self_reports["site"], board.missed_self_reports["missed"])) == [
        ("光明商务酒店集中隔离点", 1)
    ]
    # A tapped site narrows the figures and the chart over time, not the missed-site charts.
    hongqiao = office["sites"]["CC-ISO-002"].id
    narrowed = service.dashboard_coverage(
        db, office["zhou.lan"], week, selected_site=hongqiao, today=today, now=NOW, language="en"
    )
    assert narrowed.figure("visits_missed").current == 6
    assert narrowed.figure("self_reports_missed").current is None  # no self-report is planned there
    assert narrowed.over_time["tasks"].sum() == 7
    assert len(narrowed.missed_sites) == 2 and set(narrowed.over_time["state_label"]) == {"Done", "Missed"}
    elsewhere = replace(week, subdistrict="钟秀街道")
    assert service.dashboard_coverage(db, office["zhou.lan"], elsewhere, today=today, now=NOW).due == 0
    with pytest.raises(PermissionDenied):
        service.dashboard_coverage(db, office["li.na"], week, today=today, now=NOW)


def test_an_inspectors_list_puts_what_is_late_first_and_a_task_starts_in_one_tap(db, office):
    add(db, office)
    inspected(db, office, "CC-ISO-001", date(2026, 3, 9))
    today = date(2026, 3, 10)
    tasks = service.my_tasks(db, office["li.na"], today=today, now=NOW, language="zh-CN")
    shown = [(t.site_name, t.due.day, t.done) for t in tasks]
    assert shown[:2] == [
        ("光明商务酒店集中隔离点", 3, False),
        ("虹桥宾馆集中隔离点", 3, False),
    ]  # the oldest undone first
    assert ("光明商务酒店集中隔离点", 9, True) not in shown  # done on an earlier day: off the list
    assert len(shown) == 2 * 8 - 1
    assert [t for t in tasks if t.due == today and not t.done]
    assert service.my_tasks(db, office["wang.qiang"], today=today, now=NOW, language="zh-CN") == []
    todays = next(t for t in tasks if t.due == today and t.site_name == "光明商务酒店集中隔离点")
    inspection = service.start_task(db, office["li.na"], todays, now=datetime(2026, 3, 10, 9, 0))
    assert (inspection.site_id, inspection.checklist_id) == (todays.site_id, "isolation_point")


def test_an_inspectors_list_marks_done_what_a_direct_count_finds(db, office):
    """The list reads only the range's inspections at the person's sites; inspections written out of time
    order, drafts, other checklists, self-reports, other sites and the days either side change nothing."""
    add(db, office)
    add(db, office, name="钟秀街道社区", site_kind="community", subdistrict="钟秀街道", checklist_ids=["ppe_use"])
    start, end = date(2026, 3, 4), date(2026, 3, 10)
    for code, day, options in (
        ("CC-ISO-001", date(2026, 3, 9), {}),
        ("CC-ISO-002", date(2026, 3, 3), {}),  # the day before the range
        ("CC-ISO-001", date(2026, 3, 11), {}),  # the day after
        ("CC-ISO-002", date(2026, 3, 4), {}),
        ("CC-ISO-002", date(2026, 3, 5), {"status": "draft"}),
        ("CC-ISO-002", date(2026, 3, 6), {"checklist": "fever_clinic"}),
        ("CC-ISO-001", date(2026, 3, 7), {"self_reported": True}),
        ("CC-ISO-001", date(2026, 3, 10), {}),
        ("CC-ISO-001", date(2026, 3, 10), {"status": "draft"}),  # a second, unfinished, on a done day
    ):
        inspected(db, office, code, day, **options)
    service.ensure_tasks(db, end, now=NOW)
    rows = tasks_between(db, office, "li.na", start, end)
    with db.read() as cursor:
        expected = cursor.execute(
            """
            SELECT t.id, EXISTS (SELECT 1 FROM inspections i WHERE i.site_id = t.site_id
                                 AND i.checklist_id = t.checklist_id AND CAST(i.started_at AS DATE) = t.due
                                 AND i.status = 'submitted' AND coalesce(i.self_reported, false) = t.self_inspection)
            FROM tasks t JOIN sites s ON s.id = t.site_id
            WHERE t.due BETWEEN ? AND ? AND list_contains(t.team, 'li.na') AND NOT t.self_inspection
            ORDER BY 2, t.due, s.name_zh, t.checklist_id
            """,
            [start, end],
        ).fetchall()
    assert [(row[0], row[9]) for row in rows] == expected  # the same tasks, done flags and order
    assert len(rows) > 2 * 7 and sum(done for _, done in expected) == 3
    assert {row[5] for row in rows} == {"isolation_point", "ppe_use"}


def test_a_team_is_kept_by_username_so_a_new_display_name_keeps_the_plan(db, office):
    """The form and `--team` take usernames; a display name is what an administrator may change."""
    set_role(db, office["admin.one"], "li.na", "inspector", display_name="李娜")
    with pytest.raises(InvalidInput) as refused:
        add(db, office, team=["李娜"])
    assert refused.value.field == "team"
    plan = add(db, office)
    before = service.my_tasks(db, office["li.na"], today=date(2026, 3, 2), now=NOW, language="zh-CN")
    assert before
    renamed = set_role(db, office["admin.one"], "li.na", "inspector", display_name="李娜（督查一组）")
    assert service.plans(db, office["zhou.lan"])[0].team == plan.team == ("li.na",)
    after = service.my_tasks(db, renamed, today=date(2026, 3, 2), now=NOW, language="zh-CN")
    assert [task.id for task in after] == [task.id for task in before]


def test_an_inspectors_home_reads_their_drafts_and_the_fixes_on_their_own_findings(db, office):
    add(db, office)
    li, wang = office["li.na"], office["wang.qiang"]
    [task, *_] = service.my_tasks(db, li, today=date(2026, 3, 2), now=NOW, language="zh-CN")
    draft = service.start_task(db, li, task, now=datetime(2026, 3, 2, 9, 0))
    site = office["sites"]["CC-ISO-002"].id
    with db.write() as cursor:
        for n, (author, status) in enumerate(((li, "submitted"), (wang, "submitted"), (li, "draft"))):
            insert_inspection(
                cursor,
                Inspection(
                    id=f"by-{author.username}-{n}",
                    site_id=site,
                    checklist_id="isolation_point",
                    checklist_version=1,
                    checklist_hash="h",
                    inspectors=[author.display_name],
                    started_at=datetime(2026, 3, 1, 9, n),
                    status=status,
                    created_by=author.id,
                ),
            )
        for n, (inspection, status) in enumerate(
            (
                ("by-li.na-0", Status.AWAITING_VERIFICATION),
                ("by-wang.qiang-1", Status.AWAITING_VERIFICATION),
                ("by-li.na-0", Status.OPEN),
            )
        ):
            insert_finding(
                cursor, make_finding(f"2026-{n + 1:04d}", site_id=site, inspection_id=inspection, status=status)
            )
    assert [line.id for line in worklist.drafts_to_finish(db, li)] == [draft.id, "by-li.na-2"]  # newest first
    assert [line.number for line in worklist.fixes_to_verify(db, li, language="zh-CN")] == ["2026-0001"]
    assert [line.number for line in worklist.fixes_to_verify(db, wang, language="en")] == ["2026-0002"]
    assert worklist.drafts_to_finish(db, wang) == []


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": " "}, "name"),
        ({"end": date(2026, 2, 1)}, "to"),
        ({"every": "hourly"}, "every"),
        ({"every": "weekdays:MON,FUNDAY"}, "every"),
        ({"every": "monthly:31", "end": date(2026, 3, 30)}, "every"),
        ({"checklist_ids": ["isolaton_point"]}, "checklist"),
        ({"checklist_ids": []}, "checklist"),
        ({"site_codes": ["CC-NOPE-999"], "site_kind": None, "subdistrict": None}, "site"),
        ({"subdistrict": "不存在街道"}, "site"),
        ({"site_kind": "spaceport"}, "site_kind"),
        ({"team": ["nobody"]}, "team"),
        ({"team": ["guangming"]}, "team"),
        ({"team": [], "self_inspection": False}, "team"),
        ({"team": ["li.na"], "self_inspection": True}, "team"),
    ],
)
def test_bad_plans_are_refused_naming_the_field_and_nothing_is_saved(db, office, changes, field):
    with pytest.raises(InvalidInput) as refused:
        add(db, office, **changes)
    assert refused.value.field == field
    assert "{" not in refused.value.text("zh-CN") and "{" not in refused.value.text("en")
    assert service.plans(db, office["zhou.lan"]) == []


def test_only_supervisors_make_plans(db, office):
    with pytest.raises(PermissionDenied):
        service.add_plan(
            db,
            office["li.na"],
            name="x",
            checklist_ids=["isolation_point"],
            site_kind="isolation_point",
            team=["li.na"],
            every="daily",
            start=MARCH,
            end=MARCH,
            now=NOW,
        )


def test_the_command_line_adds_a_plan_and_writes_coverage(db_path, tmp_path):
    from click.testing import CliRunner

    from audit.cli import cli
    from audit.store import open_database

    database = open_database(db_path)
    sync_checklists(database, ROOT / "checklists")
    import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
    add_user(database, None, username="li.na", role="inspector", password=generate_password())
    database.close()
    runner = CliRunner()
    common = ["--db", str(db_path)]
    result = runner.invoke(
        cli,
        [
            "plan",
            "add",
            "--name",
            "隔离点每日督查",
            "--checklist",
            "isolation_point",
            "--site-kind",
            "isolation_point",
            "--subdistrict",
            "虹桥街道",
            "--every",
            "daily",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--team",
            "li.na",
            *common,
        ],
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "coverage.csv"
    result = runner.invoke(cli, ["coverage", "--from", "2026-03-01", "--to", "2026-03-03", "--out", str(out), *common])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 2 * 3 and all(line.split(",")[3] == '"false"' for line in lines[1:])
    good = ["--every", "daily", "--from", "2026-03-01", "--to", "2026-03-31"]
    for wrong, words in (
        (["--every", "fortnightly", "--team", "li.na"], "not understood"),
        (["--team", "ghost"], "'ghost'"),
        (["--self", "--team", "li.na"], "one of the two"),
        (["--from", "2026-13-01", "--team", "li.na"], "--from"),
    ):
        result = runner.invoke(
            cli,
            [
                "plan",
                "add",
                "--name",
                "x",
                "--checklist",
                "isolation_point",
                "--site",
                "CC-ISO-001",
                *good,
                *wrong,
                *common,
            ],
        )
        assert result.exit_code == 1 and words in result.output and "Traceback" not in result.output, result.output

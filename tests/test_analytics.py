"""Dashboard figures and chart rows against counts worked out by hand on a small district.

Three sites, two checklists, nine findings in two 30-day periods (and two outside both).
Dates are relative to `today` so the page tests can use the same data with the real date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from audit import analytics
from audit.analytics import Filters
from audit.errors import PermissionDenied
from audit.model import (Checklist, Item, ResponseType, Role, Section, Severity, SiteKind, Status, Text, User,
                         new_id, overdue_colour)
from audit.store import analytics as store
from audit.store.checklists import register
from audit.store.demo import insert_table
from audit.store.findings import insert_finding
from audit.store.sites import COLUMNS, import_sites, list_sites
from tests.conftest import store_accounts
from tests.test_store import make_finding

TODAY = date(2026, 3, 31)
SUPERVISOR = User("u-sup", "zuzhang", "督查组长", Role.SUPERVISOR)
HOSPITAL_UNIT = "市中医院"
UNIT = User("u-unit", "zhongyiyuan", "市中医院", Role.UNIT, unit=HOSPITAL_UNIT)

SITES = {
    "A": ("虹桥宾馆集中隔离点", "Hongqiao Hotel isolation point", "isolation_point", "虹桥街道", "Hongqiao", "光明社区", "Guangming"),
    "B": ("市中医院发热门诊", "City TCM hospital fever clinic", "fever_clinic", "钟秀街道", "Zhongxiu", "小西村社区", "Xiaoxicun"),
    "C": ("=光明社区居委会", "=Guangming community office", "community", "虹桥街道", "Hongqiao", "光明社区", "Guangming"),
}
UNITS = {"A": "虹桥宾馆专班", "B": HOSPITAL_UNIT, "C": "光明社区居委会"}


def _item(item_id: str, zh: str, en: str, severity=Severity.MAJOR) -> Item:
    return Item(item_id, Text(zh, en), severity, ResponseType.PASS_FAIL)


def _checklist(checklist_id: str, version: int, title: Text, items: list[Item]) -> Checklist:
    return Checklist(checklist_id, version, title, tuple(SiteKind), (Section("s1", title, tuple(items)),),
                     content_hash=f"{checklist_id}-{version}")


CHECKLISTS = [
    _checklist("transfer", 1, Text("规范转运", "Quarantine transfer"), [
        _item("T-01", "工作人员与拟隔离人员同车（旧）", "Staff rode with people to be isolated (old)"),
        _item("T-02", "未填写集中隔离信息单", "Centralised isolation form not filled in")]),
    # Version 2 rewords T-01 and drops T-02: old findings keep a name, T-01 shows the new words.
    _checklist("transfer", 2, Text("规范转运", "Quarantine transfer"), [
        _item("T-01", "工作人员不得与拟隔离人员同车", "Staff do not ride with people to be isolated")]),
    _checklist("ppe", 1, Text("个人防护", "PPE use"), [
        _item("P-01", "仅戴一层普通口罩", "A single ordinary mask only")]),
]


def _site_rows() -> list[dict]:
    rows = []
    for code, (name_zh, name_en, kind, sub_zh, sub_en, com_zh, com_en) in SITES.items():
        values = [code, name_zh, name_en, kind, "崇川区", "Chongchuan", sub_zh, sub_en, com_zh, com_en,
                  UNITS[code], UNITS[code]]
        rows.append(dict(zip(COLUMNS, values)))
    return rows


def _at(today: date, days_ago: int, hour: int = 9) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour))


# (key, site, checklist, item, severity, found days ago, deadline days ago, status,
#  closed (days ago, hour), repeat of); findings are found at 09:00

FINDINGS = [
    ("1", "A", "transfer", "T-01", "critical", 26, 25, "closed", (24, 21), None),
    ("2", "A", "transfer", "T-01", "major", 11, 8, "open", None, "1"),
    ("3", "A", "ppe", "P-01", "minor", 3, -4, "open", None, None),
    ("4", "B", "transfer", "T-02", "major", 2, -1, "open", None, None),
    ("5", "B", "ppe", "P-01", "critical", 6, 5, "awaiting_verification", None, None),
    ("6", "C", "transfer", "T-01", "minor", 21, 14, "closed", (11, 9), None),
    ("7", "A", "transfer", "T-01", "critical", 1, 0, "open", None, "2"),
    ("8", "A", "transfer", "T-02", "major", 49, 46, "closed", (48, 9), None),
    ("9", "B", "ppe", "P-01", "minor", 39, 32, "open", None, None),
    ("10", "C", "transfer", "T-01", "minor", 80, 73, "open", None, None),
    ("11", "A", "ppe", "P-01", "minor", -1, -8, "open", None, None),
]


def _inspections(today: date, site: dict[str, str]) -> pa.Table:
    rows = [("I1", "A", "transfer", 26, "submitted"), ("I2", "B", "ppe", 6, "submitted"),
            ("I3", "A", "transfer", 49, "submitted"), ("I4", "C", "transfer", 21, "draft")]
    return pa.table({
        "id": [r[0] for r in rows], "site_id": [site[r[1]] for r in rows], "checklist_id": [r[2] for r in rows],
        "checklist_version": [1] * 4, "checklist_hash": ["h"] * 4, "inspectors": [["陈明"]] * 4,
        "started_at": [_at(today, r[3], 8) for r in rows], "status": [r[4] for r in rows],
        "created_by": ["陈明"] * 4,
    })


def build_district(database, today: date) -> dict[str, str]:
    """Sites, checklists, inspections and findings; returns site code -> id and finding key -> id."""
    ids = {key: new_id() for key, *_ in FINDINGS}
    store_accounts(database, SUPERVISOR, UNIT)
    with database.write() as cursor:
        import_sites(cursor, _site_rows(), actor="test")
        site = {s.code: s.id for s in list_sites(cursor)}
        for checklist in CHECKLISTS:
            register(cursor, checklist, None)
        insert_table(cursor, "inspections", _inspections(today, site))
        for number, (key, code, checklist, item, severity, found, due, status, closed, repeat) in enumerate(FINDINGS, 1):
            insert_finding(cursor, make_finding(
                f"{today.year}-{number:04d}", id=ids[key], site_id=site[code], checklist_id=checklist, item_id=item,
                severity=Severity(severity), found_at=_at(today, found), deadline=today - timedelta(days=due),
                status=Status(status), closed_at=None if closed is None else _at(today, *closed),
                responsible_unit=UNITS[code], repeat_of=[ids[repeat]] if repeat else [],
                inspection_id="I2" if key == "5" else None))
    return {**site, **ids}


@pytest.fixture(autouse=True)
def stored_accounts(db):
    store_accounts(db, SUPERVISOR, UNIT)


@pytest.fixture
def district(db):
    return build_district(db, TODAY)


MONTH = Filters(start=TODAY - timedelta(days=29), end=TODAY)


def board(db, filters=MONTH, actor=SUPERVISOR, **options):
    return analytics.dashboard(db, actor, filters, today=TODAY, **options)


def figures(result) -> dict[str, tuple]:
    return {f.key: (f.current, f.previous) for f in result.headline}


def test_filters_compare_with_the_period_of_the_same_length_before():
    assert MONTH.days == 30
    assert MONTH.previous_start == date(2026, 1, 31)
    assert Filters.last_days(TODAY) == Filters(start=date(2026, 1, 1), end=TODAY)


@pytest.mark.parametrize("days, grain", [(1, "day"), (31, "day"), (32, "week"), (183, "week"), (184, "month")])
def test_the_time_grain_follows_the_length_of_the_range(days, grain):
    assert Filters(start=TODAY - timedelta(days=days - 1), end=TODAY).grain == grain


def test_headline_figures_and_their_change(db, district):
    result = figures(board(db))
    assert result["inspections"] == (2, 1)
    assert result["findings"] == (7, 2)
    assert result["open"] == (5, 1)
    assert result["overdue"] == (2, 1)
    assert result["closure_rate"] == pytest.approx((2 / 7, 1 / 2))
    assert result["median_days_to_close"] == pytest.approx(((2.5 + 10) / 2, 1.0))
    assert result["repeat_rate"] == pytest.approx((2 / 7, 0.0))
    changes = {f.key: f.change for f in board(db).headline}
    assert changes["findings"] == 5 and changes["median_days_to_close"] == pytest.approx(5.25)


def test_which_direction_is_good_for_each_figure(db, district):
    better = {f.key: f.higher_is_better for f in board(db).headline}
    assert better == {"inspections": True, "findings": False, "open": False, "overdue": False,
                      "closure_rate": True, "median_days_to_close": False, "repeat_rate": False}


def test_overdue_ageing_buckets_as_of_today(db, district):
    ageing = board(db).ageing
    counts = {(r.status, r.ageing): r.findings for r in ageing.itertuples()}
    assert counts == {("closed", "closed"): 2, ("open", "red"): 1, ("open", "none"): 1, ("open", "blue"): 2,
                      ("awaiting_verification", "yellow"): 1}
    assert set(ageing["ageing_label"]) >= {"逾期超过7天", "2天内到期"}


@pytest.mark.parametrize("late", range(-5, 11))
def test_the_sql_ageing_rule_is_the_model_rule(db, late):
    deadline = TODAY - timedelta(days=late)
    with db.write() as cursor:
        insert_finding(cursor, make_finding("2026-0001", deadline=deadline, found_at=_at(TODAY, 20)))
    rows = analytics.findings_page(db, SUPERVISOR, MONTH, today=TODAY).rows
    assert rows["ageing"].tolist() == [overdue_colour(deadline, Status.OPEN, TODAY).value]


def test_findings_by_site_folds_the_rest_into_others(db, district):
    with db.read() as cursor:
        scope = store.Scope(start=_at(TODAY, 29, 0), end=_at(TODAY, -1, 0))
        rows = store.findings_by_site(cursor, scope, "zh", top=1).fillna({"site": "rest"})
    table = {(r.site, r.severity): r.findings for r in rows.itertuples()}
    assert table == {("虹桥宾馆集中隔离点", "critical"): 2, ("虹桥宾馆集中隔离点", "major"): 1,
                     ("虹桥宾馆集中隔离点", "minor"): 1, ("rest", "critical"): 1, ("rest", "major"): 1, ("rest", "minor"): 1}


def test_site_chart_names_others_in_the_ui_language(db, district):
    with_all = board(db, language="en").by_site
    assert set(with_all["site"]) == {"Hongqiao Hotel isolation point", "City TCM hospital fever clinic",
                                     "=Guangming community office"}
    assert with_all.groupby("site")["findings"].sum().to_dict()["Hongqiao Hotel isolation point"] == 4


def test_findings_over_time_by_day_and_checklist(db, district):
    rows = board(db, language="en").over_time
    assert rows["findings"].sum() == 7
    day = rows[rows["period"] == pd.Timestamp(TODAY - timedelta(days=26))]
    assert day[["checklist", "findings"]].values.tolist() == [["Quarantine transfer", 1]]


def test_site_by_checklist_matrix(db, district):
    rows = board(db).site_checklist
    cells = {(r.site, r.checklist): r.findings for r in rows.itertuples()}
    assert cells == {("虹桥宾馆集中隔离点", "规范转运"): 3, ("虹桥宾馆集中隔离点", "个人防护"): 1,
                     ("市中医院发热门诊", "规范转运"): 1, ("市中医院发热门诊", "个人防护"): 1,
                     ("=光明社区居委会", "规范转运"): 1}


def test_time_to_close_buckets(db, district):
    rows = board(db, language="en").time_to_close
    assert rows[["bucket_label", "findings"]].values.tolist() == [["1–3 days", 1], ["7–14 days", 1]]


def test_failing_items_use_the_newest_wording_and_keep_dropped_items_named(db, district):
    rows = board(db).failing_items
    assert rows[["item", "findings", "repeats"]].values.tolist() == [
        ["工作人员不得与拟隔离人员同车", 4, 2], ["仅戴一层普通口罩", 2, 0], ["未填写集中隔离信息单", 1, 0]]


def test_repeat_offenders(db, district):
    rows = board(db, language="en").repeat_offenders
    assert rows[["site", "item", "repeats"]].values.tolist() == [
        ["Hongqiao Hotel isolation point", "Staff do not ride with people to be isolated", 2]]


@pytest.mark.parametrize("change, findings", [
    ({"subdistrict": "虹桥街道"}, 5), ({"community": "小西村社区"}, 2), ({"site_kind": "fever_clinic"}, 2),
    ({"checklist_id": "ppe"}, 2), ({"severities": ("critical",)}, 3), ({"statuses": ("open",)}, 4),
    ({"severities": ("critical", "minor"), "statuses": ("closed",)}, 2),
])
def test_filters_narrow_every_figure(db, district, change, findings):
    result = board(db, replace(MONTH, **change))
    assert result.figure("findings").current == findings
    assert result.by_site["findings"].sum() == findings
    assert result.over_time["findings"].sum() == findings
    assert result.ageing["findings"].sum() == findings


def test_a_selected_site_narrows_everything_but_the_site_chart(db, district):
    result = board(db, selected_site=district["B"])
    assert result.figure("findings").current == 2
    assert result.figure("inspections").current == 1
    assert result.by_site["findings"].sum() == 7
    assert set(result.site_checklist["site"]) == {"市中医院发热门诊"}
    page = analytics.findings_page(db, SUPERVISOR, MONTH, selected_site=district["B"], today=TODAY)
    assert set(page.rows["site"]) == {"市中医院发热门诊"} and page.total == 2


def test_a_unit_sees_only_its_own_findings(db, district):
    result = board(db, actor=UNIT)
    assert figures(result)["findings"] == (2, 1)
    assert figures(result)["inspections"] == (1, 0)
    assert set(result.by_site["site"]) == {"市中医院发热门诊"}
    page = analytics.findings_page(db, UNIT, MONTH, today=TODAY)
    assert set(page.rows["responsible_unit"]) == {HOSPITAL_UNIT}
    # Choosing another site in the filters cannot widen what a unit sees.
    assert board(db, replace(MONTH, site_id=district["A"]), actor=UNIT).empty


def test_accounts_without_the_dashboard_are_refused(db, district):
    inspector = User("u-i", "chenming", "陈明", Role.INSPECTOR)
    with pytest.raises(PermissionDenied):
        board(db, actor=inspector)
    with pytest.raises(PermissionDenied):
        analytics.findings_page(db, inspector, MONTH)
    with pytest.raises(PermissionDenied):
        board(db, actor=User("u-u", "nounit", "无单位", Role.UNIT, unit=None))


def test_an_empty_range_is_empty_not_an_error(db, district):
    result = board(db, Filters(start=date(2025, 1, 1), end=date(2025, 1, 31)))
    assert result.empty
    assert figures(result)["closure_rate"] == (None, None)
    assert figures(result)["median_days_to_close"] == (None, None)
    assert all(frame.empty for frame in (result.by_site, result.over_time, result.site_checklist, result.ageing,
                                         result.time_to_close, result.failing_items, result.repeat_offenders))


def test_findings_page_is_newest_first_and_paged(db, district):
    pages = [analytics.findings_page(db, SUPERVISOR, MONTH, page=n, page_size=3, today=TODAY) for n in (1, 2, 3, 9)]
    assert [p.total for p in pages] == [7, 7, 7, 7] and pages[0].pages == 3
    numbers = [n for p in pages[:3] for n in p.rows["number"]]
    assert numbers == ["2026-0007", "2026-0004", "2026-0003", "2026-0005", "2026-0002", "2026-0006", "2026-0001"]
    assert pages[3].page == 3 and pages[3].rows["number"].tolist() == pages[2].rows["number"].tolist()
    assert pages[0].rows.loc[0, "id"] == district["7"]
    assert pages[0].rows.loc[0, "status_label"] == "待整改"


def test_data_version_moves_with_every_change(db, district):
    first = analytics.data_version(db)
    assert analytics.data_version(db) == first
    with db.write() as cursor:
        insert_finding(cursor, make_finding("2026-0100", found_at=_at(TODAY, 2)))
    second = analytics.data_version(db)
    assert second != first
    with db.write() as cursor:  # a bulk change that neither logs nor bumps versions
        cursor.execute("UPDATE findings SET status = 'closed' WHERE number = '2026-0100'")
    assert analytics.data_version(db) != second


def test_chart_csv_opens_in_excel(db, district):
    data = analytics.csv_bytes(board(db).by_site)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "地点,严重程度,问题数"
    assert "'=光明社区居委会,一般,1" in lines
    english = analytics.csv_bytes(board(db, language="en").time_to_close, "en").decode("utf-8-sig")
    assert english.splitlines() == ["Time to close,Findings", "1–3 days,1", "7–14 days,1"]


def test_filter_choices_narrow_with_the_place(db, district):
    choices = analytics.filter_choices(db, SUPERVISOR, "en")
    assert choices.subdistricts() == {"虹桥街道": "Hongqiao", "钟秀街道": "Zhongxiu"}
    assert choices.communities("钟秀街道") == {"小西村社区": "Xiaoxicun"}
    assert set(choices.site_names("虹桥街道")) == {district["A"], district["C"]}
    assert choices.site_names("虹桥街道", kind="community") == {district["C"]: "=Guangming community office"}
    assert choices.checklist_titles() == {"ppe": "PPE use", "transfer": "Quarantine transfer"}
    assert choices.site_kinds == ("community", "fever_clinic", "isolation_point")

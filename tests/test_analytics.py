"""Dashboard figures and chart rows against counts worked out by hand on a small district.

Three sites, two checklists, nine findings in two 30-day periods (and two outside both).
Dates are relative to `today` so the page tests can use the same data with the real date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from audit.errors import PermissionDenied
from audit.model import FindingFilter, Role, Severity, SiteKind, Status, User, overdue_colour
from audit.services import dashboard as analytics
from audit.services import ledger
from audit.store import analytics as store
from audit.store import open_database
from audit.store.findings import insert_finding
from tests.factories import DISTRICT_MONTH as MONTH
from tests.factories import DISTRICT_SUPERVISOR as SUPERVISOR
from tests.factories import DISTRICT_TODAY as TODAY
from tests.factories import HOSPITAL_ACCOUNT as UNIT
from tests.factories import HOSPITAL_UNIT, build_district, make_finding, store_accounts
from tests.factories import at_day as _at

# (key, site, checklist, item, severity, found days ago, deadline days ago, status,
#  closed (days ago, hour), repeat of); findings are found at 09:00


@pytest.fixture(autouse=True)
def stored_accounts(db):
    store_accounts(db, SUPERVISOR, UNIT)


@pytest.fixture
def district(db):
    return build_district(db, TODAY)


def board(db, filters=MONTH, actor=SUPERVISOR, **options):
    return analytics.dashboard(db, actor, filters, today=TODAY, **options)


def figures(result) -> dict[str, tuple]:
    return {f.key: (f.current, f.previous) for f in result.headline}


def test_filters_compare_with_the_period_of_the_same_length_before():
    assert MONTH.days == 30
    assert MONTH.previous_start == date(2026, 1, 31)
    assert FindingFilter.last_days(TODAY) == FindingFilter(found_from=date(2026, 1, 1), found_to=TODAY)


@pytest.mark.parametrize("days, grain", [(1, "day"), (31, "day"), (32, "week"), (183, "week"), (184, "month")])
def test_the_time_grain_follows_the_length_of_the_range(days, grain):
    assert FindingFilter(found_from=TODAY - timedelta(days=days - 1), found_to=TODAY).grain == grain


@pytest.mark.parametrize(
    "start, tapped, narrowed",
    [
        (date(2026, 3, 2), date(2026, 3, 10), (date(2026, 3, 10), date(2026, 3, 10))),  # days: that day
        (date(2026, 1, 1), date(2026, 2, 2), (date(2026, 2, 2), date(2026, 2, 8))),  # weeks: Monday to Sunday
        (date(2026, 1, 1), date(2025, 12, 29), (date(2026, 1, 1), date(2026, 1, 4))),  # the first week, cut
        (date(2026, 1, 1), date(2026, 3, 30), (date(2026, 3, 30), date(2026, 3, 31))),  # this week, to today
        (date(2025, 4, 1), date(2026, 2, 1), (date(2026, 2, 1), date(2026, 2, 28))),  # months: the whole month
        (date(2025, 4, 1), date(2026, 3, 1), (date(2026, 3, 1), date(2026, 3, 31))),
    ],
)
def test_a_tapped_period_narrows_the_filters_within_their_range(start, tapped, narrowed):
    filters = FindingFilter(found_from=start, found_to=date(2026, 3, 31), site="A")
    assert filters.narrowed_to(tapped) == replace(filters, found_from=narrowed[0], found_to=narrowed[1])


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
    assert better == {
        "inspections": True,
        "findings": False,
        "open": False,
        "overdue": False,
        "closure_rate": True,
        "median_days_to_close": False,
        "repeat_rate": False,
    }


def test_overdue_ageing_buckets_as_of_today(db, district):
    ageing = board(db).ageing
    counts = {(r.status, r.ageing): r.findings for r in ageing.itertuples()}
    assert counts == {
        ("closed", "closed"): 2,
        ("open", "red"): 1,
        ("open", "none"): 1,
        ("open", "blue"): 2,
        ("awaiting_verification", "yellow"): 1,
    }
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
        rows = store.findings_by_site(cursor, MONTH, "zh", store.top_sites(cursor, MONTH, 1)).fillna({"site": "rest"})
    table = {(r.site, r.severity): r.findings for r in rows.itertuples()}
    assert table == {
        ("虹桥宾馆集中隔离点", "critical"): 2,
        ("虹桥宾馆集中隔离点", "major"): 1,
        ("虹桥宾馆集中隔离点", "minor"): 1,
        ("rest", "critical"): 1,
        ("rest", "major"): 1,
        ("rest", "minor"): 1,
    }


def test_the_site_charts_rank_the_same_sites_most_findings_first_then_by_id(db, district):
    majors = replace(MONTH, severities=(Severity.MAJOR,))  # one each at A and B
    with db.read() as cursor:
        assert store.top_sites(cursor, MONTH, 3) == [district["A"], district["B"], district["C"]]  # 4, 2, 1
        assert store.top_sites(cursor, majors, 3) == sorted((district["A"], district["B"]))
    for result in (board(db), board(db, majors)):
        ranked = result.by_site.dropna(subset=["site_id"]).drop_duplicates("site_id")["site_id"].tolist()
        assert result.site_checklist.drop_duplicates("site_id")["site_id"].tolist() == ranked
    assert ranked == sorted((district["A"], district["B"]))


def test_site_chart_names_others_in_the_ui_language(db, district):
    with_all = board(db, language="en").by_site
    assert set(with_all["site"]) == {
        "Hongqiao Hotel isolation point",
        "City TCM hospital fever clinic",
        "=Guangming community office",
    }
    assert with_all.groupby("site")["findings"].sum().to_dict()["Hongqiao Hotel isolation point"] == 4


def test_findings_over_time_by_day_and_checklist(db, district):
    rows = board(db, language="en").over_time
    assert rows["findings"].sum() == 7
    day = rows[rows["period"] == pd.Timestamp(TODAY - timedelta(days=26))]
    assert day[["checklist", "findings"]].values.tolist() == [["Quarantine transfer", 1]]


def test_site_by_checklist_matrix(db, district):
    rows = board(db).site_checklist
    cells = {(r.site, r.checklist): r.findings for r in rows.itertuples()}
    assert cells == {
        ("虹桥宾馆集中隔离点", "规范转运"): 3,
        ("虹桥宾馆集中隔离点", "个人防护"): 1,
        ("市中医院发热门诊", "规范转运"): 1,
        ("市中医院发热门诊", "个人防护"): 1,
        ("=光明社区居委会", "规范转运"): 1,
    }


def test_time_to_close_buckets(db, district):
    rows = board(db, language="en").time_to_close
    assert rows[["bucket_label", "findings"]].values.tolist() == [["1–3 days", 1], ["7–14 days", 1]]


def test_failing_items_use_the_newest_wording_and_keep_dropped_items_named(db, district):
    rows = board(db).failing_items
    assert rows[["item", "findings", "repeats"]].values.tolist() == [
        ["工作人员不得与拟隔离人员同车", 4, 2],
        ["仅戴一层普通口罩", 2, 0],
        ["未填写集中隔离信息单", 1, 0],
    ]


def test_repeat_offenders(db, district):
    rows = board(db, language="en").repeat_offenders
    assert rows[["site", "item", "repeats"]].values.tolist() == [
        ["Hongqiao Hotel isolation point", "Staff do not ride with people to be isolated", 2]
    ]


@pytest.mark.parametrize(
    "change, findings",
    [
        ({"subdistrict": "虹桥街道"}, 5),
        ({"subdistrict": "Hongqiao"}, 5),
        ({"community": "Xiaoxicun"}, 2),
        ({"community": "小西村社区"}, 2),
        ({"site_kind": SiteKind.FEVER_CLINIC}, 2),
        ({"checklist": "ppe"}, 2),
        ({"severities": (Severity.CRITICAL,)}, 3),
        ({"statuses": (Status.OPEN,)}, 4),
        ({"severities": (Severity.CRITICAL, Severity.MINOR), "statuses": (Status.CLOSED,)}, 2),
    ],
)
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
    assert board(db, replace(MONTH, site=district["A"]), actor=UNIT).empty


def test_accounts_without_the_dashboard_are_refused(db, district):
    inspector = User("u-i", "chenming", "陈明", Role.INSPECTOR)
    with pytest.raises(PermissionDenied):
        board(db, actor=inspector)
    with pytest.raises(PermissionDenied):
        analytics.findings_page(db, inspector, MONTH)
    with pytest.raises(PermissionDenied):
        board(db, actor=User("u-u", "nounit", "无单位", Role.UNIT, unit=None))


def test_an_empty_range_is_empty_not_an_error(db, district):
    result = board(db, FindingFilter(found_from=date(2025, 1, 1), found_to=date(2025, 1, 31)))
    assert result.empty
    assert figures(result)["closure_rate"] == (None, None)
    assert figures(result)["median_days_to_close"] == (None, None)
    assert all(
        frame.empty
        for frame in (
            result.by_site,
            result.over_time,
            result.site_checklist,
            result.ageing,
            result.time_to_close,
            result.failing_items,
            result.repeat_offenders,
        )
    )


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
    assert analytics.data_version(db) not in (first, second)


def test_an_edit_made_while_the_app_was_stopped_shows_on_the_next_start(db_path, db, district):
    before, version = board(db), analytics.data_version(db)
    db.close()
    with duckdb.connect(str(db_path)) as outside:  # behind the app's back: no log, no version bumped
        outside.execute("UPDATE findings SET status = 'closed', closed_at = found_at WHERE status <> 'closed'")
    again = open_database(db_path)
    try:
        assert analytics.data_version(again) != version
        assert figures(board(again))["open"] == (0, 0) != figures(before)["open"]
    finally:
        again.close()


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


@pytest.mark.parametrize(
    "place",
    [
        {"subdistrict": "虹桥街道"},
        {"subdistrict": "Hongqiao"},
        {"community": "光明社区"},
        {"community": "Guangming"},
        {"site": "Hongqiao Hotel isolation point"},
    ],
)
def test_the_ledger_and_the_dashboard_count_the_same_findings_for_a_place(db, district, place):
    """One filter, one matching rule: a place chosen in either language finds the same findings in both."""
    flt = replace(MONTH, **place)
    assert board(db, flt).figure("findings").current == ledger.ledger_page(db, SUPERVISOR, flt, today=TODAY).total

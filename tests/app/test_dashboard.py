"""The dashboard page in AppTest: filters, a tapped site, a unit's scope, paging and the empty range."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pyarrow as pa
import pytest

from audit.services import plans
from audit.store import open_database
from audit.store.findings import insert_finding
from audit.store.inspections import Inspection, insert_inspection
from audit.ui.session import database
from tests.factories import DISTRICT_SUPERVISOR as SUPERVISOR
from tests.factories import HOSPITAL_ACCOUNT as UNIT
from tests.factories import HOSPITAL_UNIT, build_district, make_finding

PAGE = "audit/ui/dashboard.py"
# the session key of the tapped site; the page module is a script, so importing it would run the page
SELECTED_SITE = "dashboard.selected_site"
SELECTED_PERIOD = "dashboard.selected_period"  # the tapped bar of coverage over time: its day, in which range


def seed(db_path, extra: int = 0) -> dict[str, str]:
    district = open_database(db_path)
    ids = build_district(district, date.today())
    with district.write() as cursor:
        for n in range(extra):
            insert_finding(
                cursor,
                make_finding(f"2000-{n:04d}", site_id=ids["C"], found_at=found_minutes_apart(n), deadline=date.today()),
            )
    district.close()
    return ids


def found_minutes_apart(n: int) -> datetime:
    return datetime.combine(date.today() - timedelta(days=15), time(8)) + timedelta(minutes=n)


def open_dashboard(make_app, signed_in, language=None, role="supervisor", period="30"):
    app = make_app(language)
    signed_in(app, UNIT if role == "unit" else SUPERVISOR)
    app.run()
    app.switch_page(PAGE).run()
    if period:
        app.segmented_control(key="dashboard.period").set_value(period).run()
    assert not app.exception, app.exception
    return app


def metrics(app) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in app.metric}


def charts(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def test_the_page_shows_figures_charts_and_findings(make_app, app_db, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in)
    assert app.title[0].value == "督查问题趋势看板"
    assert [m.value for m in app.markdown] == []  # nothing stray, such as a bare string drawn by magic
    figures = metrics(app)
    assert figures["发现问题"] == ("7", "+5")
    assert figures["检查次数"] == ("2", "+1")
    assert figures["逾期未改"] == ("2", "+1")
    assert figures["销号率"][0] == "28.6%"
    assert figures["整改用时中位数"] == ("6.2 天", "+5.2 天")
    assert len(charts(app)) == 7
    assert len(app.get("download_button")) == 7
    table = app.dataframe[0].value
    assert len(table) == 7
    assert table["link"].str.startswith("finding?id=").all()


def test_filters_apply_to_the_whole_page(make_app, app_db, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in)
    app.selectbox(key="dashboard.subdistrict").set_value("虹桥街道").run()
    assert metrics(app)["发现问题"][0] == "5"
    assert len(app.dataframe[0].value) == 5
    app.pills(key="dashboard.severity").set_value(["critical"]).run()
    assert metrics(app)["发现问题"][0] == "2"
    assert app.expander[0].label == "筛选（已设 2 项）"


def test_place_choices_narrow_as_the_place_narrows(make_app, app_db, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in)
    app.selectbox(key="dashboard.community").set_value("光明社区").run()
    assert metrics(app)["发现问题"][0] == "5"
    app.selectbox(key="dashboard.subdistrict").set_value("钟秀街道").run()
    community = app.selectbox(key="dashboard.community")
    assert community.options == ["全部", "小西村社区"] and community.value is None
    assert app.selectbox(key="dashboard.site").options == ["全部", "市中医院发热门诊"]
    assert metrics(app)["发现问题"][0] == "2"


def test_a_tapped_site_narrows_the_rest_of_the_page(make_app, app_db, signed_in):
    ids = seed(app_db)
    app = open_dashboard(make_app, signed_in)
    # What the chart's selection callback stores when a bar is tapped (AppTest cannot tap Vega charts).
    app.session_state[SELECTED_SITE] = ids["B"]
    app.run()
    assert metrics(app)["发现问题"][0] == "2"
    assert any("已选地点：市中医院发热门诊" in m.value for m in app.text)
    # The site chart still offers every site, with the tapped one highlighted.
    assert [p.get("value") for p in charts(app)[0]["params"]] == [[{"site_id": ids["B"]}]]
    assert set(app.dataframe[0].value["site"]) == {"市中医院发热门诊"}
    app.button(key="dashboard.clear").click().run()
    assert metrics(app)["发现问题"][0] == "7"


def test_a_unit_sees_only_its_own_findings(make_app, app_db, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in, role="unit")
    assert metrics(app)["发现问题"] == ("2", "+1")
    assert any(HOSPITAL_UNIT in line.value for line in app.text)
    assert set(app.dataframe[0].value["responsible_unit"]) == {HOSPITAL_UNIT}


def test_paging_through_the_findings(make_app, app_db, signed_in):
    seed(app_db, extra=30)
    app = open_dashboard(make_app, signed_in)
    assert len(app.dataframe[0].value) == 25
    assert any("共 37 条，第 1 / 2 页" in c.value for c in app.caption)
    app.button(key="dashboard.next").click().run()
    assert len(app.dataframe[0].value) == 12
    assert any("第 2 / 2 页" in c.value for c in app.caption)
    app.selectbox(key="dashboard.site_kind").set_value("fever_clinic").run()
    assert any("共 2 条，第 1 / 1 页" in c.value for c in app.caption)


@pytest.mark.parametrize("language, text", [("zh-CN", "没有检查记录"), ("en", "No inspections and no findings")])
def test_an_empty_range_says_so_plainly(make_app, app_db, language, text, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in, language, period="custom")
    app.date_input(key="dashboard.dates").set_value((date(2020, 1, 1), date(2020, 1, 31))).run()
    assert not app.exception
    assert text in app.info[0].value
    assert app.metric == [] or len(app.metric) == 0
    assert charts(app) == []


def test_the_page_speaks_english(make_app, app_db, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in, "en")
    assert app.title[0].value == "Inspection trends"
    assert metrics(app)["Findings"] == ("7", "+5")
    assert "Findings by site" in json.dumps(charts(app)[0], ensure_ascii=False)


def test_new_findings_show_without_a_restart(make_app, app_db, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in)
    assert metrics(app)["发现问题"][0] == "7"
    with database().write() as cursor:  # the app's own connection: the file is held by it
        insert_finding(cursor, make_finding("2026-9999", found_at=found_minutes_apart(0)))
    app.run()
    assert metrics(app)["发现问题"][0] == "8"


def test_accounts_without_the_dashboard_do_not_get_the_page(make_app, app_db, signed_in):
    app = make_app()
    signed_in(app, "inspector", username="chenming", display_name="陈明")
    app.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(PAGE)


def seed_plans(db_path) -> dict[str, str]:
    """The district with two planned daily visits (A and C) and B's daily self-report, over the last ten
    days and beyond; one visit was made, to A yesterday."""
    ids = seed(db_path)
    district = open_database(db_path)
    today, now = date.today(), datetime.now()
    common = dict(
        checklist_ids=["ppe"], every="daily", start=today - timedelta(days=9), end=today + timedelta(days=10), now=now
    )
    plans.add_plan(district, SUPERVISOR, name="每日督查", site_codes=["A", "C"], team=["zuzhang"], **common)
    plans.add_plan(district, SUPERVISOR, name="每日一查一报", site_codes=["B"], self_inspection=True, **common)
    yesterday = datetime.combine(today - timedelta(days=1), time(10))
    with district.write() as cursor:
        insert_inspection(
            cursor,
            Inspection(
                id="visit",
                site_id=ids["A"],
                checklist_id="ppe",
                checklist_version=1,
                checklist_hash="h",
                inspectors=["督查组长"],
                started_at=yesterday,
                status="submitted",
                created_by="zuzhang",
                submitted_at=yesterday,
            ),
        )
    district.close()
    return ids


def chart_rows(app, title: str) -> list[dict]:
    """The rows the page sent to the browser for the chart with this title."""
    [chart] = [
        chart
        for chart in app.get("vega_lite_chart")
        if json.loads(chart.proto.spec).get("title", {}).get("text") == title
    ]
    return [row for data in chart.proto.datasets for row in pa.ipc.open_stream(data.data.data).read_all().to_pylist()]


def test_coverage_figures_and_charts_agree_with_a_hand_count(make_app, app_db, signed_in):
    ids = seed_plans(app_db)
    today = date.today()
    monday = today - timedelta(days=min(today.weekday(), 9))  # this week, from the plans' first day
    week_days = (today - monday).days + 1
    app = open_dashboard(make_app, signed_in)
    assert "督查计划覆盖率" in [header.value for header in app.subheader]
    figures = metrics(app)
    # 2 sites x 10 days due, 1 done; B's self-report: 10 due, none made, and counted apart.
    assert figures["覆盖率"][0] == "5.0%"
    assert figures["漏查次数"][0] == "19"
    assert figures["漏报自查"][0] == "10"
    assert figures["发现问题"] == ("7", "+5")  # the findings' figures are untouched
    assert len(charts(app)) == 7 + 3
    over_time = chart_rows(app, "计划督查完成情况")
    done = sum(row["tasks"] for row in over_time if row["state"] == "done")
    assert (done, sum(row["tasks"] for row in over_time if row["state"] == "missed")) == (1, 19)
    missed = {row["site"]: row["missed"] for row in chart_rows(app, "本周漏查地点")}
    made_this_week = 1 if today - timedelta(days=1) >= monday else 0
    assert missed == {"虹桥宾馆集中隔离点": week_days - made_this_week, "=光明社区居委会": week_days}
    self_missed = {row["site"]: row["missed"] for row in chart_rows(app, "本周漏报自查")}
    assert self_missed == {"市中医院发热门诊": week_days}
    # A tapped missed site narrows the figures like a tapped findings bar; its chart keeps every site.
    app.session_state[SELECTED_SITE] = ids["C"]
    app.run()
    assert metrics(app)["漏查次数"][0] == "10"
    assert metrics(app)["漏报自查"][0] == "—"  # B's self-reports are not C's
    assert len(chart_rows(app, "本周漏查地点")) == 2


def test_a_tapped_period_narrows_the_rest_of_the_page(make_app, app_db, signed_in):
    seed_plans(app_db)
    today = date.today()
    yesterday = today - timedelta(days=1)
    app = open_dashboard(make_app, signed_in)  # the last 30 days, a bar a day
    whole = chart_rows(app, "计划督查完成情况")
    [coverage] = [chart for chart in charts(app) if chart.get("title", {}).get("text") == "计划督查完成情况"]
    assert [param["select"]["fields"] for param in coverage["params"]] == [["period_start"]]
    assert f"{yesterday}" in {row["period_start"] for row in whole}
    # What the chart's selection callback stores when yesterday's bar is tapped (AppTest cannot tap Vega charts).
    app.session_state[SELECTED_PERIOD] = (yesterday, (today - timedelta(days=29), today))
    app.run()
    assert any(f"已选日期：{yesterday}" == m.value for m in app.text)
    # Yesterday alone: A and C were due, A was visited; B's self-report was due and not made.
    figures = metrics(app)
    assert (figures["覆盖率"][0], figures["漏查次数"][0], figures["漏报自查"][0]) == ("50.0%", "1", "1")
    found = {row.date() for row in app.dataframe[0].value["found_at"]} if app.dataframe else set()
    assert found <= {yesterday}
    # The chart over time keeps every day to tap, the tapped one highlighted.
    assert chart_rows(app, "计划督查完成情况") == whole
    [coverage] = [chart for chart in charts(app) if chart.get("title", {}).get("text") == "计划督查完成情况"]
    assert [param.get("value") for param in coverage["params"]] == [[{"period_start": f"{yesterday}"}]]
    app.button(key="dashboard.clear_period").click().run()
    assert metrics(app)["漏查次数"][0] == "19"
    assert not any(m.value.startswith("已选日期") for m in app.text)


def test_another_range_drops_the_tapped_period(make_app, app_db, signed_in):
    seed_plans(app_db)
    today = date.today()
    app = open_dashboard(make_app, signed_in)
    app.session_state[SELECTED_PERIOD] = (today, (today - timedelta(days=29), today))
    app.run()
    assert metrics(app)["漏查次数"][0] == "2"  # today: A and C not visited yet
    app.segmented_control(key="dashboard.period").set_value("90").run()
    assert metrics(app)["漏查次数"][0] == "19"
    assert app.session_state[SELECTED_PERIOD] is None


def test_coverage_says_so_when_nothing_is_planned_and_stays_off_a_units_dashboard(make_app, app_db, signed_in):
    seed(app_db)
    app = open_dashboard(make_app, signed_in, "en")
    assert "No planned visit falls in this period" in app.info[0].value
    assert any("No planned visit was missed this week" in caption.value for caption in app.caption)
    seed_plans_app = open_dashboard(make_app, signed_in, role="unit")
    assert "督查计划覆盖率" not in [header.value for header in seed_plans_app.subheader]

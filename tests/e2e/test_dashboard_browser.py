"""The dashboard in Chromium at tablet size: it fits, it speaks Chinese, and tapping a bar picks a site."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from audit.store import open_database
from tests.app.test_dashboard import seed_plans
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in, wait_for_app
from tests.factories import build_district

pytestmark = pytest.mark.e2e


def test_dashboard_in_chromium_at_tablet_size(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    database = open_database(db_path)
    build_district(database, date.today())
    database.close()
    credentials = account(db_path, "supervisor")
    server = start_server(db_path)
    sign_in(tablet, f"{server.url}/dashboard", *credentials)
    wait_for_app(tablet)
    tablet.get_by_text("督查问题趋势看板").wait_for()
    tablet.get_by_test_id("stMetricValue").nth(6).wait_for()
    values = tablet.get_by_test_id("stMetricValue").all_inner_texts()
    assert values[:4] == ["3", "10", "7", "4"]
    tablet.locator(".vega-embed").nth(6).wait_for()
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "dashboard")

    # Tap the fever clinic's bar: the rest of the page narrows to it.
    bar = tablet.locator(".vega-embed").first.locator("path[aria-label*='市中医院发热门诊']").first
    bar.click()
    tablet.get_by_text("已选地点：市中医院发热门诊").wait_for()
    tablet.wait_for_function("() => document.querySelectorAll('[data-testid=\"stMetricValue\"]')[1]?.innerText === '3'")
    assert no_horizontal_scroll(tablet)


def test_tapping_a_missed_site_narrows_the_dashboard(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    open_database(db_path).close()
    seed_plans(db_path)  # A and C planned daily, one visit made; B's daily self-report never made
    credentials = account(db_path, "supervisor")
    server = start_server(db_path)
    sign_in(tablet, f"{server.url}/dashboard", *credentials)
    wait_for_app(tablet)
    tablet.get_by_text("督查计划覆盖率").wait_for(timeout=30_000)
    missed = tablet.locator(".vega-embed").nth(1)  # after the chart over time: the sites missed this week
    bar = missed.locator("path[aria-label*='=光明社区居委会']").first
    bar.wait_for(timeout=30_000)
    bar.scroll_into_view_if_needed()
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "dashboard-coverage")
    bar.click()
    tablet.get_by_text("已选地点：=光明社区居委会").wait_for(timeout=30_000)
    # C alone: its 10 planned visits, none made.
    tablet.get_by_text("已选地点：=光明社区居委会").scroll_into_view_if_needed()
    tablet.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .some(m => m.innerText.includes('漏查次数')
                        && m.querySelector('[data-testid="stMetricValue"]').innerText === '10')""",
        timeout=30_000,
    )
    assert no_horizontal_scroll(tablet)


def test_tapping_a_period_of_coverage_narrows_the_dashboard(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    open_database(db_path).close()
    seed_plans(db_path)  # A and C planned daily from nine days ago, one visit made yesterday
    credentials = account(db_path, "supervisor")
    server = start_server(db_path)
    sign_in(tablet, f"{server.url}/dashboard", *credentials)
    wait_for_app(tablet)
    tablet.get_by_text("督查计划覆盖率").wait_for(timeout=30_000)
    today = date.today()
    monday = today - timedelta(days=today.weekday())  # the last 90 days: a bar a week, this one last
    over_time = tablet.locator(".vega-embed").first
    bar = over_time.locator(f"path[aria-label*='{monday:%m-%d}']").first
    bar.wait_for(timeout=30_000)
    bar.scroll_into_view_if_needed()
    bar.click()
    chip = f"已选日期：{today}" if monday == today else f"已选时段：{monday} 至 {today}"
    tablet.get_by_text(chip).wait_for(timeout=30_000)
    # This week alone: A and C due each day since Monday, A visited yesterday if that was this week.
    missed = 2 * ((today - monday).days + 1) - (1 if today - timedelta(days=1) >= monday else 0)
    tablet.get_by_text(chip).scroll_into_view_if_needed()
    tablet.wait_for_function(
        """missed => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .some(m => m.innerText.includes('漏查次数')
                        && m.querySelector('[data-testid="stMetricValue"]').innerText === String(missed))""",
        arg=missed,
        timeout=30_000,
    )
    assert no_horizontal_scroll(tablet)
    wait_for_app(tablet)
    over_time.scroll_into_view_if_needed()
    screenshot(tablet, "dashboard-coverage-period")
    tablet.get_by_role("button", name="取消选择时段").click()
    tablet.get_by_text(chip).wait_for(state="detached", timeout=30_000)

"""回头看 on a portrait tablet: an inspector records held and relapsed from home; the supervisor reads the campaign."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from audit.model import CampaignFilter, Severity, Status
from audit.services import rechecks
from audit.services.checklists import sync_checklists
from audit.services.sites import import_sites_csv
from audit.store import open_database
from audit.store.findings import insert_finding, raise_sequence
from audit.store.sites import list_sites
from audit.store.users import find_account
from tests.conftest import ROOT
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in, wait_for_app
from tests.factories import make_finding

pytestmark = pytest.mark.e2e

PORTRAIT = {"width": 820, "height": 1180}


def prepare(db_path) -> dict[str, tuple[str, str]]:
    people = {role: account(db_path, role) for role in ("inspector", "supervisor")}
    database = open_database(db_path)
    try:
        sync_checklists(database, ROOT / "checklists")
        import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
        with database.write() as cursor:
            site = next(s for s in list_sites(cursor) if s.code == "CC-ISO-001")
            for n in range(3):
                closed = datetime.now() - timedelta(days=n + 2)
                insert_finding(
                    cursor,
                    make_finding(
                        f"{closed.year}-{n + 1:04d}",
                        site_id=site.id,
                        severity=Severity.MAJOR,
                        status=Status.CLOSED,
                        description=f"隔离点问题 {n + 1}",
                        closed_at=closed,
                    ),
                )
            raise_sequence(cursor, datetime.now().year, 3)
        with database.read() as cursor:
            supervisor = find_account(cursor, people["supervisor"][0]).user
        rechecks.start_campaign(
            database,
            supervisor,
            name="隔离点回头看",
            scope=CampaignFilter(date.today() - timedelta(days=30), date.today()),
            team=[people["inspector"][0]],
            due=date.today() + timedelta(days=3),
            seed=42,
            now=datetime.now(),
        )
    finally:
        database.close()
    return people


def test_held_and_relapsed_from_home_then_the_campaign_page(browser, start_server, tmp_path):
    db_path = tmp_path / "audit.duckdb"
    people = prepare(db_path)
    server = start_server(db_path)
    context = browser.new_context(viewport=PORTRAIT, locale="zh-CN")
    page = context.new_page()
    page.viewport_name = "portrait"
    sign_in(page, server.url, *people["inspector"])
    page.get_by_role("heading", name="待回头看（3）").wait_for(timeout=30_000)
    held = page.get_by_role("button", name="巩固").first
    box = held.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    held.click()
    page.get_by_text(re.compile("的复查已记录：巩固。")).wait_for(timeout=30_000)
    page.get_by_role("heading", name="待回头看（2）").wait_for(timeout=30_000)
    page.get_by_role("button", name="反弹").first.click()
    page.get_by_role("textbox", name="发现的问题（作为新问题的描述）").fill("门口又无人值守")
    page.get_by_role("button", name="记录反弹并立为新问题").click()
    page.get_by_text(re.compile("已立新问题 .*（重复发生）")).wait_for(timeout=30_000)
    wait_for_app(page)
    assert no_horizontal_scroll(page)
    screenshot(page, "rechecks-home")
    context.close()

    context = browser.new_context(viewport=PORTRAIT, locale="zh-CN")
    page = context.new_page()
    page.viewport_name = "portrait"
    sign_in(page, f"{server.url}/rechecks", *people["supervisor"])  # a link into the page leads there
    page.get_by_role("heading", name="回头看：已销号问题复查").wait_for(timeout=30_000)
    wait_for_app(page)
    # found by what they show: a rerun may be redrawing the page while it is read
    page.get_by_test_id("stCode").filter(has_text=re.compile(r"^\s*42\s*$")).wait_for(timeout=30_000)
    page.get_by_test_id("stMetric").filter(has_text="已复查").filter(has_text="2 / 3").wait_for(timeout=30_000)
    assert no_horizontal_scroll(page)
    screenshot(page, "rechecks-page")
    context.close()

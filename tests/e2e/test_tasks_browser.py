"""Today's task on a tablet: an inspector taps it on the home page, walks the inspection it starts and
submits it; the task then shows done, on the page and in the database."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from audit.services import plans
from audit.services.checklists import sync_checklists
from audit.services.sites import import_sites_csv
from audit.store import open_database
from audit.store.plans import tasks_of
from audit.store.users import find_account
from tests.conftest import ROOT
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in, wait_for_app
from tests.e2e.test_inspect_browser import PPE, SITE, count_messages, submit, walk

pytestmark = pytest.mark.e2e


def plan_a_week(db_path, inspector: str) -> None:
    """光明商务酒店 (CC-ISO-001), PPE use, every day of this week, for the inspector."""
    supervisor, _ = account(db_path, "supervisor")
    database = open_database(db_path)
    try:
        sync_checklists(database, ROOT / "checklists")
        import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
        with database.read() as cursor:
            author = find_account(cursor, supervisor).user
        plans.add_plan(
            database,
            author,
            name="光明商务酒店每日防护督查",
            checklist_ids=["ppe_use"],
            site_codes=["CC-ISO-001"],
            team=[inspector],
            every="daily",
            start=date.today(),
            end=date.today() + timedelta(days=6),
            now=datetime.now(),
        )
    finally:
        database.close()


def todays_tasks(db_path, inspector: str) -> list[tuple]:
    database = open_database(db_path, read_only=True)
    try:
        with database.read() as cursor:
            return tasks_of(cursor, date.today(), date.today(), username=inspector)
    finally:
        database.close()


def test_an_inspector_completes_todays_task_from_the_home_page(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    inspector, password = account(db_path, "inspector")
    plan_a_week(db_path, inspector)
    server = start_server(db_path)
    count_messages(tablet)
    sign_in(tablet, server.url, inspector, password)

    tablet.get_by_text("今日任务（待办1项，已完成0项）").wait_for(timeout=30_000)
    task = tablet.locator("[class*='st-key-task-']")
    expect(task).to_have_count(1)
    expect(task).to_contain_text(f"{SITE} · 个人防护")
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "home-task")
    start = task.get_by_role("button", name="开始检查")
    start.scroll_into_view_if_needed()
    start.click()
    tablet.wait_for_url(re.compile(r"inspection="), timeout=30_000)
    wait_for_app(tablet)
    # The inspection starts with the task's site and checklist, at the first section.
    expect(tablet.get_by_role("heading", name=SITE)).to_be_visible(timeout=30_000)
    expect(tablet.get_by_text(re.compile(r"^个人防护 · "))).to_be_visible()
    tablet.locator(f".st-key-item-{PPE[0][0]}").wait_for(timeout=30_000)
    walk(tablet, PPE, {}, photo=None)  # every item passes: no photo needed
    submit(tablet, "task-ppe")
    assert no_horizontal_scroll(tablet)

    tablet.goto(server.url)
    wait_for_app(tablet)
    tablet.get_by_text("今日任务（待办0项，已完成1项）").wait_for(timeout=30_000)
    expect(task).to_contain_text(f"✓ {SITE} · 个人防护")
    expect(task.get_by_role("button", name="开始检查")).to_have_count(0)
    assert no_horizontal_scroll(tablet)

    server.stop()
    [row] = todays_tasks(db_path, inspector)
    assert (row[4], row[5], row[-1]) == (SITE, "ppe_use", True)

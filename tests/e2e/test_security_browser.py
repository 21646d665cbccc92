"""In Chromium: the Content-Security-Policy blocks nothing the app needs, photos come from the
signed photo route, and the admin page's Backup tab at tablet size."""

from __future__ import annotations

from datetime import datetime

import pytest

from audit.photos import prepare_photo
from audit.store import open_database
from audit.store.photos import attach_photo, save_photo
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in, wait_for_app
from tests.factories import picture, seed_ledger

pytestmark = pytest.mark.e2e


@pytest.fixture
def seeded(tmp_path):
    db_path = tmp_path / "audit.duckdb"
    database = open_database(db_path)
    finding_id = seed_ledger(database)["2026-0001"]
    with database.write() as cursor:
        photo = prepare_photo(picture())
        save_photo(cursor, photo, datetime(2026, 3, 1, 9))
        attach_photo(cursor, finding_id, photo.sha256, stage="found", added_by="chenming", now=datetime(2026, 3, 1, 9))
    database.close()
    return db_path, finding_id


def watch(page) -> list[str]:
    """Every policy violation and page error the browser reports."""
    problems: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_pages_run_under_the_policy_and_photos_come_from_the_photo_route(seeded, start_server, browser):
    db_path, finding_id = seeded
    supervisor, admin = account(db_path, "supervisor"), account(db_path, "admin")
    server = start_server(db_path)
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    sign_in(page, f"{server.url}/finding?id={finding_id}", *supervisor)
    photo = page.locator("[data-testid='stImage'] img").first
    photo.wait_for()
    page.wait_for_function("(img) => img.complete", arg=photo.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", photo.element_handle()) > 0
    assert photo.get_attribute("src").startswith(f"{server.url}/photos/finding/{finding_id}/")
    assert not page.locator("img[src*='/media/']").count()
    for path in ("", "ledger", "inspect", "dashboard"):
        sign_in(page, f"{server.url}/{path}", *supervisor)
    sign_in(page, f"{server.url}/admin", *admin)
    assert problems == []
    context.close()


def test_the_backup_tab_at_tablet_size(seeded, start_server, tablet):
    db_path, _ = seeded
    admin = account(db_path, "admin")
    server = start_server(db_path)
    sign_in(tablet, f"{server.url}/admin", *admin)
    tablet.get_by_role("tab", name="数据备份").click()
    tablet.get_by_text("最近一次备份", exact=True).wait_for()
    tablet.locator(".st-key-backup_make button").click()
    tablet.locator(".st-key-backup_download").wait_for(timeout=60_000)
    wait_for_app(tablet)
    tablet.get_by_text("最近一次备份成功。").wait_for()
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "admin-backup")

"""Staying signed in on a tablet: reload, a second tab and a link keep the session; sign-out,
sign-out on all devices, disabling and idle time end it in every tab at the next step."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from audit.store import open_database
from tests.e2e.conftest import account, sign_in, wait_for_app
from tests.test_ledger_store import seed_ledger

pytestmark = pytest.mark.e2e
COOKIE = "audit_session"
VIEWPORT = {"width": 820, "height": 1180}


@pytest.fixture
def seeded(tmp_path):
    db_path = tmp_path / "audit.duckdb"
    database = open_database(db_path)
    finding_id = seed_ledger(database)["2026-0001"]
    database.close()
    return db_path, finding_id


def cookie_set(context) -> None:
    """Wait until the page has exchanged its one-time code for the session cookie."""
    context.pages[0].wait_for_function("() => true")  # let pending requests settle
    for _ in range(300):
        if any(c["name"] == COOKIE for c in context.cookies()):
            return
        context.pages[0].wait_for_timeout(100)
    raise AssertionError("the session cookie was never set")


def signed_in(page) -> bool:
    """Wait until the page shows either the app or the sign-in form, then say which."""
    page.locator(".st-key-sign_out, [data-testid='stBaseButton-primaryFormSubmit']").first.wait_for(timeout=30_000)
    wait_for_app(page)
    return page.locator(".st-key-sign_out").count() == 1


def shows_sign_in(page, message: str) -> None:
    page.get_by_test_id("stBaseButton-primaryFormSubmit").wait_for(timeout=30_000)
    page.get_by_text(message).wait_for(timeout=30_000)


def choose(page, box, value: str) -> None:
    """Pick an option of a select box by typing it; the list can redraw under the finger, so try again."""
    field = box.locator("input")
    for _ in range(5):
        field.click()
        field.fill(value)
        try:
            page.get_by_role("option", name=value, exact=True).click(timeout=5_000)
        except PlaywrightTimeout:
            field.press("Escape")
            continue
        wait_for_app(page)
        return
    raise AssertionError(f"the option {value} could not be chosen")


def open_tab(context, url: str):
    page = context.new_page()
    page.goto(url)
    wait_for_app(page)
    return page


def test_reload_tabs_and_links_stay_signed_in_until_sign_out(seeded, start_server, browser):
    db_path, finding_id = seeded
    supervisor = account(db_path, "supervisor")
    server = start_server(db_path)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    first = context.new_page()
    sign_in(first, server.url, *supervisor)
    cookie_set(context)
    cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert COOKIE not in first.evaluate("document.cookie")  # page script never sees it

    first.reload()
    assert signed_in(first)
    first.get_by_text("已登录：e2e-supervisor（组长）").wait_for()
    second = open_tab(context, f"{server.url}/ledger")
    assert signed_in(second)
    second.get_by_role("heading", name="整改台账").wait_for()
    link = open_tab(context, f"{server.url}/finding?id={finding_id}")  # as from a notice
    link.get_by_role("heading", name="问题 2026-0001").wait_for(timeout=30_000)

    first.locator(".st-key-sign_out button").click()
    shows_sign_in(first, "您已退出登录。")
    # the other tabs are signed out at their next step
    second.get_by_test_id("stTopNavLink").first.click()
    shows_sign_in(second, "您已在另一个标签页或窗口中退出登录，请重新登录。")
    link.reload()
    wait_for_app(link)
    link.get_by_test_id("stBaseButton-primaryFormSubmit").wait_for(timeout=30_000)
    assert not signed_in(link)
    context.close()


def test_sign_out_on_all_devices_and_disabling_end_every_tab(seeded, start_server, browser):
    db_path, _ = seeded
    supervisor, admin = account(db_path, "supervisor"), account(db_path, "admin")
    server = start_server(db_path)
    tablet = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    other = browser.new_context(viewport=VIEWPORT, locale="zh-CN")  # another device
    first, device = tablet.new_page(), other.new_page()
    sign_in(first, server.url, *supervisor)
    sign_in(device, server.url, *supervisor)
    cookie_set(tablet)
    second = open_tab(tablet, f"{server.url}/ledger")
    assert signed_in(second)

    first.locator(".st-key-sign_out_everywhere button").first.click()
    shows_sign_in(first, "您已在所有设备上退出登录，请重新登录。")
    device.get_by_test_id("stTopNavLink").first.click()
    shows_sign_in(device, "您已在所有设备上退出登录，请重新登录。")
    second.reload()
    wait_for_app(second)
    assert not signed_in(second)

    # signed in again, then disabled by an administrator on another device
    sign_in(first, server.url, *supervisor)
    cookie_set(tablet)
    second = open_tab(tablet, f"{server.url}/ledger")
    assert signed_in(second)
    sign_in(device, f"{server.url}/admin", *admin)
    editor = device.get_by_test_id("stExpander").filter(has_text="修改账号")
    editor.get_by_text("修改账号").first.click()
    choose(device, editor.get_by_test_id("stSelectbox").first, supervisor[0])
    device.get_by_role("button", name="停用此账号").click()
    device.get_by_text(f"已停用账号“{supervisor[0]}”。").wait_for(timeout=30_000)

    first.get_by_test_id("stTopNavLink").first.click()
    shows_sign_in(first, "您的账号已被停用，已退出登录。如有疑问请联系管理员。")
    second.reload()
    wait_for_app(second)
    assert not signed_in(second)
    tablet.close()
    other.close()


def test_idle_time_signs_out_every_tab(seeded, start_server, browser):
    db_path, _ = seeded
    supervisor = account(db_path, "supervisor")
    server = start_server(db_path, AUDIT_IDLE_MINUTES="1")
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    first = context.new_page()
    sign_in(first, server.url, *supervisor)
    cookie_set(context)
    second = open_tab(context, f"{server.url}/ledger")
    assert signed_in(second)
    first.wait_for_timeout(65_000)  # the shortest idle time the app allows is a minute
    second.get_by_test_id("stTopNavLink").first.click()
    shows_sign_in(second, "您已长时间未操作，为保护数据已自动退出登录，请重新登录。")
    first.reload()
    wait_for_app(first)
    assert not signed_in(first)
    context.close()

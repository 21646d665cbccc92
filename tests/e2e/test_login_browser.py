import pytest

from audit.store import open_database
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.e2e


def test_sign_in_and_out_on_a_tablet(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    open_database(db_path).close()
    username, password = account(db_path, "supervisor")
    server = start_server(db_path)

    tablet.goto(server.url)
    wait_for_app(tablet)
    tablet.get_by_test_id("stBaseButton-primaryFormSubmit").wait_for()
    wait_for_app(tablet)
    assert tablet.get_by_text("登录督查整改台账").is_visible()
    assert tablet.get_by_test_id("stTopNavLink").count() == 0  # nothing else to reach
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "login")

    fields = tablet.get_by_test_id("stTextInput").locator("input")
    fields.nth(0).fill(username)
    fields.nth(1).fill("not the password")
    tablet.get_by_test_id("stBaseButton-primaryFormSubmit").click()
    tablet.get_by_text("用户名或密码不正确，或尝试次数过多。").wait_for()  # the same answer whatever was wrong

    sign_in(tablet, server.url, username, password)
    tablet.get_by_text("数据库中还没有检查记录").wait_for()
    wait_for_app(tablet)
    assert tablet.get_by_text("督查整改概况").is_visible()
    assert tablet.get_by_text("已登录：e2e-supervisor（组长）").is_visible()
    assert no_horizontal_scroll(tablet)
    # The pages are listed along the top, each a finger's height, and the page keeps the whole width.
    links = tablet.get_by_test_id("stTopNavLink")
    assert [links.nth(i).inner_text().split("\n")[-1] for i in range(links.count())] == [  # after the icon
        "首页",
        "现场检查",
        "我的检查",
        "整改台账",
    ]
    assert all(links.nth(i).bounding_box()["height"] >= 44 for i in range(links.count()))
    # The supervision pages sit under one menu, so nothing overflows into an untranslated "more".
    menu = tablet.get_by_test_id("stTopNavSection")
    assert menu.inner_text().strip() == "督导" and menu.bounding_box()["height"] >= 44
    menu.click()
    inside = tablet.get_by_test_id("stTopNavDropdownLink")
    inside.first.wait_for()
    assert [inside.nth(i).inner_text().split("\n")[-1] for i in range(inside.count())] == [
        "趋势看板",
        "督查计划",
        "回头看",
        "督查通报",
        "问责",
    ]
    tablet.keyboard.press("Escape")
    assert not tablet.get_by_test_id("stSidebar").is_visible()
    page_width = tablet.locator(".block-container").bounding_box()["width"]
    assert page_width >= 0.85 * tablet.viewport_size["width"]
    screenshot(tablet, "signed-in")

    tablet.locator(".st-key-sign_out button").click()
    tablet.get_by_text("您已退出登录。").wait_for()
    assert tablet.get_by_text("督查整改概况").count() == 0


def test_a_link_into_the_app_leads_there_after_signing_in(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    open_database(db_path).close()
    username, password = account(db_path, "admin")
    server = start_server(db_path)
    tablet.goto(f"{server.url}/admin")
    wait_for_app(tablet)
    fields = tablet.get_by_test_id("stTextInput").locator("input")
    fields.nth(0).fill(username)
    fields.nth(1).fill(password)
    tablet.get_by_test_id("stBaseButton-primaryFormSubmit").click()
    tablet.get_by_test_id("stDataFrame").first.wait_for()
    first_cell = tablet.get_by_test_id("stDataFrame").first.get_by_test_id("glide-cell-0-0")
    assert first_cell.text_content() == "e2e-admin"  # the accounts table, drawn from the store
    wait_for_app(tablet)
    assert tablet.url.endswith("/admin")
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "admin")

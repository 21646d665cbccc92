"""A checklist walk through a 30-second network drop, at both tablet sizes.

The browser goes offline (Playwright's offline mode) and the link to the server swallows everything
(tests/e2e/network.py), as a weak signal does; when it returns, the connections that lived through it
are found closed. Answers given before the drop are stored; during it the page says it is offline and
that what is tapped now is not saved yet; the inspector taps and types anyway; afterwards the walk is
where it was and everything given during the drop is in the database, and the page says so.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from audit.services.accounts import authenticate
from audit.services.inspections import inspection_sheet
from audit.services.sites import import_sites_csv
from audit.store import open_database
from tests.conftest import ROOT
from tests.e2e.conftest import account, screenshot, sign_in, wait_for_app
from tests.e2e.network import Link
from tests.e2e.test_inspect_browser import answer, count_messages, go, item, next_step, start

pytestmark = pytest.mark.e2e

DROP_SECONDS = 30  # the drop the inspectors meet: long enough for the server to give up the socket
TYPED = "离线时记录：转运车辆未按规定消毒，司机未戴N95口罩"


@pytest.fixture
def link(tmp_path, start_server):
    db_path = tmp_path / "audit.duckdb"
    database = open_database(db_path)
    import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
    database.close()
    credentials = account(db_path, "inspector")
    server = start_server(db_path)
    link = Link(server.port)
    link.server, link.db_path, link.credentials = server, db_path, credentials
    yield link
    link.close()


def test_nothing_tapped_or_typed_during_a_drop_is_lost(link, tablet):
    credentials = link.credentials
    count_messages(tablet)
    sign_in(tablet, f"{link.url}/inspect", *credentials)
    start(tablet, "规范转运")
    inspection_id = go(tablet)
    answer(tablet, "QT-01", "✓ 合格")
    answer(tablet, "QT-02", "✓ 合格")
    next_step(tablet)
    answer(tablet, "QT-03", "✗ 不合格")

    dropped = time.monotonic()
    link.drop()
    tablet.context.set_offline(True)
    offline = tablet.locator(".st-key-connection-offline")
    expect(offline).to_be_visible(timeout=30_000)
    expect(offline).to_contain_text("离线")
    expect(offline).to_contain_text("尚未保存")
    screenshot(tablet, "offline-banner")
    during = item(tablet, "QT-04").get_by_role("radio", name="✗ 不合格")
    during.scroll_into_view_if_needed()
    during.click()
    description = item(tablet, "QT-03").get_by_label("问题描述")
    description.scroll_into_view_if_needed()
    description.fill(TYPED)
    description.blur()
    passed = item(tablet, "QT-05").get_by_role("radio", name="✓ 合格")
    passed.scroll_into_view_if_needed()
    passed.click()
    expect(offline).to_be_visible()
    time.sleep(max(0.0, DROP_SECONDS - (time.monotonic() - dropped)))  # the drop itself, not a wait for state

    link.restore()
    tablet.context.set_offline(False)
    back = tablet.locator("[class*='st-key-connection-back-']")
    expect(back).to_be_visible(timeout=90_000)
    expect(back).to_contain_text("已保存")
    expect(offline).to_be_hidden()
    screenshot(tablet, "offline-back")
    wait_for_app(tablet)  # the rerun that draws what came back is over: no element of the run before stands beside it
    # The walk goes on where it was, with what was given during the drop still on the page.
    expect(item(tablet, "QT-04").get_by_role("radio", name="✗ 不合格")).to_have_attribute("aria-checked", "true")
    expect(item(tablet, "QT-03").get_by_label("问题描述")).to_have_value(TYPED)
    expect(item(tablet, "QT-04").get_by_label("问题描述")).to_be_visible()  # its finding form, made by the server
    answer(tablet, "QT-06", "✓ 合格")

    link.server.stop()  # the server holds the file while it runs
    database = open_database(link.db_path)
    try:
        inspector = authenticate(database, *credentials)
        sheet = inspection_sheet(database, inspector, inspection_id)
    finally:
        database.close()
    given = {item_id: sheet.result(item_id).value for item_id in sheet.responses}
    assert given == {
        "QT-01": "pass",
        "QT-02": "pass",
        "QT-03": "fail",
        "QT-04": "fail",
        "QT-05": "pass",
        "QT-06": "pass",
    }
    assert sheet.draft_for("QT-03").description == TYPED

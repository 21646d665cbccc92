"""The ledger and a finding in real Chromium at tablet sizes: rows shown, no sideways scroll, a tap opens one."""

import pytest

from audit.store import open_database
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in, wait_for_app
from tests.factories import seed_ledger

pytestmark = pytest.mark.e2e


def test_ledger_then_a_finding_at_tablet_size(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    database = open_database(db_path)
    seed_ledger(database)
    database.close()
    credentials = account(db_path, "supervisor")
    server = start_server(db_path)
    sign_in(tablet, f"{server.url}/ledger", *credentials)
    wait_for_app(tablet)
    tablet.get_by_role("heading", name="整改台账").wait_for()
    table = tablet.get_by_test_id("stDataFrame").first
    table.wait_for()
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "ledger")
    box = table.bounding_box()
    tablet.mouse.click(box["x"] + 18, box["y"] + 44 + 22)  # the first row's selection box
    tablet.get_by_role("heading", name="问题 2026-0001").wait_for(timeout=30_000)
    assert "/finding?id=" in tablet.url
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "finding")

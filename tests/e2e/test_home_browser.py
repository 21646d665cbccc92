import pytest

from audit.store import open_database
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in
from tests.factories import seed_home as seed

pytestmark = pytest.mark.e2e


def test_home_in_chromium_at_tablet_size(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    open_database(db_path).close()
    seed(db_path)
    username, password = account(db_path, "supervisor")
    server = start_server(db_path)
    sign_in(tablet, server.url, username, password)
    tablet.get_by_text("督查整改概况").wait_for()
    tablet.get_by_test_id("stMetricValue").nth(3).wait_for()
    assert tablet.get_by_test_id("stMetricValue").all_inner_texts() == ["0", "3", "2", "1"]
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "home")

import pytest

from audit.store import open_database
from tests.app.test_home import seed
from tests.e2e.conftest import no_horizontal_scroll, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_home_in_chromium_at_tablet_size(tmp_path, start_server, tablet):
    db_path = tmp_path / "audit.duckdb"
    open_database(db_path).close()
    seed(db_path)
    server = start_server(db_path)
    tablet.goto(server.url)
    wait_for_app(tablet)
    tablet.get_by_text("督查整改概况").wait_for()
    tablet.get_by_test_id("stMetricValue").nth(3).wait_for()
    assert tablet.get_by_test_id("stMetricValue").all_inner_texts() == ["0", "3", "2", "1"]
    assert no_horizontal_scroll(tablet)
    screenshot(tablet, "home")

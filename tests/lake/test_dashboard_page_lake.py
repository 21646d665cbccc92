"""The dashboard page on a lake: the same figures, filters and pages as on a file, each run reading one snapshot."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from audit.store import open_database
from tests.app.conftest import APP, SignIn
from tests.factories import DISTRICT_SUPERVISOR as SUPERVISOR
from tests.factories import build_district

PAGE = "audit/ui/dashboard.py"


@pytest.fixture
def district_lake(lake_app):
    seeded = open_database(lake_app)
    build_district(seeded, date.today())
    seeded.close()
    return lake_app


def test_the_page_shows_the_districts_figures_filters_and_findings(district_lake):
    app = AppTest.from_file(APP, default_timeout=180)
    SignIn()(app, SUPERVISOR)
    app.run()
    app.switch_page(PAGE).run()
    app.segmented_control(key="dashboard.period").set_value("30").run()
    assert not app.exception, app.exception
    figures = {metric.label: (metric.value, metric.delta) for metric in app.metric}
    assert figures["发现问题"] == ("7", "+5")  # as tests/app/test_dashboard.py counts the same district on a file
    assert figures["检查次数"] == ("2", "+1")
    assert figures["逾期未改"] == ("2", "+1")
    assert len(app.get("vega_lite_chart")) == 7
    assert len(app.dataframe[0].value) == 7
    app.selectbox(key="dashboard.site_kind").set_value("fever_clinic").run()
    assert not app.exception, app.exception
    assert any("共 2 条，第 1 / 1 页" in caption.value for caption in app.caption)
    assert len(app.dataframe[0].value) == 2

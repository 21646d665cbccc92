from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from audit.store import open_database
from audit.store.findings import insert_finding
from audit.model import Status
from tests.test_store import make_finding


def seed(db_path) -> None:
    database = open_database(db_path)
    today = date.today()
    with database.write() as cursor:
        insert_finding(cursor, make_finding("2026-0001", deadline=today - timedelta(days=3)))
        insert_finding(cursor, make_finding("2026-0002", deadline=today + timedelta(days=5)))
        insert_finding(cursor, make_finding("2026-0003", deadline=today - timedelta(days=9),
                                            status=Status.CLOSED, closed_at=datetime.now()))
    database.close()


def home(make_app, signed_in, language=None, role="supervisor", **fields):
    app = make_app(language)
    signed_in(app, role, **fields)
    return app


def metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_home_shows_counts_from_the_store_in_chinese(make_app, app_db, signed_in):
    seed(app_db)
    app = home(make_app, signed_in).run()
    assert not app.exception
    assert app.title[0].value == "督查整改概况"
    assert metrics(app) == {"已提交检查": "0", "发现问题": "3", "未销号问题": "2", "逾期问题": "1"}


def test_home_speaks_english_when_chosen(make_app, app_db, signed_in):
    seed(app_db)
    app = home(make_app, signed_in, "en").run()
    assert not app.exception
    assert app.title[0].value == "Inspection and rectification overview"
    assert metrics(app) == {"Inspections submitted": "0", "Findings": "3", "Open findings": "2", "Overdue findings": "1"}


@pytest.mark.parametrize("language, text", [("zh-CN", "还没有检查记录"), ("en", "holds no inspections yet")])
def test_an_empty_database_says_so(make_app, language, text, signed_in):
    app = home(make_app, signed_in, language).run()
    assert not app.exception
    assert app.metric == [] or len(app.metric) == 0
    assert text in app.info[0].value


def test_switching_language_from_the_top_bar(make_app, signed_in):
    app = home(make_app, signed_in).run()
    app.segmented_control(key="language").set_value("en").run()
    assert app.title[0].value == "Inspection and rectification overview"


def test_a_unit_account_counts_only_its_own_findings(make_app, app_db, signed_in):
    seed(app_db)
    database = open_database(app_db)
    with database.write() as cursor:
        insert_finding(cursor, make_finding("2026-0004", responsible_unit="光明社区居委会"))
    database.close()
    app = home(make_app, signed_in, role="unit", username="guangming", display_name="光明社区").run()
    assert not app.exception
    assert metrics(app)["发现问题"] == "1"
    assert metrics(home(make_app, signed_in).run())["发现问题"] == "4"

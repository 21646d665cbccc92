from __future__ import annotations

import pytest

from audit.model import Role, User
from audit.store import open_database
from audit.store.findings import insert_finding
from tests.factories import make_finding
from tests.factories import seed_home as seed

SUPERVISOR = User(id="sup", username="zhou", display_name="周组长", role=Role.SUPERVISOR)


def signed_in(make_app, language=None, user=SUPERVISOR):
    app = make_app(language)
    app.session_state["user"] = user
    return app


def metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_home_shows_counts_from_the_store_in_chinese(make_app, app_db):
    seed(app_db)
    app = signed_in(make_app).run()
    assert not app.exception
    assert app.title[0].value == "督查整改概况"
    assert metrics(app) == {"已提交检查": "0", "发现问题": "3", "未销号问题": "2", "逾期问题": "1"}


def test_home_speaks_english_when_chosen(make_app, app_db):
    seed(app_db)
    app = signed_in(make_app, "en").run()
    assert not app.exception
    assert app.title[0].value == "Inspection and rectification overview"
    assert metrics(app) == {"Inspections submitted": "0", "Findings": "3", "Open findings": "2", "Overdue findings": "1"}


@pytest.mark.parametrize("language, text", [("zh-CN", "还没有检查记录"), ("en", "holds no inspections yet")])
def test_an_empty_database_says_so(make_app, language, text):
    app = signed_in(make_app, language).run()
    assert not app.exception
    assert app.metric == [] or len(app.metric) == 0
    assert text in app.info[0].value


def test_switching_language_from_the_top_bar(make_app):
    app = signed_in(make_app).run()
    app.segmented_control(key="language").set_value("en").run()
    assert app.title[0].value == "Inspection and rectification overview"


def test_a_unit_account_counts_only_its_own_findings(make_app, app_db):
    seed(app_db)
    database = open_database(app_db)
    with database.write() as cursor:
        insert_finding(cursor, make_finding("2026-0004", responsible_unit="光明社区居委会"))
    database.close()
    unit = User(id="u", username="guangming", display_name="光明社区", role=Role.UNIT, unit="光明社区居委会")
    app = signed_in(make_app, user=unit).run()
    assert not app.exception
    assert metrics(app)["发现问题"] == "1"
    assert metrics(signed_in(make_app).run())["发现问题"] == "4"

"""The accountability page: a supervisor accepts a suggestion and records the measure; a unit reads its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from audit.model import Severity
from audit.services.accounts import add_user, generate_password
from audit.store import open_database
from audit.store.findings import insert_finding
from tests.app.screen import error_text
from tests.factories import GUANGMING, GUOSHENG, make_finding
from tests.factories import add_ledger_site as add_site

PAGE = "audit/ui/accountability.py"


@pytest.fixture
def accounts(app_db):
    """A critical finding ten days overdue at a 国胜 site, and real accounts."""
    database = open_database(app_db)
    with database.write() as cursor:
        site = add_site(cursor, "国胜集中隔离点", unit=GUOSHENG)
        insert_finding(
            cursor,
            make_finding(
                "2026-0201",
                site_id=site,
                responsible_unit=GUOSHENG,
                severity=Severity.CRITICAL,
                found_at=datetime.now() - timedelta(days=12),
                deadline=date.today() - timedelta(days=10),
                description="[x](http://evil.example)",
            ),
        )
    users = {
        name: add_user(database, None, username=f"t-{name}", role=role, password=generate_password(), unit=unit)
        for name, role, unit in (
            ("supervisor", "supervisor", None),
            ("unit", "unit", GUOSHENG),
            ("other", "unit", GUANGMING),
            ("inspector", "inspector", None),
        )
    }
    database.close()
    return users


def page(make_app, user, language=None):
    app = make_app(language)
    app.session_state["user"] = user
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def button(app, label: str):
    return next(b for b in app.button if b.label == label)


def test_a_supervisor_accepts_a_suggestion_and_records_the_measure(make_app, accounts):
    app = page(make_app, accounts["supervisor"])
    assert app.title[0].value == "问责"
    assert any("严重问题逾期超过7天未整改" in text.value for text in app.text)
    button(app, "采纳并登记").click().run()
    assert app.selectbox[0].value == GUOSHENG
    assert app.selectbox[1].value == "written_examination"
    assert len(app.multiselect[0].value) == 1
    app.text_input[1].input("区纪委监委")  # decided by
    next(area for area in app.text_area if area.label == "依据").input("《问责办法》第五条")
    button(app, "登记").click().run()
    assert not app.exception
    assert "问责措施已登记。" in [s.value for s in app.success]
    assert "目前没有待处理的问责建议。" in [i.value for i in app.info]
    [table] = app.dataframe
    assert table.value.iloc[0]["问责方式"] == "责令书面检查" and table.value.iloc[0]["关联问题"] == "2026-0201"

    unit = page(make_app, accounts["unit"])
    assert not [b for b in unit.button if b.label == "采纳并登记"]
    assert unit.dataframe[0].value.iloc[0]["单位"] == GUOSHENG
    other = page(make_app, accounts["other"])
    assert "没有问责记录。" in [i.value for i in other.info]


def test_a_missing_basis_is_named_and_the_form_keeps_what_was_typed(make_app, accounts):
    app = page(make_app, accounts["supervisor"])
    button(app, "采纳并登记").click().run()
    app.text_input[1].input("区纪委监委")
    button(app, "登记").click().run()
    assert "请填写问责依据（所依据的规定）。" in [error_text(e) for e in app.error]
    assert app.text_input[1].value == "区纪委监委"


def test_english_page_and_no_page_for_inspectors(make_app, accounts):
    app = page(make_app, accounts["supervisor"], language="en")
    assert app.title[0].value == "Accountability"
    inspector = make_app()
    inspector.session_state["user"] = accounts["inspector"]
    inspector.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        inspector.switch_page(PAGE)

"""The bulletin page: a supervisor drafts, chooses a typical case, saves and issues; a unit reads what names it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from audit.model import Severity
from audit.services.accounts import add_user, generate_password
from audit.services.checklists import sync_checklists
from audit.store import open_database
from audit.store.findings import insert_finding
from tests.conftest import ROOT
from tests.factories import GUANGMING, GUOSHENG, make_finding
from tests.factories import add_ledger_site as add_site

PAGE = "audit/ui/bulletins.py"
HOSTILE = "[点这里](http://evil.example) **粗体** <b>x</b>"


@pytest.fixture
def accounts(app_db):
    """Real accounts and yesterday's findings: one at a 光明 site with typed markup, one at a 国胜 site."""
    database = open_database(app_db)
    sync_checklists(database, ROOT / "checklists")
    yesterday = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    with database.write() as cursor:
        hotel = add_site(cursor, "光明商务酒店集中隔离点", unit=GUANGMING, subdistrict="虹桥街道")
        point = add_site(cursor, "国胜集中隔离点", unit=GUOSHENG)
        case = make_finding(
            "2026-0101",
            site_id=hotel,
            responsible_unit=GUANGMING,
            severity=Severity.CRITICAL,
            found_at=yesterday,
            description=HOSTILE,
            deadline=yesterday.date() + timedelta(days=1),
        )
        insert_finding(cursor, case)
        insert_finding(
            cursor,
            make_finding(
                "2026-0102",
                site_id=point,
                responsible_unit=GUOSHENG,
                found_at=yesterday,
                deadline=yesterday.date() + timedelta(days=3),
            ),
        )
    users = {
        role: add_user(
            database,
            None,
            username=f"t-{role}",
            role=role,
            password=generate_password(),
            unit={"unit": GUANGMING}.get(role),
        )
        for role in ("supervisor", "unit", "inspector")
    }
    users["other_unit"] = add_user(
        database, None, username="t-other", role="unit", password=generate_password(), unit=GUOSHENG
    )
    database.close()
    users["case"] = case.id
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


def texts(app) -> list[str]:
    return [element.value for element in app.text]


def test_a_supervisor_drafts_chooses_a_case_saves_and_issues(make_app, accounts):
    app = page(make_app, accounts["supervisor"])
    assert app.title[0].value == "督查通报"
    assert "还没有印发过通报。" in [info.value for info in app.info]
    button(app, "起草").click().run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric} == {
        "督查次数": "0",
        "发现问题": "2",
        "已销号": "0",
        "逾期未整改": "0",
    }
    app.multiselect[0].select(accounts["case"])
    next(area for area in app.text_area if area.label == "下一步工作要求").input("各单位立即整改。")
    button(app, "保存草稿").click().run()
    assert "草稿已保存。" in [s.value for s in app.success]
    app.checkbox[0].check().run()
    button(app, "印发").click().run()
    assert not app.exception
    assert any("已印发：" in s.value and "第1期" in s.value for s in app.success)
    assert any(text.endswith("督查通报（日报）第1期") for text in texts(app))


def test_typed_markup_is_shown_as_typed(make_app, accounts):
    app = page(make_app, accounts["supervisor"])
    button(app, "起草").click().run()
    options = app.multiselect[0].options
    assert any("[点这里](http://evil.example)" in option for option in options)
    app.multiselect[0].select(accounts["case"])
    next(area for area in app.text_area if area.label == "情况概述").input(HOSTILE)
    button(app, "保存草稿").click().run()
    assert next(area for area in app.text_area if area.label == "情况概述").value == HOSTILE
    assert all("evil.example" not in element.value for element in app.markdown)


def test_a_unit_reads_only_the_bulletins_that_name_it(make_app, accounts):
    app = page(make_app, accounts["supervisor"])
    button(app, "起草").click().run()
    app.multiselect[0].select(accounts["case"])
    button(app, "保存草稿").click().run()
    app.checkbox[0].check().run()
    button(app, "印发").click().run()
    assert not app.exception

    unit = page(make_app, accounts["unit"])
    assert not [b for b in unit.button if b.label == "起草"]
    assert any(text.endswith("督查通报（日报）第1期") for text in texts(unit))
    other = page(make_app, accounts["other_unit"])
    assert "还没有印发过通报。" in [info.value for info in other.info]


def test_english_page(make_app, accounts):
    app = page(make_app, accounts["supervisor"], language="en")
    assert app.title[0].value == "Inspection bulletins"
    button(app, "Draft").click().run()
    assert {m.label for m in app.metric} == {"Inspections", "Findings", "Closed", "Overdue"}


def test_inspectors_have_no_bulletin_page(make_app, accounts):
    app = make_app()
    app.session_state["user"] = accounts["inspector"]
    app.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(PAGE)

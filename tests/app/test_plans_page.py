"""The plans page and the inspector's home: a supervisor makes a plan and reads coverage; an inspector starts a task."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from audit.services import plans
from audit.services.accounts import add_user, generate_password
from audit.services.checklists import sync_checklists
from audit.services.sites import import_sites_csv
from audit.store import open_database
from tests.app.screen import error_text
from tests.conftest import ROOT

PAGE = "audit/ui/plans.py"


@pytest.fixture
def office(app_db):
    database = open_database(app_db)
    sync_checklists(database, ROOT / "checklists")
    import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
    people = {
        role: add_user(database, None, username=f"t-{role}", role=role, password=generate_password())
        for role in ("supervisor", "inspector")
    }
    database.close()
    return people


def signed_in(make_app, user, language=None):
    app = make_app(language)
    app.session_state["user"] = user
    return app.run()


def button(app, label: str):
    return next(b for b in app.button if b.label == label)


def test_a_supervisor_makes_a_plan_and_sees_its_coverage(make_app, office):
    app = signed_in(make_app, office["supervisor"])
    app.switch_page(PAGE).run()
    assert not app.exception
    assert app.title[0].value == "督查计划"
    assert "还没有督查计划。" in [i.value for i in app.info]
    form = {element.label: element for element in app.text_input}
    form["计划名称"].input("虹桥街道隔离点每日督查")
    next(m for m in app.multiselect if m.label == "检查表").select("isolation_point")
    next(s for s in app.selectbox if s.label == "站点类型（规则）").select("isolation_point")
    next(s for s in app.selectbox if s.label == "街道（规则）").select("虹桥街道")
    next(m for m in app.multiselect if m.label == "督查组成员").select("t-inspector")
    button(app, "保存计划").click().run()
    assert not app.exception
    assert "计划“虹桥街道隔离点每日督查”已保存。" in [s.value for s in app.success]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["应查"] == "2" and metrics["已查"] == "0" and metrics["漏查"] == "2"
    assert any(text.value.startswith("daily · ") for text in app.text)


def test_a_bad_plan_says_which_field_and_keeps_the_form(make_app, office):
    app = signed_in(make_app, office["supervisor"])
    app.switch_page(PAGE).run()
    next(t for t in app.text_input if t.label == "计划名称").input("没有站点的计划")
    next(m for m in app.multiselect if m.label == "检查表").select("isolation_point")
    next(m for m in app.multiselect if m.label == "督查组成员").select("t-inspector")
    button(app, "保存计划").click().run()
    assert "按所选站点和规则，目前没有一个在用的站点：请调整站点、类型或街道。" in [error_text(e) for e in app.error]
    assert next(t for t in app.text_input if t.label == "计划名称").value == "没有站点的计划"


def test_an_inspector_starts_todays_task_from_home_in_one_tap(make_app, office, app_db):
    database = open_database(app_db)
    today = date.today()
    plans.add_plan(
        database,
        office["supervisor"],
        name="每日督查",
        checklist_ids=["isolation_point"],
        site_codes=["CC-ISO-001"],
        team=["t-inspector"],
        every="daily",
        start=today - timedelta(days=1),
        end=today + timedelta(days=5),
        now=datetime.now(),
    )
    database.close()
    app = signed_in(make_app, office["inspector"])
    assert not app.exception
    assert app.subheader[0].value == "今日任务（待办2项，已完成0项）"
    lines = [text.value for text in app.text]
    assert lines[0].startswith("光明商务酒店集中隔离点 · 隔离点管理与健康监测（") and "已逾期" in lines[0]
    button_labels = [b for b in app.button if b.label == "开始检查"]
    button_labels[-1].click().run()
    assert not app.exception
    assert "inspection" in app.query_params


def test_no_plans_page_for_inspectors(make_app, office):
    app = signed_in(make_app, office["inspector"])
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(PAGE)


def self_inspection_plan(app_db, office):
    database = open_database(app_db)
    unit = add_user(
        database,
        None,
        username="t-guangming",
        role="unit",
        password=generate_password(),
        unit="光明商务酒店集中隔离点工作专班",
    )
    today = date.today()
    plans.add_plan(
        database,
        office["supervisor"],
        name="隔离点每日自查",
        checklist_ids=["isolation_point"],
        site_codes=["CC-ISO-001"],
        self_inspection=True,
        every="daily",
        start=today,
        end=today + timedelta(days=5),
        now=datetime.now(),
    )
    database.close()
    return unit


def test_a_unit_starts_its_self_inspection_from_home_in_one_tap(make_app, office, app_db):
    unit = self_inspection_plan(app_db, office)
    app = signed_in(make_app, unit)
    assert not app.exception
    assert app.subheader[0].value == "今日任务（待办1项，已完成0项）"
    assert app.text[0].value.startswith("光明商务酒店集中隔离点 · 隔离点管理与健康监测")
    button(app, "开始检查").click().run()
    assert not app.exception
    inspection_id = app.query_params["inspection"]
    inspection_id = inspection_id[0] if isinstance(inspection_id, list) else inspection_id
    assert not app.error
    database = open_database(app_db)
    with database.read() as cursor:
        assert cursor.execute("SELECT self_reported FROM inspections WHERE id = ?", [inspection_id]).fetchone() == (
            True,
        )
    database.close()


def test_supervisors_read_a_missed_self_report_in_words(make_app, office, app_db):
    self_inspection_plan(app_db, office)
    app = signed_in(make_app, office["supervisor"])
    assert not app.exception
    assert "今天未按时报送的单位每日自查：1处" in [text.value for text in app.text]
    app.switch_page(PAGE).run()
    assert not app.exception
    assert "本期间单位漏报每日自查（每日一查一报）1次。" in [w.value for w in app.warning]

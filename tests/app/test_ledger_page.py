"""The ledger page in AppTest: rows from the store, filters, sort, pages, opening a finding, exports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit.model import Role, Status, User, new_id
from audit.store import open_database
from audit.store.findings import insert_finding
from tests.app.conftest import SignIn
from tests.app.screen import error_text
from tests.factories import GUANGMING, INSPECTOR, SUPERVISOR, make_finding, seed_ledger
from tests.factories import LEDGER_TODAY as TODAY
from tests.markdown import shown

LEDGER = "audit/ui/ledger.py"
UNIT = User(new_id(), "guangming", "光明社区", Role.UNIT, unit=GUANGMING)


@pytest.fixture
def seeded(app_db):
    database = open_database(app_db)
    ids = seed_ledger(database)
    database.close()
    return ids


def ledger(make_app, user=SUPERVISOR, language=None):
    app = make_app(language)
    SignIn()(app, user)
    app.run()
    app.switch_page(LEDGER).run()
    assert not app.exception, app.exception
    return app


def numbers(app) -> list[str]:
    return list(app.dataframe[0].value.iloc[:, 0])


def test_rows_come_from_the_store_most_urgent_first(make_app, seeded):
    app = ledger(make_app)
    assert app.title[0].value == "整改台账"
    assert numbers(app)[:2] == ["2026-0001", "2026-0007"]  # the two more than 7 days late
    assert sorted(numbers(app)) == sorted(seeded)
    assert any("共 8 个问题，第 1 / 1 页" in caption.value for caption in app.caption)


def test_filters_narrow_the_rows(make_app, seeded):
    app = ledger(make_app)
    app.pills(key="ledger_status").set_value([Status.OPEN]).run()
    assert sorted(numbers(app)) == ["2026-0001", "2026-0003", "2026-0005", "2026-0007", "2026-0008"]
    app.selectbox(key="ledger_subdistrict").set_value("虹桥街道").run()
    assert sorted(numbers(app)) == ["2026-0005", "2026-0007", "2026-0008"]
    app.text_input(key="ledger_search").set_value("0008").run()
    assert numbers(app) == ["2026-0008"]
    app.text_input(key="ledger_search").set_value("nothing like this").run()
    assert "没有符合筛选条件的问题" in app.info[0].value
    next(button for button in app.button if button.label == "清除筛选").click().run()
    assert len(numbers(app)) == 8


def test_sorting_is_chosen_on_the_page(make_app, seeded):
    app = ledger(make_app)
    app.selectbox(key="ledger_sort").set_value("number").run()
    app.segmented_control(key="ledger_direction").set_value("ascending").run()
    assert numbers(app) == sorted(seeded)


def test_pages_of_rows(make_app, app_db):
    database = open_database(app_db)
    with database.write() as cursor:
        for n in range(1, 61):
            insert_finding(cursor, make_finding(f"2026-{n:04d}", deadline=TODAY + timedelta(days=n)))
    database.close()
    app = ledger(make_app)
    app.selectbox(key="ledger_sort").set_value("number").run()
    app.segmented_control(key="ledger_direction").set_value("ascending").run()
    assert numbers(app)[0] == "2026-0001" and len(numbers(app)) == 25
    next_page = next(button for button in app.button if button.label == "下一页")
    next_page.click().run()
    assert numbers(app)[0] == "2026-0026"
    assert any("共 60 个问题，第 2 / 3 页" in caption.value for caption in app.caption)
    app.selectbox(key="ledger_page_size").set_value(50).run()
    assert len(numbers(app)) == 50 and any("第 1 / 2 页" in caption.value for caption in app.caption)


def test_a_unit_sees_only_its_own_findings(make_app, seeded):
    app = ledger(make_app, user=UNIT)
    assert sorted(numbers(app)) == ["2026-0005", "2026-0006", "2026-0007", "2026-0008"]
    assert any(GUANGMING in caption.value for caption in app.caption)
    with pytest.raises(KeyError):
        app.selectbox(key="ledger_unit")


def test_tapping_a_row_opens_the_finding(make_app, seeded):
    app = ledger(make_app)
    app.session_state["ledger_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    assert not app.exception
    assert shown(app.title[0].value) == "问题 2026-0001"


def test_supervisor_exports_what_is_shown(make_app, seeded):
    app = ledger(make_app)
    app.pills(key="ledger_status").set_value([Status.CLOSED]).run()
    prepare = next(button for button in app.button if button.label.startswith("生成文件"))
    assert "（1 个问题）" in prepare.label
    prepare.click().run()
    assert not app.exception and not app.error
    assert app.download_button[0].label.startswith("下载 整改台账-") and app.download_button[0].label.endswith(".xlsx")


def test_no_notice_when_nothing_is_open_is_said_plainly(make_app, seeded):
    app = ledger(make_app)
    app.pills(key="ledger_status").set_value([Status.CLOSED]).run()
    app.segmented_control(key="ledger_export_format").set_value("pdf").run()
    next(button for button in app.button if button.label.startswith("生成文件")).click().run()
    assert error_text(app.error[0]) == "当前筛选下没有未销号的问题，无需生成整改通知书。"


def test_inspectors_browse_but_do_not_export(make_app, seeded):
    app = ledger(make_app, user=INSPECTOR)
    assert len(numbers(app)) == 8
    assert not [button for button in app.button if button.label.startswith("生成文件")]


def test_an_empty_ledger_says_so(make_app):
    app = ledger(make_app, language="en")
    assert app.info[0].value.startswith("The ledger holds no findings yet")

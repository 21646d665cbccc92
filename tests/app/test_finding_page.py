"""The finding page in AppTest: details, photos, history, and the life cycle through the forms."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from audit.model import Role, Status, User, new_id
from audit.photos import prepare_photo
from audit.services import rectification
from audit.store import open_database
from audit.store.findings import get_finding
from audit.store.photos import attach_photo, save_photo
from tests.app.screen import error_text
from tests.factories import GUOSHENG, INSPECTOR, SUPERVISOR, UNIT, picture, seed_ledger
from tests.markdown import shown

FINDING = "audit/ui/finding.py"
OTHER_UNIT = User(new_id(), "guangming", "光明社区", Role.UNIT, unit="光明社区居委会")


@pytest.fixture
def seeded(app_db):
    database = open_database(app_db)
    ids = seed_ledger(database)
    database.close()
    return ids


def open_finding(make_app, signed_in, finding_id, user, language=None):
    app = make_app(language)
    signed_in(app, user)
    app.run()
    app.query_params["id"] = finding_id
    app.switch_page(FINDING).run()
    assert not app.exception, app.exception
    return app


def stored(app_db, finding_id):
    database = open_database(app_db)
    try:
        with database.read() as cursor:
            return get_finding(cursor, finding_id)
    finally:
        database.close()


def texts(app) -> str:
    return "\n".join(element.value for element in [*app.markdown, *app.caption])


def submit(app, label: str):
    next(button for button in app.button if button.label == label).click().run()
    return app


def test_details_and_history_are_shown(make_app, seeded, signed_in):
    app = open_finding(make_app, signed_in, seeded["2026-0006"], SUPERVISOR)
    assert shown(app.title[0].value) == "问题 2026-0006"
    page = shown(texts(app))
    for expected in ("光明发热门诊", "问题 2026-0006", "光明社区居委会", "陈明", "王芳", "2026-03-09 10:00"):
        assert expected in page
    assert "重新整改" in [expander.label for expander in app.expander][0]  # the one step a closed finding allows


def test_a_unit_reports_its_fix_through_the_form(make_app, app_db, seeded, signed_in):
    finding_id = seeded["2026-0003"]
    app = open_finding(make_app, signed_in, finding_id, UNIT)
    app.text_area(key="text_reported").set_value("已为全体工作人员配发防护用品并培训")
    submit(app, "提交")
    assert not app.error, error_text(app.error[0])
    assert app.success[0].value == "已保存。"
    after = stored(app_db, finding_id)
    assert (after.status, after.fix_report, after.reported_by) == (
        Status.AWAITING_VERIFICATION,
        "已为全体工作人员配发防护用品并培训",
        "guosheng",
    )
    assert "上报整改情况" in texts(app)  # now in the history
    assert "已为全体工作人员配发防护用品并培训" in texts(app)


def test_an_empty_report_is_refused_in_chinese(make_app, app_db, seeded, signed_in):
    app = open_finding(make_app, signed_in, seeded["2026-0003"], UNIT)
    submit(app, "提交")
    assert error_text(app.error[0]) == "请填写整改情况（做了什么）后再提交。"
    assert stored(app_db, seeded["2026-0003"]).status is Status.OPEN


def test_the_verifier_closes_a_finding(make_app, app_db, seeded, signed_in):
    finding_id = seeded["2026-0004"]
    app = open_finding(make_app, signed_in, finding_id, INSPECTOR)
    labels = [expander.label for expander in app.expander]
    assert labels == ["核验通过，销号", "核验不通过，退回整改"]
    app.text_area(key="text_accepted").set_value("现场复核属实")
    app.button[[b.label for b in app.button].index("提交")].click().run()
    assert stored(app_db, finding_id).status is Status.CLOSED


def test_someone_elses_newer_change_is_not_overwritten(make_app, app_db, seeded, signed_in):
    finding_id = seeded["2026-0003"]
    app = open_finding(make_app, signed_in, finding_id, UNIT)  # the unit opens version 1
    database = open_database(app_db)
    rectification.reassign(
        database, SUPERVISOR, finding_id, version=1, deadline=date(2026, 3, 31), now=datetime(2026, 3, 10, 16, 45)
    )
    database.close()
    app.text_area(key="text_reported").set_value("已整改")
    submit(app, "提交")
    assert error_text(app.error[0]) == (
        "问题 2026-0003 已被 王芳 于 2026-03-10 16:45 修改，你的操作没有保存。请点“重新加载”查看最新内容后再办理。"
    )
    after = stored(app_db, finding_id)
    assert (after.status, after.deadline, after.fix_report) == (Status.OPEN, date(2026, 3, 31), "")
    submit(app, "重新加载")
    app.text_area(key="text_reported").set_value("已整改")
    submit(app, "提交")
    assert stored(app_db, finding_id).status is Status.AWAITING_VERIFICATION


def test_photos_before_and_after_with_full_size(make_app, app_db, seeded, signed_in):
    finding_id = seeded["2026-0001"]
    database = open_database(app_db)
    with database.write() as cursor:
        photo = prepare_photo(picture())
        save_photo(cursor, photo, datetime(2026, 3, 1, 23, 5))
        attach_photo(cursor, finding_id, photo.sha256, stage="found", added_by="chenming", now=datetime(2026, 3, 1))
    database.close()
    app = open_finding(make_app, signed_in, finding_id, SUPERVISOR)
    assert len(app.image) == 1
    assert "没有照片。" in [caption.value for caption in app.caption]  # nothing after yet
    submit(app, "查看原图")
    assert not app.exception


def test_a_unit_is_told_another_units_finding_is_not_found(make_app, seeded, signed_in):
    app = open_finding(make_app, signed_in, seeded["2026-0001"], OTHER_UNIT)
    assert error_text(app.error[0]) == "没有找到这个问题，可能链接有误。"
    page = [element.value for element in app.main if isinstance(getattr(element, "value", None), str)]
    assert not any(GUOSHENG in text or "2026-0001" in text for text in page)


def test_no_id_or_a_wrong_id(make_app, seeded, signed_in):
    app = make_app("en")
    signed_in(app, SUPERVISOR)
    app.run()
    app.switch_page(FINDING).run()
    assert app.info[0].value == "Choose a finding in the rectification ledger."
    app.query_params["id"] = "no-such-finding"
    app.run()
    assert error_text(app.error[0]) == "There is no such finding; the link may be wrong."

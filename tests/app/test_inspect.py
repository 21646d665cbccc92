"""The inspection pages through Streamlit's AppTest: start, walk, findings, resume, submit, correct."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from PIL import Image

from audit.model import Result, Role, SiteKind, Text, User
from audit.services import inspections as service
from audit.services.checklists import checklists_directory, sync_checklists
from audit.store import audit_log, open_database
from audit.store.findings import findings_of_inspection
from tests.app.conftest import SignIn
from tests.app.screen import error_text
from tests.factories import add_site, add_user, make_finding, make_site
from tests.markdown import shown

INSPECT = "audit/ui/inspect.py"
MY = "audit/ui/my_inspections.py"
CHEN = User(id="u-chen", username="chen", display_name="陈明", role=Role.INSPECTOR)


@pytest.fixture
def sites(app_db):
    """Three sites and the shipped checklists in the database the app will open."""
    database = open_database(app_db)
    sync_checklists(database, checklists_directory())
    with database.write() as cursor:
        add_user(cursor, CHEN)  # the account this module's sessions sign in as; see SignIn.like
    made = {
        "guosheng": add_site(
            database,
            make_site("国胜社区集中隔离点", "Guosheng isolation point", community=Text("国胜社区", "Guosheng")),
        ),
        "park": add_site(
            database, make_site("观音山科技园区", "Guanyinshan technology park", kind=SiteKind.ENTERPRISE)
        ),
        "clinic": add_site(
            database, make_site("人民医院发热门诊", "People's hospital fever clinic", kind=SiteKind.FEVER_CLINIC)
        ),
    }
    database.close()
    return made


def signed_in(make_app, language: str | None = None, page: str = INSPECT, **query):
    app = make_app(language)
    SignIn()(app, CHEN)
    app.run()
    app.switch_page(page)
    app.query_params.update(query)
    return app.run()


def started(app_db, site, checklist_id: str = "quarantine_transfer") -> str:
    database = open_database(app_db)
    inspection = service.start_inspection(
        database,
        CHEN,
        site_id=site.id,
        checklist_id=checklist_id,
        inspectors=["陈明"],
        started_at=datetime.now() - timedelta(minutes=5),
    )
    database.close()
    return inspection.id


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "navy").save(buffer, format="JPEG")
    return buffer.getvalue()


# --- start -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["国胜", "guosheng"])
def test_the_site_is_found_by_part_of_its_name_in_either_language(make_app, sites, typed):
    app = signed_in(make_app)
    assert app.title[0].value == "开始检查"
    app.text_input(key="inspect.start.text").input(typed).run()
    options = app.radio(key="inspect.start.site").options
    assert len(options) == 1 and "国胜社区集中隔离点" in options[0]


def test_the_site_list_narrows_by_kind(make_app, sites):
    app = signed_in(make_app, "en")
    app.selectbox(key="inspect.start.kind").set_value("enterprise").run()
    assert [o.split("**")[1] for o in app.radio(key="inspect.start.site").options] == ["Guanyinshan technology park"]


def test_the_site_list_narrows_by_subdistrict_and_community(make_app, sites):
    app = signed_in(make_app)
    assert app.selectbox(key="inspect.start.community").disabled
    app.selectbox(key="inspect.start.sub").set_value("虹桥街道").run()
    app.selectbox(key="inspect.start.community").set_value("国胜社区").run()
    assert [o.split("**")[1] for o in app.radio(key="inspect.start.site").options] == ["国胜社区集中隔离点"]


def test_only_checklists_for_the_kind_of_site_are_offered(make_app, sites):
    app = signed_in(make_app, "en")
    app.radio(key="inspect.start.site").set_value(sites["park"].id).run()
    checklists = app.button_group(key=f"inspect.start.checklist.{sites['park'].id}").options
    assert sorted(shown(option) for option in checklists) == [
        "Business resumption",
        "Food safety",
        "Isolation-point management and health monitoring",
    ]


def test_starting_records_the_team_and_puts_the_inspection_in_the_address(make_app, sites, app_db):
    app = signed_in(make_app)
    app.radio(key="inspect.start.site").set_value(sites["guosheng"].id).run()
    app.button_group(key=f"inspect.start.checklist.{sites['guosheng'].id}").set_value("quarantine_transfer").run()
    assert app.multiselect(key="inspect.start.team").value == ["陈明"]
    app.multiselect(key="inspect.start.team").select("王芳").run()
    app.button(key="inspect.start.go").click().run()
    inspection_id = app.query_params["inspection"]
    assert app.title[0].value == "国胜社区集中隔离点"
    database = open_database(app_db)
    sheet = service.inspection_sheet(database, CHEN, inspection_id)
    assert sheet.inspection.inspectors == ["陈明", "王芳"] and sheet.checklist.id == "quarantine_transfer"


def test_a_time_in_the_future_is_refused_with_a_message(make_app, sites):
    app = signed_in(make_app)
    app.radio(key="inspect.start.site").set_value(sites["guosheng"].id).run()
    app.button_group(key=f"inspect.start.checklist.{sites['guosheng'].id}").set_value("ppe_use").run()
    app.datetime_input(key="inspect.start.when").set_value(datetime.now() + timedelta(days=1)).run()
    app.button(key="inspect.start.go").click().run()
    assert "inspection" not in app.query_params
    assert "检查时间不能晚于现在" in error_text(app.error[0])


def test_no_checklist_chosen_says_so(make_app, sites):
    app = signed_in(make_app, "en")
    app.radio(key="inspect.start.site").set_value(sites["guosheng"].id).run()
    app.button(key="inspect.start.go").click().run()
    assert error_text(app.error[0]) == "Checklist: choose one."


# --- walking and resuming ------------------------------------------------------------------------------


def result_key(inspection_id: str, item_id: str) -> str:
    return f"inspect:{inspection_id}:{item_id}:result"


def test_answers_and_typed_finding_text_survive_a_reload(make_app, sites, app_db):
    inspection_id = started(app_db, sites["guosheng"])
    app = signed_in(make_app, inspection=inspection_id)
    app.segmented_control(key=result_key(inspection_id, "QT-01")).set_value("pass").run()
    app.segmented_control(key=result_key(inspection_id, "QT-02")).set_value("fail").run()
    assert any(c.value.startswith("✓ 已保存") for c in app.caption)
    description = next(a for a in app.text_area if a.key.endswith(":description"))
    assert description.value == "转运前已向街道报告，由街道统一调度专用转运车辆"
    description.input("<b>未报告</b>，私家车转运").run()

    reloaded = signed_in(make_app, inspection=inspection_id)
    assert reloaded.subheader[0].value == "转运前"  # where the unsaved finding is
    assert reloaded.segmented_control(key=result_key(inspection_id, "QT-01")).value == "pass"
    assert reloaded.segmented_control(key=result_key(inspection_id, "QT-02")).value == "fail"
    kept = next(a for a in reloaded.text_area if a.key.endswith(":description"))
    assert kept.value == "<b>未报告</b>，私家车转运"


def test_a_reload_resumes_at_the_first_part_with_unanswered_items(make_app, sites, app_db):
    inspection_id = started(app_db, sites["guosheng"])
    database = open_database(app_db)
    for item_id in ("QT-01", "QT-02"):
        service.record_response(database, CHEN, inspection_id, item_id, result=Result.PASS)
    database.close()
    app = signed_in(make_app, inspection=inspection_id)
    assert app.subheader[0].value == "转运中"


def test_my_inspections_resumes_a_draft(make_app, sites, app_db):
    inspection_id = started(app_db, sites["guosheng"])
    database = open_database(app_db)
    service.record_response(database, CHEN, inspection_id, "QT-01", result=Result.NA)
    database.close()
    app = signed_in(make_app, page=MY)
    assert app.title[0].value == "我的检查"
    assert "国胜社区集中隔离点" in app.markdown[0].value
    app.button(key=f"resume-{inspection_id}").click().run()
    assert app.query_params["inspection"] == inspection_id
    assert app.segmented_control(key=result_key(inspection_id, "QT-01")).value == "na"


def test_my_inspections_says_when_there_is_nothing(make_app, sites):
    app = signed_in(make_app, "en", page=MY)
    assert texts(app.info) == ["No unfinished inspections.", "No submitted inspections yet."]


def test_a_measurement_beyond_its_limit_fails_and_opens_the_finding_form(make_app, sites, app_db):
    inspection_id = started(app_db, sites["guosheng"], "isolation_point")
    app = signed_in(make_app, "en", inspection=inspection_id)
    app.button_group(key=f"inspect:{inspection_id}:step").set_value("monitoring").run()
    assert any(m.value.startswith("Limit **") and "2 次/天" in shown(m.value) for m in app.markdown)
    app.number_input(key=f"inspect:{inspection_id}:IP-06:value").set_value(1).run()
    assert any("Beyond the limit, failed" in m.value for m in app.markdown)
    assert any(a.key.endswith(":description") for a in app.text_area)
    database = open_database(app_db)
    assert service.inspection_sheet(database, CHEN, inspection_id).result("IP-06") is Result.FAIL


# --- the finding form ----------------------------------------------------------------------------------------


def failed_item(make_app, app_db, site, item_id: str = "QT-02", language: str | None = None):
    inspection_id = started(app_db, site)
    app = signed_in(make_app, language, inspection=inspection_id)
    if item_id not in ("QT-01", "QT-02"):
        app.button_group(key=f"inspect:{inspection_id}:step").set_value("during").run()
    app.segmented_control(key=result_key(inspection_id, item_id)).set_value("fail").run()
    return inspection_id, app


def field(app, name: str):
    widgets = [*app.text_area, *app.text_input, *app.date_input]
    return next(w for w in widgets if w.key and w.key.endswith(f":{name}"))


def save_button(app):
    return next(b for b in app.button if b.key and b.key.endswith(":save"))


def test_an_empty_description_is_refused_beside_the_form(make_app, sites, app_db):
    _, app = failed_item(make_app, app_db, sites["guosheng"])
    field(app, "description").input("").run()
    save_button(app).click().run()
    assert [error_text(error) for error in app.error] == ["问题描述不能为空，请填写。"]


def test_text_fields_take_no_more_than_their_limit(make_app, sites, app_db):
    """The browser counts and stops at the limit; the service refuses longer text sent any other way."""
    _, app = failed_item(make_app, app_db, sites["guosheng"])
    limits = {
        name: field(app, name).proto.max_chars
        for name in ("description", "immediate_measure", "responsible_unit", "responsible_person", "requirement")
    }
    assert limits == {name: service.LIMITS[name] for name in limits}
    field(app, "description").input("问" * 2001).run()
    assert field(app, "description").value == "转运前已向街道报告，由街道统一调度专用转运车辆"


def test_a_deadline_before_the_inspection_is_refused(make_app, sites, app_db):
    _, app = failed_item(make_app, app_db, sites["guosheng"], language="en")
    field(app, "deadline").set_value(datetime.now().date() - timedelta(days=3)).run()
    save_button(app).click().run()
    assert error_text(app.error[0]).startswith("Deadline cannot be before the inspection date")


def test_a_photo_required_item_needs_its_photo_and_a_non_image_is_refused(make_app, sites, app_db):
    inspection_id, app = failed_item(make_app, app_db, sites["guosheng"], "QT-04")
    save_button(app).click().run()
    assert "必须有照片" in error_text(app.error[0])
    app.file_uploader[0].set_value(("car.jpg", b"this is not a photo", "image/jpeg")).run()
    assert any("照片无法使用" in error_text(e) for e in app.error)
    app.file_uploader[0].set_value(("car.jpg", jpeg(), "image/jpeg")).run()
    assert len(app.get("image")) == 1
    save_button(app).click().run()
    assert any("问题已保存" in s.value for s in app.success)
    database = open_database(app_db)
    assert service.inspection_sheet(database, CHEN, inspection_id).draft_for("QT-04").recorded


def test_a_photo_taken_with_the_camera_is_kept(make_app, sites, app_db):
    inspection_id, app = failed_item(make_app, app_db, sites["guosheng"], "QT-04")
    next(t for t in app.toggle if t.key.endswith(":camera")).set_value(True).run()
    app.camera_input[0].set_value(("shot.jpg", jpeg(), "image/jpeg")).run()
    assert len(app.get("image")) == 1
    database = open_database(app_db)
    assert len(service.inspection_sheet(database, CHEN, inspection_id).draft_for("QT-04").photos) == 1


def test_a_repeat_shows_the_earlier_finding(make_app, sites, app_db):
    from audit.store.findings import insert_finding

    database = open_database(app_db)
    earlier = make_finding(
        "2026-0042",
        site_id=sites["guosheng"].id,
        checklist_id="quarantine_transfer",
        item_id="QT-02",
        found_at=datetime.now() - timedelta(days=20),
    )
    with database.write() as cursor:
        insert_finding(cursor, earlier)
    database.close()
    _, app = failed_item(make_app, app_db, sites["guosheng"])
    warning = shown(app.warning[0].value)
    assert "重复问题" in warning and "[2026-0042](/finding?id=" in warning


def test_an_adhoc_finding_is_added_and_removed(make_app, sites, app_db):
    inspection_id = started(app_db, sites["guosheng"])
    app = signed_in(make_app, "en", inspection=inspection_id)
    app.button_group(key=f"inspect:{inspection_id}:step").set_value("_adhoc").run()
    assert texts(app.info) == ["No findings outside the checklist."]
    app.button(key=f"inspect:{inspection_id}:adhoc").click().run()
    field(app, "description").input("No duty phone number posted").run()
    assert app.button_group(key=f"inspect:{inspection_id}:step").options[-2] == "Other findings (1)"
    next(b for b in app.button if b.key and b.key.endswith(":discard")).click().run()
    assert texts(app.info) == ["No findings outside the checklist."]


# --- review, submit, correct ---------------------------------------------------------------------------------


def walked(app_db, site) -> str:
    """QT-04 failed with a saved finding and photo, everything else passed."""
    inspection_id = started(app_db, site)
    database = open_database(app_db)
    for item in service.inspection_sheet(database, CHEN, inspection_id).checklist.items:
        result = Result.FAIL if item.id == "QT-04" else Result.PASS
        service.record_response(database, CHEN, inspection_id, item.id, result=result)
    draft = service.inspection_sheet(database, CHEN, inspection_id).draft_for("QT-04")
    service.save_finding_draft(database, CHEN, draft.id, description="<script>alert(1)</script> 同乘一车")
    service.add_finding_photo(database, CHEN, draft.id, jpeg(), "car.jpg")
    service.record_finding(database, CHEN, draft.id)
    database.close()
    return inspection_id


def test_review_shows_the_score_and_blocks_until_everything_is_answered(make_app, sites, app_db):
    inspection_id, app = failed_item(make_app, app_db, sites["guosheng"], language="en")
    app.button_group(key=f"inspect:{inspection_id}:step").set_value("_review").run()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"Score (passed / applicable)": "0%", "Answered": "1 / 9", "Failed items": "1", "Findings": "1"}
    assert [error_text(w).split(":")[0] for w in app.warning] == [
        "8 items not answered yet",
        "The finding for QT-02 is not saved yet",
    ]
    assert app.button(key=f"inspect:{inspection_id}:submit").disabled


def test_submitting_numbers_the_findings_and_shows_them(make_app, sites, app_db):
    inspection_id = walked(app_db, sites["guosheng"])
    app = signed_in(make_app, inspection=inspection_id)
    assert app.subheader[0].value == "核对并提交"
    assert {m.label: m.value for m in app.metric}["得分（合格 / 适用项）"] == "89%"
    assert "<script>alert(1)</script> 同乘一车" in [shown(m.value) for m in app.markdown]
    app.checkbox(key=f"inspect:{inspection_id}:confirm").check().run()
    app.button(key=f"inspect:{inspection_id}:submit").click().run()
    assert app.success[0].value.startswith("检查已提交，登记问题 1 个：")
    database = open_database(app_db)
    with database.read() as cursor:
        findings = findings_of_inspection(cursor, inspection_id)
    assert [(f.item_id, f.status.value) for f in findings] == [("QT-04", "open")]
    assert findings[0].number in shown(app.success[0].value)
    next(b for b in app.button if b.label == "开始新检查").click().run()
    assert app.title[0].value == "开始检查" and "inspection" not in app.query_params


def test_a_correction_is_saved_with_its_reason(make_app, sites, app_db):
    inspection_id = walked(app_db, sites["guosheng"])
    database = open_database(app_db)
    service.submit_inspection(database, CHEN, inspection_id)
    database.close()
    app = signed_in(make_app, "en", inspection=inspection_id)
    prefix = f"inspect:{inspection_id}:correct"
    app.selectbox(key=f"{prefix}:item").set_value("QT-05").run()
    app.segmented_control(key=f"{prefix}:result:QT-05").set_value("na").run()
    app.button(key=f"{prefix}:save").click().run()
    assert error_text(app.error[0]) == "Reason for the correction is empty: fill it in."
    app.text_area(key=f"{prefix}:reason").input("Driver was not part of this transfer").run()
    app.button(key=f"{prefix}:save").click().run()
    assert texts(app.success)[-1] == "Correction saved and written to the audit log."
    database = open_database(app_db)
    with database.read() as cursor:
        entry = audit_log.history(cursor, "inspection", inspection_id)[-1]
    assert entry["after"]["reason"] == "Driver was not part of this transfer"
    assert (entry["before"]["answer"]["result"], entry["after"]["answer"]["result"]) == ("pass", "na")

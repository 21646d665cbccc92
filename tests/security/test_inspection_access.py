"""Another inspector cannot open, answer, fill in or submit a team's draft, nor correct its submitted
inspection; the team and a supervisor can. Every refusal is in the audit log, with who and what."""

from __future__ import annotations

import json

import pytest

from audit.errors import PermissionDenied
from audit.model import Result, Role, User
from audit.services import inspections as service
from audit.services.checklists import checklists_directory, sync_checklists
from audit.services.inspections import Answer
from audit.store import audit_log, open_database
from tests.app.conftest import SignIn
from tests.app.test_inspect import CHEN, started
from tests.factories import add_user, store_accounts
from tests.test_inspections import (
    INSPECTOR,
    NOW,
    add_site,
    jpeg,
    make_site,
    register,
    start,
    transfer_checklist,
    worked_case,
)

OUTSIDER = User(id="u-zhao", username="zhao", display_name="赵强", role=Role.INSPECTOR)
TEAM_MEMBER = User(id="u-wang", username="wang", display_name="王芳", role=Role.INSPECTOR)
SUPERVISOR = User(id="u-sun", username="sun", display_name="孙主任", role=Role.SUPERVISOR)


@pytest.fixture
def site(db):
    store_accounts(db, INSPECTOR, OUTSIDER, TEAM_MEMBER, SUPERVISOR)  # the services read each actor's account
    register(db, transfer_checklist())
    return add_site(db, make_site())


def refusals(db) -> list[dict]:
    with db.read() as cursor:
        rows = cursor.execute(
            "SELECT actor, entity_id, after::VARCHAR FROM audit_log WHERE action = 'inspection.refused' ORDER BY seq"
        ).fetchall()
    return [{"actor": actor, "inspection": entity_id, **json.loads(after)} for actor, entity_id, after in rows]


def refused(db, call, attempt: str, inspection_id: str) -> PermissionDenied:
    before = len(refusals(db))
    with pytest.raises(PermissionDenied) as raised:
        call()
    logged = refusals(db)
    assert len(logged) == before + 1
    assert logged[-1]["actor"] == OUTSIDER.username
    assert (logged[-1]["inspection"], logged[-1]["attempt"]) == (inspection_id, attempt)
    return raised.value


def test_another_inspector_cannot_open_or_change_a_draft(db, site):
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, "T-01", result=Result.FAIL, now=NOW)
    form = service.inspection_sheet(db, INSPECTOR, inspection.id).draft_for("T-01")
    adhoc = service.add_adhoc_finding(db, INSPECTOR, inspection.id, now=NOW)

    error = refused(db, lambda: service.inspection_sheet(db, OUTSIDER, inspection.id), "open", inspection.id)
    assert error.key == "inspect.error.not_on_team" and "named team" in error.text("en")
    refused(db, lambda: service.earlier_failures(db, OUTSIDER, inspection.id, "T-01"), "open", inspection.id)
    refused(
        db,
        lambda: service.record_response(db, OUTSIDER, inspection.id, "T-02", result=Result.PASS, now=NOW),
        "answer",
        inspection.id,
    )
    refused(
        db,
        lambda: service.save_finding_draft(db, OUTSIDER, form.id, description="改掉", now=NOW),
        "finding_form",
        inspection.id,
    )
    refused(db, lambda: service.record_finding(db, OUTSIDER, form.id, now=NOW), "finding_form", inspection.id)
    refused(
        db, lambda: service.add_finding_photo(db, OUTSIDER, form.id, jpeg(), "a.jpg", now=NOW), "photo", inspection.id
    )
    with_photo = service.add_finding_photo(db, INSPECTOR, form.id, jpeg(), "a.jpg", now=NOW)
    refused(
        db,
        lambda: service.draft_photo(db, OUTSIDER, form.id, with_photo.photos[0], thumbnail=True),
        "photo",
        inspection.id,
    )
    refused(db, lambda: service.add_adhoc_finding(db, OUTSIDER, inspection.id, now=NOW), "adhoc_finding", inspection.id)
    refused(db, lambda: service.discard_adhoc_finding(db, OUTSIDER, adhoc.id), "adhoc_finding", inspection.id)
    refused(db, lambda: service.submit_inspection(db, OUTSIDER, inspection.id, now=NOW), "submit", inspection.id)

    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    assert set(sheet.responses) == {"T-01"}
    assert (
        sheet.draft_for("T-01").description == form.description and sheet.draft_for("T-01").photos == with_photo.photos
    )
    assert [d.id for d in sheet.drafts if d.item_id is None] == [adhoc.id]
    with db.read() as cursor:
        assert audit_log.verify(cursor).ok


def test_a_named_team_member_works_on_the_draft(db, site):
    inspection = start(db, site)  # the team is 陈明 (who started it) and 王芳
    service.record_response(db, TEAM_MEMBER, inspection.id, "T-01", result=Result.FAIL, now=NOW)
    form = service.inspection_sheet(db, TEAM_MEMBER, inspection.id).draft_for("T-01")
    saved = service.save_finding_draft(db, TEAM_MEMBER, form.id, description="同乘一车", now=NOW)
    assert saved.updated_by == TEAM_MEMBER.username
    assert refusals(db) == []


def test_a_supervisor_off_the_team_may_not_change_a_draft(db, site):
    inspection = start(db, site)
    with pytest.raises(PermissionDenied):
        service.record_response(db, SUPERVISOR, inspection.id, "T-01", result=Result.PASS, now=NOW)
    assert refusals(db)[-1]["actor"] == SUPERVISOR.username


def test_only_the_team_or_a_supervisor_corrects_a_submitted_inspection(db, site):
    inspection = worked_case(db, site)
    service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW)

    error = refused(
        db,
        lambda: service.correct_inspection(
            db, OUTSIDER, inspection.id, reason="改成我的组", inspectors=["赵强"], now=NOW
        ),
        "correct",
        inspection.id,
    )
    assert error.key == "inspect.error.may_not_correct"
    assert refusals(db)[-1]["reason"] == "改成我的组"
    refused(
        db,
        lambda: service.correct_inspection(
            db, OUTSIDER, inspection.id, reason="x", answer=Answer("T-03", value=1), now=NOW
        ),
        "correct",
        inspection.id,
    )
    assert service.inspection_sheet(db, OUTSIDER, inspection.id).inspection.inspectors == ["陈明", "王芳"]

    by_team = service.correct_inspection(
        db, TEAM_MEMBER, inspection.id, reason="漏记一人", inspectors=["陈明", "王芳", "李强"], now=NOW
    )
    assert by_team.inspectors == ["陈明", "王芳", "李强"]
    by_supervisor = service.correct_inspection(
        db, SUPERVISOR, inspection.id, reason="测温记录看错了", answer=Answer("T-03", value=1), now=NOW
    )
    assert by_supervisor.score == 0.0
    with db.read() as cursor:
        entries = audit_log.history(cursor, "inspection", inspection.id)
        assert [(e["actor"], e["after"]["reason"]) for e in entries if e["action"] == "inspection.corrected"] == [
            ("wang", "漏记一人"),
            ("sun", "测温记录看错了"),
        ]
        assert audit_log.verify(cursor).ok


def test_a_draft_opened_by_its_address_by_another_inspector_shows_nothing_of_it(make_app, app_db):
    database = open_database(app_db)
    sync_checklists(database, checklists_directory())
    with database.write() as cursor:
        add_user(cursor, CHEN)  # who starts the draft
    site = add_site(database, make_site("国胜社区集中隔离点"))
    database.close()
    inspection_id = started(app_db, site)

    app = make_app("en")
    SignIn()(app, OUTSIDER)
    app.run()
    app.query_params["inspection"] = inspection_id
    app.switch_page("audit/ui/inspect.py").run()
    assert not app.exception
    assert "named team" in app.error[0].value
    assert [group.key for group in app.get("button_group")] == ["language"] and not app.text_area
    assert "国胜社区集中隔离点" not in " ".join(element.value for element in [*app.title, *app.caption])
    database = open_database(app_db)
    try:
        logged = refusals(database)
    finally:
        database.close()
    assert [(entry["actor"], entry["inspection"], entry["attempt"]) for entry in logged] == [
        (OUTSIDER.username, inspection_id, "open")
    ]

"""The inspector's work through the services, on a real DuckDB: start, answer, findings, submit, correct."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from audit.errors import IllegalTransition, InvalidInput, PermissionDenied
from audit.model import (
    Checklist,
    Item,
    ResponseType,
    Result,
    Role,
    Section,
    Severity,
    Site,
    SiteKind,
    Status,
    Text,
    User,
    new_id,
)
from audit.services import inspections as service
from audit.services.inspections import Answer
from audit.store import audit_log
from audit.store.findings import findings_of_inspection, get_finding, insert_finding
from audit.store.photos import photos_of_finding
from tests.factories import FIELD_INSPECTOR as INSPECTOR
from tests.factories import INSPECTION_NOW as NOW
from tests.factories import (
    add_site,
    answer_all,
    jpeg,
    make_finding,
    make_site,
    register,
    store_accounts,
    stored_form,
    transfer_checklist,
)

STARTED = datetime(2026, 3, 1, 23, 0)
UNIT_ACCOUNT = User(id="u-unit", username="guosheng", display_name="国胜社区", role=Role.UNIT, unit="国胜社区居委会")


def enterprise_checklist() -> Checklist:
    checklist = Checklist(
        id="resumption_test",
        version=1,
        title=Text("复工测试", "Resumption test"),
        site_kinds=(SiteKind.ENTERPRISE,),
        sections=(
            Section(
                "s",
                Text("材料", "Papers"),
                (Item("R-01", Text("复工承诺书", "Commitment letter"), Severity.MINOR, ResponseType.PASS_FAIL),),
            ),
        ),
    )
    return stored_form(checklist)


@pytest.fixture(autouse=True)
def stored_accounts(db):
    store_accounts(db, INSPECTOR, UNIT_ACCOUNT)


@pytest.fixture
def site(db) -> Site:
    register(db, transfer_checklist(), enterprise_checklist())
    return add_site(db, make_site())


def start(db, site: Site, **changes):
    values = dict(
        site_id=site.id, checklist_id="transfer_test", inspectors=["陈明", "王芳"], started_at=STARTED, now=NOW
    )
    values.update(changes)
    return service.start_inspection(db, INSPECTOR, **values)


def draft_of(db, inspection_id: str, item_id: str | None):
    sheet = service.inspection_sheet(db, INSPECTOR, inspection_id)
    return next(d for d in sheet.drafts if d.item_id == item_id)


def problem(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        call()
    return raised.value


# --- starting -------------------------------------------------------------------------------------


def test_starting_records_the_team_the_time_and_the_checklist_version(db, site):
    inspection = start(db, site)
    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    assert sheet.inspection.inspectors == ["陈明", "王芳"]
    assert sheet.inspection.started_at == STARTED
    assert sheet.inspection.status == "draft"
    assert (sheet.inspection.checklist_version, sheet.inspection.checklist_hash) == (
        1,
        transfer_checklist().content_hash,
    )
    with db.read() as cursor:
        assert [e["action"] for e in audit_log.history(cursor, "inspection", inspection.id)] == ["inspection.started"]


def test_only_checklists_for_the_sites_kind_are_offered(db, site):
    assert [c.id for c in service.checklists_for(db, INSPECTOR, site.id)] == ["transfer_test"]
    error = problem(lambda: start(db, site, checklist_id="resumption_test"))
    assert error.field == "checklist"
    assert "does not apply" in error.message


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"started_at": NOW + timedelta(hours=2)}, "started_at", "cannot be in the future"),
        ({"started_at": None}, "started_at", "is empty"),
        ({"inspectors": ["  ", ""]}, "inspectors", "is empty"),
        ({"inspectors": ["陈" * 51]}, "inspectors", "longer than 50"),
        ({"site_id": None}, "site", "choose one"),
    ],
)
def test_bad_start_names_the_field_and_what_to_do(db, site, changes, field, words):
    error = problem(lambda: start(db, site, **changes))
    assert error.field == field
    assert words in error.message


def test_errors_read_in_chinese_too(db, site):
    error = problem(lambda: start(db, site, started_at=NOW + timedelta(days=1)))
    assert error.text("zh-CN") == "检查时间不能晚于现在（2026-03-01 23:30），请填写实际检查时间。"


def test_a_unit_account_may_not_inspect_a_site_it_does_not_run(db, site):
    other = User(id="u-other", username="other", display_name="别的单位", role=Role.UNIT, unit="别的单位")
    with pytest.raises(PermissionDenied):
        service.start_inspection(
            db, other, site_id=site.id, checklist_id="transfer_test", inspectors=["x"], started_at=STARTED, now=NOW
        )


def test_the_team_is_deduplicated_and_trimmed(db, site):
    inspection = start(db, site, inspectors=[" 陈明 ", "陈明", "王芳", ""])
    assert inspection.inspectors == ["陈明", "王芳"]


# --- answering --------------------------------------------------------------------------------------


def test_each_answer_is_in_the_database_at_once_and_a_new_one_replaces_it(db, site):
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.FAIL, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.PASS, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-01", result=Result.NA, now=NOW)
    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    assert {item_id: r.result for item_id, r in sheet.responses.items()} == {"T-02": Result.PASS, "T-01": Result.NA}
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=None, now=NOW)
    assert "T-02" not in service.inspection_sheet(db, INSPECTOR, inspection.id).responses


def test_the_same_answer_twice_is_saved_once(db, site):
    inspection = start(db, site)
    for _ in range(2):
        service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.PASS, now=NOW)
    with db.read() as cursor:
        actions = [e["action"] for e in audit_log.history(cursor, "inspection", inspection.id)]
    assert actions == ["inspection.started", "inspection.answered"]


@pytest.mark.parametrize("value, result", [(1, Result.FAIL), (2, Result.PASS), (4, Result.PASS)])
def test_a_measurement_beyond_its_limit_fails_the_item_by_itself(db, site, value, result):
    inspection = start(db, site)
    response = service.record_response(db, INSPECTOR, inspection.id, "T-03", value=value, now=NOW)
    assert response.result is result
    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    assert (sheet.draft_for("T-03") is not None) == (result is Result.FAIL)


def test_a_failed_item_opens_its_finding_form_with_defaults(db, site):
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, "T-01", result=Result.FAIL, language="en", now=NOW)
    draft = draft_of(db, inspection.id, "T-01")
    assert draft.description == "Staff do not ride with people to be isolated"
    assert draft.severity is Severity.CRITICAL
    assert draft.responsible_unit == "国胜社区居委会"
    assert service.effective_deadline(draft, inspection) == date(2026, 3, 2)


def test_flipping_a_failure_back_keeps_what_was_typed(db, site):
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.FAIL, now=NOW)
    draft = draft_of(db, inspection.id, "T-02")
    service.save_finding_draft(db, INSPECTOR, draft.id, description="只戴一层普通口罩", now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.PASS, now=NOW)
    assert service.inspection_sheet(db, INSPECTOR, inspection.id).active_drafts == []
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.FAIL, now=NOW)
    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    assert [d.description for d in sheet.active_drafts] == ["只戴一层普通口罩"]


def test_score_is_passed_over_applicable(db, site):
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, "T-01", result=Result.NA, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.FAIL, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-03", value=2, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-04", text="备注", now=NOW)
    assert service.inspection_sheet(db, INSPECTOR, inspection.id).score == 0.5


# --- finding forms --------------------------------------------------------------------------------------


def failed(db, site, item_id: str = "T-02"):
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, item_id, result=Result.FAIL, now=NOW)
    return inspection, draft_of(db, inspection.id, item_id)


def test_typed_text_with_html_is_kept_as_typed(db, site):
    _, draft = failed(db, site)
    typed = "<script>alert('x')</script> 口罩 & =SUM(A1)"
    service.save_finding_draft(db, INSPECTOR, draft.id, description=typed, responsible_person="李书记", now=NOW)
    service.record_finding(db, INSPECTOR, draft.id, now=NOW)
    saved = service.inspection_sheet(db, INSPECTOR, draft.inspection_id).drafts[0]
    assert (saved.description, saved.responsible_person, saved.recorded) == (typed, "李书记", True)


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"description": "   "}, "description", "is empty"),
        ({"description": "问" * 2001}, "description", "at most 2000 characters and has 2001"),
        ({"responsible_unit": ""}, "responsible_unit", "is empty"),
        ({"requirement": "x" * 2001}, "requirement", "at most 2000"),
        ({"deadline": date(2026, 2, 28)}, "deadline", "cannot be before the inspection date 2026-03-01"),
    ],
)
def test_a_finding_with_bad_fields_is_not_saved(db, site, changes, field, words):
    _, draft = failed(db, site)
    service.save_finding_draft(db, INSPECTOR, draft.id, now=NOW, **changes)
    error = problem(lambda: service.record_finding(db, INSPECTOR, draft.id, now=NOW))
    assert (error.field, words in error.message) == (field, True)
    assert draft_of(db, draft.inspection_id, "T-02").recorded is False


def test_a_photo_required_item_needs_a_photo(db, site):
    _, draft = failed(db, site, "T-01")
    error = problem(lambda: service.record_finding(db, INSPECTOR, draft.id, now=NOW))
    assert error.field == "photos"
    service.add_finding_photo(db, INSPECTOR, draft.id, jpeg(), "car.jpg", now=NOW)
    assert service.record_finding(db, INSPECTOR, draft.id, now=NOW).recorded


def test_photos_are_checked_by_content_and_stored_once(db, site):
    _, draft = failed(db, site)
    with pytest.raises(InvalidInput) as raised:
        service.add_finding_photo(db, INSPECTOR, draft.id, b"not a picture at all", "fake.jpg", now=NOW)
    assert raised.value.field == "photo"
    assert "fake.jpg：照片无法使用" in raised.value.text("zh-CN")
    service.add_finding_photo(db, INSPECTOR, draft.id, jpeg(), "a.jpg", now=NOW)
    kept = service.add_finding_photo(db, INSPECTOR, draft.id, jpeg(), "same-again.jpg", now=NOW)
    assert len(kept.photos) == 1
    assert service.draft_photo(db, INSPECTOR, draft.id, kept.photos[0], thumbnail=True)
    removed = service.remove_finding_photo(db, INSPECTOR, draft.id, kept.photos[0], now=NOW)
    assert removed.photos == []


def test_a_photo_over_the_size_limit_is_refused(db, site):
    _, draft = failed(db, site)
    with pytest.raises(InvalidInput) as raised:
        service.add_finding_photo(db, INSPECTOR, draft.id, b"\xff\xd8" + bytes(16 * 2**20), "huge.jpg", now=NOW)
    assert raised.value.field == "photo" and "the limit is 15 MB" in raised.value.message
    assert draft_of(db, draft.inspection_id, "T-02").photos == []


def test_editing_a_saved_finding_takes_it_back_to_draft(db, site):
    _, draft = failed(db, site)
    service.record_finding(db, INSPECTOR, draft.id, now=NOW)
    edited = service.save_finding_draft(db, INSPECTOR, draft.id, requirement="全员培训", now=NOW)
    assert edited.recorded is False


def test_saving_an_unchanged_field_keeps_a_saved_finding_saved(db, site):
    _, draft = failed(db, site)
    saved = service.record_finding(db, INSPECTOR, draft.id, now=NOW)
    again = service.save_finding_draft(db, INSPECTOR, draft.id, description=saved.description, now=NOW)
    assert again.recorded is True


def test_ad_hoc_findings_use_the_same_form_and_can_be_removed(db, site):
    inspection = start(db, site)
    draft = service.add_adhoc_finding(db, INSPECTOR, inspection.id, now=NOW)
    assert (draft.item_id, draft.responsible_unit) == (None, "国胜社区居委会")
    assert problem(lambda: service.record_finding(db, INSPECTOR, draft.id, now=NOW)).field == "description"
    other = service.add_adhoc_finding(db, INSPECTOR, inspection.id, now=NOW)
    service.discard_adhoc_finding(db, INSPECTOR, other.id)
    assert [d.id for d in service.inspection_sheet(db, INSPECTOR, inspection.id).drafts] == [draft.id]


# --- repeats ------------------------------------------------------------------------------------------------


def earlier_finding(db, site: Site, *, days_ago: int, item_id: str = "T-02", site_id: str | None = None):
    finding = make_finding(
        f"2026-09{days_ago:02d}",
        site_id=site_id or site.id,
        checklist_id="transfer_test",
        item_id=item_id,
        found_at=STARTED - timedelta(days=days_ago),
    )
    with db.write() as cursor:
        insert_finding(cursor, finding)
    return finding


def test_an_earlier_failure_of_the_same_item_here_is_shown_and_linked(db, site):
    recent = earlier_finding(db, site, days_ago=10)
    older = earlier_finding(db, site, days_ago=40)
    earlier_finding(db, site, days_ago=91)
    earlier_finding(db, site, days_ago=5, item_id="T-01")
    earlier_finding(db, site, days_ago=5, site_id=new_id())
    inspection, draft = failed(db, site)
    assert draft.earlier == [recent.id, older.id]
    assert [f.number for f in service.earlier_failures(db, INSPECTOR, inspection.id, "T-02")] == [
        recent.number,
        older.number,
    ]
    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    assert set(sheet.earlier) == {recent.id, older.id}

    service.record_finding(db, INSPECTOR, draft.id, now=NOW)
    answer_all(db, inspection.id, **{"T-02": Result.FAIL})
    finding = service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW).findings[0]
    assert finding.repeat_of == [recent.id]
    with db.read() as cursor:
        assert cursor.execute("SELECT is_repeat FROM findings WHERE id = ?", [finding.id]).fetchone()[0] is True


def test_no_earlier_failure_means_no_repeat(db, site):
    inspection, draft = failed(db, site)
    assert draft.earlier == []
    service.record_finding(db, INSPECTOR, draft.id, now=NOW)
    answer_all(db, inspection.id, **{"T-02": Result.FAIL})
    assert service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW).findings[0].repeat_of == []


# --- submitting -------------------------------------------------------------------------------------------


def test_unanswered_items_and_unsaved_findings_block_submission(db, site):
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.FAIL, now=NOW)
    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    messages = [p.message for p in service.submit_problems(sheet)]
    assert messages == [
        "3 items not answered yet: T-01, T-03, T-04. Mark those that do not apply as N/A.",
        "The finding for T-02 is not saved yet: fill it in and press Save finding.",
    ]
    with pytest.raises(InvalidInput):
        service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW)
    with db.read() as cursor:
        assert cursor.execute("SELECT count(*) FROM findings").fetchone()[0] == 0


def worked_case(db, site):
    """The article's case: private car and a single ordinary mask at an isolation point, 23:00."""
    inspection = start(db, site)
    service.record_response(db, INSPECTOR, inspection.id, "T-01", result=Result.FAIL, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.FAIL, now=NOW)
    ride, mask = draft_of(db, inspection.id, "T-01"), draft_of(db, inspection.id, "T-02")
    service.save_finding_draft(
        db,
        INSPECTOR,
        ride.id,
        description="社区书记用私家车转运两名外省返回人员",
        immediate_measure="当事人就地隔离，车辆消毒",
        responsible_person="社区书记",
        now=NOW,
    )
    service.add_finding_photo(db, INSPECTOR, ride.id, jpeg("blue"), "car.jpg", now=NOW)
    service.save_finding_draft(
        db, INSPECTOR, mask.id, description="仅佩戴一层普通口罩", requirement="接触外来人员时全员做好防护", now=NOW
    )
    service.record_finding(db, INSPECTOR, ride.id, now=NOW)
    service.record_finding(db, INSPECTOR, mask.id, now=NOW)
    adhoc = service.add_adhoc_finding(db, INSPECTOR, inspection.id, now=NOW)
    service.save_finding_draft(db, INSPECTOR, adhoc.id, description="隔离点无值班电话公示", severity="minor", now=NOW)
    service.record_finding(db, INSPECTOR, adhoc.id, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-03", value=2, now=NOW)
    service.record_response(db, INSPECTOR, inspection.id, "T-04", text="夜间检查", now=NOW)
    return inspection


def test_submitting_numbers_and_opens_the_findings_in_one_go(db, site):
    with db.write() as cursor:
        from audit.store.findings import allocate_number

        allocate_number(cursor, 2026)  # an earlier finding this year took 2026-0001
    inspection = worked_case(db, site)
    submitted = service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW)
    assert [f.number for f in submitted.findings] == ["2026-0002", "2026-0003", "2026-0004"]
    assert submitted.inspection.status == "submitted"
    assert submitted.inspection.score == pytest.approx(1 / 3)
    with db.read() as cursor:
        stored = findings_of_inspection(cursor, inspection.id)
        assert {f.status for f in stored} == {Status.OPEN}
        ride = next(f for f in stored if f.item_id == "T-01")
        assert ride.immediate_measure == "当事人就地隔离，车辆消毒"
        assert ride.severity is Severity.CRITICAL and ride.deadline == date(2026, 3, 2)
        assert ride.inspector == "陈明、王芳" and ride.found_at == STARTED
        assert [p.stage for p in photos_of_finding(cursor, ride.id)] == ["found"]
        adhoc = next(f for f in stored if f.item_id is None)
        assert (adhoc.checklist_id, adhoc.severity, adhoc.deadline) == (None, Severity.MINOR, date(2026, 3, 8))
        assert cursor.execute("SELECT count(*) FROM finding_drafts").fetchone()[0] == 0
        actions = [e["action"] for e in audit_log.history(cursor, "inspection", inspection.id)]
        assert actions[-1] == "inspection.submitted"
        for finding in stored:
            assert [e["action"] for e in audit_log.history(cursor, "finding", finding.id)] == ["finding.recorded"]
        assert audit_log.verify(cursor).ok


def test_a_submitted_inspection_is_read_only(db, site):
    inspection = worked_case(db, site)
    service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW)
    with pytest.raises(IllegalTransition):
        service.record_response(db, INSPECTOR, inspection.id, "T-02", result=Result.PASS, now=NOW)
    with pytest.raises(IllegalTransition):
        service.add_adhoc_finding(db, INSPECTOR, inspection.id, now=NOW)
    with pytest.raises(IllegalTransition):
        service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW)


def test_a_correction_needs_a_reason_and_is_logged_with_before_and_after(db, site):
    inspection = worked_case(db, site)
    service.submit_inspection(db, INSPECTOR, inspection.id, now=NOW)
    assert (
        problem(
            lambda: service.correct_inspection(
                db, INSPECTOR, inspection.id, reason=" ", answer=Answer("T-03", value=1), now=NOW
            )
        ).field
        == "reason"
    )
    corrected = service.correct_inspection(
        db, INSPECTOR, inspection.id, reason="测温记录看错了", answer=Answer("T-03", value=1), now=NOW
    )
    assert corrected.score == 0.0 and corrected.version == 3
    sheet = service.inspection_sheet(db, INSPECTOR, inspection.id)
    assert sheet.responses["T-03"].result is Result.FAIL
    with db.read() as cursor:
        entry = audit_log.history(cursor, "inspection", inspection.id)[-1]
    assert entry["action"] == "inspection.corrected"
    assert entry["before"]["answer"]["value"] == 2 and entry["after"]["answer"]["value"] == 1
    assert entry["after"]["reason"] == "测温记录看错了"


def test_a_draft_is_changed_directly_not_corrected(db, site):
    inspection = start(db, site)
    with pytest.raises(IllegalTransition):
        service.correct_inspection(db, INSPECTOR, inspection.id, reason="x", inspectors=["陈明"], now=NOW)


# --- my inspections -------------------------------------------------------------------------------------------


def test_my_inspections_lists_drafts_and_submitted_with_findings(db, site):
    draft = start(db, site)
    done = worked_case(db, site)
    service.submit_inspection(db, INSPECTOR, done.id, now=NOW)
    someone_else = User(id="u-li", username="li", display_name="李强", role=Role.INSPECTOR)
    store_accounts(db, someone_else)
    service.start_inspection(
        db,
        someone_else,
        site_id=site.id,
        checklist_id="transfer_test",
        inspectors=["李强"],
        started_at=STARTED,
        now=NOW,
    )
    mine = service.my_inspections(db, INSPECTOR)
    assert [line.id for line in mine.drafts] == [draft.id]
    assert [line.id for line in mine.submitted] == [done.id]
    assert mine.submitted[0].site_zh == site.name.zh and mine.submitted[0].title_zh == "转运测试"
    assert len(mine.findings[done.id]) == 3
    # A team member named on an inspection sees it too.
    wang = User(id="u-wang", username="wang", display_name="王芳", role=Role.INSPECTOR)
    store_accounts(db, wang)
    assert [line.id for line in service.my_inspections(db, wang).submitted] == [done.id]
    with db.read() as cursor:
        assert get_finding(cursor, mine.findings[done.id][0].id) is not None

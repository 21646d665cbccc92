"""Submission numbers and opens the findings in one transaction; afterwards only corrections with a reason."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from audit.errors import IllegalTransition, InvalidInput
from audit.model import DRAFT, SUBMITTED, Finding, FindingDraft, Inspection, InspectionLine, Status, User, new_id
from audit.services.database import unit_of_work
from audit.services.inspections.access import check_correction_access, check_draft_access, refusals_logged
from audit.services.inspections.answers import Answer, resolve, store_answer
from audit.services.inspections.forms import check_finding, effective_deadline
from audit.services.inspections.problems import check_text, label
from audit.services.inspections.sheet import (
    Sheet,
    checklist_version,
    draft_record,
    earlier_of,
    inspection_of,
    inspection_record,
    item_of,
    read_sheet,
    response_record,
    score,
    still_draft,
)
from audit.services.inspections.starting import inspection_time, team_of
from audit.services.permissions import Permission, inspecting, require
from audit.store import Database, audit_log
from audit.store import inspections as store
from audit.store import photos as photo_store
from audit.store.findings import allocate_number, findings_of_inspections, insert_finding


def submit_problems(sheet: Sheet) -> list[InvalidInput]:
    """Everything that keeps the inspection from being submitted, in the order of the checklist."""
    problems = []
    if sheet.unanswered:
        ids = ", ".join(item.id for item in sheet.unanswered[:8])
        more = len(sheet.unanswered) - 8
        problems.append(
            InvalidInput(
                "inspect.error.unanswered",
                field="items",
                label=label("items"),
                count=len(sheet.unanswered),
                items=ids + (f" (+{more})" if more > 0 else ""),
            )
        )
    for draft in sheet.active_drafts:
        item = sheet.checklist.item(draft.item_id) if draft.item_id else None
        name = draft.item_id or draft.description[:30] or "—"
        if not draft.recorded:
            problems.append(InvalidInput("inspect.error.finding_not_saved", field="findings", item=name))
            continue
        try:
            check_finding(draft, sheet.inspection, item)
        except InvalidInput as problem:
            problems.append(InvalidInput("inspect.error.finding_invalid", field="findings", item=name, problem=problem))
    return problems


@dataclass(frozen=True)
class Submitted:
    inspection: Inspection
    findings: list[Finding]


@unit_of_work
def submit_inspection(database: Database, user: User, inspection_id: str, *, now: datetime | None = None) -> Submitted:
    """Number the findings, open them and close the draft, all in one transaction."""
    user = inspecting(user, database)
    now = now or datetime.now()
    with refusals_logged(database, user, "submit"), database.write() as cursor:
        inspection = check_draft_access(user, inspection_of(cursor, inspection_id, user))
        sheet = read_sheet(cursor, still_draft(inspection))
        problems = submit_problems(sheet)
        if problems:
            raise problems[0]
        findings = [_open_finding(cursor, sheet, draft, user, now) for draft in sheet.active_drafts]
        submitted = replace(
            sheet.inspection,
            status=SUBMITTED,
            submitted_at=now,
            score=sheet.score,
            version=sheet.inspection.version + 1,
            updated_at=now,
            updated_by=user.username,
        )
        store.update_inspection(cursor, submitted)
        store.delete_drafts_of(cursor, submitted.id)
        audit_log.append(
            cursor,
            actor=user.username,
            action="inspection.submitted",
            entity="inspection",
            entity_id=submitted.id,
            before=inspection_record(sheet.inspection),
            after={**inspection_record(submitted), "findings": [f.number for f in findings]},
        )
    return Submitted(submitted, findings)


def _open_finding(cursor, sheet: Sheet, draft: FindingDraft, user: User, now: datetime) -> Finding:
    inspection = sheet.inspection
    earlier = earlier_of(cursor, inspection, draft.item_id) if draft.item_id else []
    finding = Finding(
        id=new_id(),
        number="",
        site_id=inspection.site_id,
        description=draft.description,
        severity=draft.severity,
        responsible_unit=draft.responsible_unit.strip(),
        deadline=effective_deadline(draft, inspection),
        found_at=inspection.started_at,
        inspector="、".join(inspection.inspectors),
        status=Status.OPEN,
        checklist_id=inspection.checklist_id if draft.item_id else None,
        item_id=draft.item_id,
        inspection_id=inspection.id,
        immediate_measure=draft.immediate_measure,
        self_reported=inspection.self_reported,
        responsible_person=draft.responsible_person.strip(),
        requirement=draft.requirement,
        repeat_of=[earlier[0].id] if earlier else [],
        updated_at=now,
        updated_by=user.username,
    )
    return open_finding(cursor, finding, user, now, record=draft_record(draft), photos=draft.photos)


def open_finding(
    cursor, finding: Finding, user: User, now: datetime, *, record: dict, photos: list[str] = ()
) -> Finding:
    """Number a new finding, store it with its photos and log it: every way a finding opens comes here."""
    finding = replace(finding, number=allocate_number(cursor, finding.found_at.year))
    insert_finding(cursor, finding)
    for sha256 in photos:
        photo_store.attach_photo(cursor, finding.id, sha256, stage="found", added_by=user.username, now=now)
    audit_log.append(
        cursor,
        actor=user.username,
        action="finding.recorded",
        entity="finding",
        entity_id=finding.id,
        after={**record, "number": finding.number, "status": finding.status.value, "repeat_of": finding.repeat_of},
        rows={"finding_photos": [(finding.id, "found", sha256, None) for sha256 in photos]},
    )
    return finding


@unit_of_work
def correct_inspection(
    database: Database,
    user: User,
    inspection_id: str,
    *,
    reason: str,
    answer: Answer | None = None,
    inspectors: list[str] | None = None,
    started_at: datetime | None = None,
    now: datetime | None = None,
) -> Inspection:
    """Change a submitted inspection; the reason and the values before and after go into the audit log."""
    user = require(user, Permission.RUN_INSPECTION, database)
    now = now or datetime.now()
    reason = (reason or "").strip()
    check_text("reason", reason, required=True)
    if answer is None and inspectors is None and started_at is None:
        raise InvalidInput("inspect.error.nothing_to_correct", field="correction")
    with refusals_logged(database, user, "correct", reason=reason), database.write() as cursor:
        inspection = check_correction_access(user, inspection_of(cursor, inspection_id, user))
        if inspection.is_draft:
            raise IllegalTransition("inspect.error.still_draft")
        corrected = replace(inspection, version=inspection.version + 1, updated_at=now, updated_by=user.username)
        if inspectors is not None:
            corrected = replace(corrected, inspectors=team_of(inspectors))
        if started_at is not None:
            corrected = replace(corrected, started_at=inspection_time(started_at, now))
        before, after = inspection_record(inspection), inspection_record(corrected)
        if answer is not None:
            before["answer"], after["answer"], corrected = _correct_answer(cursor, corrected, answer, user, now)
        store.update_inspection(cursor, corrected)
        audit_log.append(
            cursor,
            actor=user.username,
            action="inspection.corrected",
            entity="inspection",
            entity_id=inspection.id,
            before=before,
            after={**after, "reason": reason},
            rows={"responses": [(inspection.id, answer.item_id)] if answer is not None else []},
        )
    return corrected


def _correct_answer(cursor, inspection: Inspection, answer: Answer, user: User, now: datetime):
    checklist = checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash)
    resolved = resolve(item_of(checklist, answer.item_id), answer)
    before = store.responses_of(cursor, inspection.id).get(answer.item_id)
    response = store_answer(cursor, inspection, resolved, user, now)
    scored = replace(inspection, score=score(checklist, store.responses_of(cursor, inspection.id)))
    return response_record(before), response_record(response), scored


@dataclass(frozen=True)
class MyInspections:
    drafts: list[InspectionLine]
    submitted: list[InspectionLine]
    findings: dict[str, list[Finding]]


def my_inspections(database: Database, user: User, *, limit: int = 30) -> MyInspections:
    """Drafts to resume and the latest submitted inspections, with their findings."""
    user = inspecting(user, database)
    with database.read() as cursor:
        lines = {
            status: store.inspections_of(cursor, user_id=user.id, name=user.display_name, status=status, limit=limit)
            for status in (DRAFT, SUBMITTED)
        }
        findings = findings_of_inspections(cursor, [line.id for line in lines[SUBMITTED]])
    return MyInspections(lines[DRAFT], lines[SUBMITTED], findings)

"""Finding forms kept field by field until submission, with their photos stored at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from audit.errors import IllegalTransition, InvalidInput, NotFound
from audit.model import Finding, FindingDraft, Inspection, Item, Severity, User, default_deadline, new_id
from audit.photos import prepare_photo
from audit.services.database import unit_of_work
from audit.services.inspections.access import check_draft_access, refusals_logged
from audit.services.inspections.problems import FORM_FIELDS, MAX_PHOTOS, check_text, label
from audit.services.inspections.sheet import (
    checklist_version,
    draft_record,
    inspection_of,
    item_of,
    site_of,
    still_draft,
)
from audit.services.permissions import inspecting
from audit.store import Database, audit_log
from audit.store import inspections as store
from audit.store import photos as photo_store


def _editable_draft(cursor, user: User, draft_id: str) -> tuple[FindingDraft, Inspection]:
    draft = store.get_draft(cursor, draft_id)
    if draft is None:
        raise NotFound("inspect.error.form_gone", field="finding")
    inspection = still_draft(check_draft_access(user, inspection_of(cursor, draft.inspection_id, user)))
    return draft, inspection


def _form_value(name: str, value):
    if name == "severity":
        return Severity(value)
    if name == "deadline":
        return value
    return "" if value is None else str(value)


@unit_of_work
def save_finding_draft(
    database: Database, user: User, draft_id: str, *, now: datetime | None = None, **changes
) -> FindingDraft:
    """Keep what was typed, as typed; it is checked when the finding is saved."""
    user = inspecting(user, database)
    unknown = set(changes) - set(FORM_FIELDS)
    if unknown:
        raise ValueError(f"not a finding form field: {sorted(unknown)}")
    now = now or datetime.now()
    with refusals_logged(database, user, "finding_form"), database.write() as cursor:
        draft, _ = _editable_draft(cursor, user, draft_id)
        values = {name: _form_value(name, value) for name, value in changes.items()}
        if changes and all(getattr(draft, name) == value for name, value in values.items()):
            return draft  # a replayed callback with the value already saved keeps a saved finding saved
        updated = replace(draft, **values, recorded=False, updated_at=now, updated_by=user.username)
        store.update_draft(cursor, updated)
        audit_log.append(
            cursor,
            actor=user.username,
            action="finding_draft.saved",
            entity="finding_draft",
            entity_id=draft.id,
            before=_changed(draft, values),
            after=_changed(updated, values),
        )
    return updated


def _changed(draft: FindingDraft, names) -> dict:
    return {name: getattr(draft, name) for name in names}


def effective_deadline(draft: FindingDraft, inspection: Inspection) -> date:
    """The deadline set on the form, or the one the severity gives."""
    return draft.deadline or default_deadline(inspection.started_at.date(), draft.severity)


def check_finding(draft: FindingDraft, inspection: Inspection, item: Item | None) -> None:
    """Raise the first problem that keeps this finding from being saved."""
    check_text("description", draft.description, required=True)
    check_text("immediate_measure", draft.immediate_measure, required=False)
    check_text("responsible_unit", draft.responsible_unit, required=True)
    check_text("responsible_person", draft.responsible_person, required=False)
    check_text("requirement", draft.requirement, required=False)
    if effective_deadline(draft, inspection) < inspection.started_at.date():
        raise InvalidInput(
            "inspect.error.before_inspection",
            field="deadline",
            label=label("deadline"),
            date=inspection.started_at.date().isoformat(),
        )
    if item is not None and item.photo_required and not draft.photos:
        raise InvalidInput("inspect.error.photo_required", field="photos", label=label("photos"))


@unit_of_work
def record_finding(database: Database, user: User, draft_id: str, *, now: datetime | None = None) -> FindingDraft:
    """Check the finding form and mark it done; it becomes a numbered finding on submission."""
    user = inspecting(user, database)
    now = now or datetime.now()
    with refusals_logged(database, user, "finding_form"), database.write() as cursor:
        draft, inspection = _editable_draft(cursor, user, draft_id)
        checklist = checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash)
        item = item_of(checklist, draft.item_id) if draft.item_id else None
        check_finding(draft, inspection, item)
        recorded = replace(
            draft,
            deadline=effective_deadline(draft, inspection),
            recorded=True,
            updated_at=now,
            updated_by=user.username,
        )
        store.update_draft(cursor, recorded)
        audit_log.append(
            cursor,
            actor=user.username,
            action="finding_draft.recorded",
            entity="finding_draft",
            entity_id=draft.id,
            after=draft_record(recorded),
        )
    return recorded


def reopen_finding(database: Database, user: User, draft_id: str, *, now: datetime | None = None) -> FindingDraft:
    """Take a saved finding form back for editing."""
    return save_finding_draft(database, user, draft_id, now=now)


@unit_of_work
def add_adhoc_finding(
    database: Database, user: User, inspection_id: str, *, now: datetime | None = None
) -> FindingDraft:
    """A finding about something the checklist does not cover."""
    user = inspecting(user, database)
    now = now or datetime.now()
    with refusals_logged(database, user, "adhoc_finding"), database.write() as cursor:
        inspection = still_draft(check_draft_access(user, inspection_of(cursor, inspection_id, user)))
        site = site_of(cursor, inspection.site_id)
        draft = FindingDraft(
            id=new_id(),
            inspection_id=inspection.id,
            item_id=None,
            severity=Severity.MAJOR,
            created_at=now,
            updated_at=now,
            updated_by=user.username,
            responsible_unit=site.unit.zh,
        )
        store.insert_draft(cursor, draft)
        audit_log.append(
            cursor,
            actor=user.username,
            action="finding_draft.added",
            entity="finding_draft",
            entity_id=draft.id,
            after={"inspection": inspection.id},
        )
    return draft


@unit_of_work
def discard_adhoc_finding(database: Database, user: User, draft_id: str) -> None:
    user = inspecting(user, database)
    with refusals_logged(database, user, "adhoc_finding"), database.write() as cursor:
        draft, _ = _editable_draft(cursor, user, draft_id)
        if draft.item_id is not None:
            raise IllegalTransition("inspect.error.keeps_finding")
        store.delete_draft(cursor, draft.id)
        audit_log.append(
            cursor,
            actor=user.username,
            action="finding_draft.discarded",
            entity="finding_draft",
            entity_id=draft.id,
            before=draft_record(draft),
        )


@unit_of_work
def add_finding_photo(
    database: Database, user: User, draft_id: str, data: bytes, name: str | None = None, *, now: datetime | None = None
) -> FindingDraft:
    """Check and store one photo at once, so it survives a reload before the finding is submitted."""
    user = inspecting(user, database)
    prepared = prepare_photo(data, name)
    now = now or datetime.now()
    with refusals_logged(database, user, "photo"), database.write() as cursor:
        draft, _ = _editable_draft(cursor, user, draft_id)
        if prepared.sha256 in draft.photos:
            return draft
        if len(draft.photos) >= MAX_PHOTOS:
            raise InvalidInput("inspect.error.too_many_photos", field="photos", label=label("photos"), limit=MAX_PHOTOS)
        photo_store.save_photo(cursor, prepared, now)
        updated = replace(draft, photos=[*draft.photos, prepared.sha256], updated_at=now, updated_by=user.username)
        store.update_draft(cursor, updated)
        audit_log.append(
            cursor,
            actor=user.username,
            action="finding_draft.photo_added",
            entity="finding_draft",
            entity_id=draft.id,
            after={"photo": prepared.sha256},
            rows={"photos": [prepared.sha256]},
        )
    return updated


@unit_of_work
def remove_finding_photo(
    database: Database, user: User, draft_id: str, sha256: str, *, now: datetime | None = None
) -> FindingDraft:
    user = inspecting(user, database)
    now = now or datetime.now()
    with refusals_logged(database, user, "photo"), database.write() as cursor:
        draft, _ = _editable_draft(cursor, user, draft_id)
        if sha256 not in draft.photos:
            return draft
        updated = replace(
            draft,
            photos=[p for p in draft.photos if p != sha256],
            recorded=False,
            updated_at=now,
            updated_by=user.username,
        )
        store.update_draft(cursor, updated)
        audit_log.append(
            cursor,
            actor=user.username,
            action="finding_draft.photo_removed",
            entity="finding_draft",
            entity_id=draft.id,
            before={"photo": sha256},
        )
    return updated


def draft_photo(database: Database, user: User, draft_id: str, sha256: str, *, thumbnail: bool) -> bytes:
    """A photo of a finding form, to whoever may work on that form (the inspection still a draft)."""
    user = inspecting(user, database)
    with refusals_logged(database, user, "photo"), database.read() as cursor:
        draft, _ = _editable_draft(cursor, user, draft_id)
        if sha256 not in draft.photos:
            raise NotFound("inspect.error.photo_not_on_form", field="photo")
        return photo_store.photo_bytes(cursor, sha256, thumbnail=thumbnail)


def evidence(database: Database, user: User, findings: list[Finding]) -> dict[str, list[str]]:
    """The photos taken when each finding was found, by finding id."""
    user = inspecting(user, database)
    with database.read() as cursor:
        return {
            finding.id: [
                link.sha256 for link in photo_store.photos_of_finding(cursor, finding.id) if link.stage == "found"
            ]
            for finding in findings
        }

"""The inspector's work on site: start an inspection, answer items, fill in findings, submit.

Each answer and each field of a finding form is saved as it is given, in its own
transaction with its audit-log entry, so a reload or a tablet that fell asleep loses
nothing. Findings get their numbers only on submission, all in one transaction; after
that an inspection changes only through a correction that records its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from audit import i18n
from audit.errors import IllegalTransition, InvalidInput, NotFound
from audit.model import (
    REPEAT_WINDOW_DAYS, Checklist, Finding, Item, ResponseType, Result, Severity, Site, Status, User,
    default_deadline, new_id,
)
from audit.photos import prepare_photo
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log
from audit.store import checklists as checklist_store
from audit.store import inspections as store
from audit.store import photos as photo_store
from audit.store import sites as site_store
from audit.store.findings import allocate_number, findings_of_inspection, findings_of_inspections, insert_finding
from audit.store.inspections import EarlierFinding, FindingDraft, Inspection, InspectionLine, Response

CLOCK_SKEW = timedelta(minutes=5)
"""A tablet's clock may run a little ahead of the server's; more than this is a mistake."""
REPEAT_WINDOW = timedelta(days=REPEAT_WINDOW_DAYS)
MAX_INSPECTORS = 10
MAX_PHOTOS = 12
LIMITS = {
    "inspector": 50, "description": 2000, "immediate_measure": 1000, "responsible_unit": 200,
    "responsible_person": 100, "requirement": 2000, "text": 2000, "reason": 1000,
}
FORM_FIELDS = (
    "description", "severity", "immediate_measure", "responsible_unit", "responsible_person",
    "requirement", "deadline",
)


class FieldProblem(InvalidInput):
    """Bad input on one field, worded from the catalog so a page can show it in its own language."""

    def __init__(self, field: str, reason: str, **values):
        self.key = f"inspect.error.{reason}"
        self.values = values
        self.field = field
        super().__init__(self.localized("en"), field=field)

    def localized(self, language: str) -> str:
        label = i18n.t(f"inspect.field.{self.field}", language)
        values = {name: value.localized(language) if isinstance(value, FieldProblem) else value
                  for name, value in self.values.items()}
        return i18n.t(self.key, language, label=label, **values)


def message(error: Exception, language: str) -> str:
    """What to show for an AuditError in the reader's language."""
    if isinstance(error, FieldProblem):
        return error.localized(language)
    text = getattr(error, "message", str(error))
    if getattr(error, "field", None) == "photo":
        return i18n.t("inspect.error.photo", language, detail=text)
    return text


# --- what a page draws --------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """An inspection with everything needed to draw it, read in one go."""

    inspection: Inspection
    site: Site
    checklist: Checklist
    responses: dict[str, Response]
    drafts: list[FindingDraft]
    earlier: dict[str, EarlierFinding] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def result(self, item_id: str) -> Result | None:
        response = self.responses.get(item_id)
        return response.result if response else None

    def draft_for(self, item_id: str) -> FindingDraft | None:
        return next((d for d in self.drafts if d.item_id == item_id), None)

    @property
    def failed_items(self) -> list[Item]:
        return [item for item in self.checklist.items if self.result(item.id) is Result.FAIL]

    @property
    def active_drafts(self) -> list[FindingDraft]:
        """Finding forms that will become findings: failed items and ad-hoc findings."""
        failed = {item.id for item in self.failed_items}
        return [d for d in self.drafts if d.item_id is None or d.item_id in failed]

    @property
    def unanswered(self) -> list[Item]:
        return [item for item in self.checklist.items if not _answered(item, self.responses.get(item.id))]

    @property
    def score(self) -> float | None:
        return score(self.checklist, self.responses)


def _answered(item: Item, response: Response | None) -> bool:
    if response is None:
        return False
    if item.response is ResponseType.TEXT:
        return bool((response.text or "").strip()) or response.result is Result.NA
    return response.result is not None


def score(checklist: Checklist, responses: dict[str, Response]) -> float | None:
    """Passed / applicable: not-applicable and free-text items do not count."""
    results = [responses[item.id].result for item in checklist.items
               if item.response is not ResponseType.TEXT and item.id in responses]
    applicable = [result for result in results if result in (Result.PASS, Result.FAIL)]
    if not applicable:
        return None
    return applicable.count(Result.PASS) / len(applicable)


_CHECKLISTS: dict[tuple[str, str], Checklist] = {}


def _checklist_version(cursor, checklist_id: str, content_hash: str) -> Checklist:
    """Versions never change once stored, so one parse per (id, hash) serves every rerun."""
    key = (checklist_id, content_hash)
    if key not in _CHECKLISTS:
        checklist = checklist_store.get_version(cursor, checklist_id, content_hash)
        if checklist is None:
            raise NotFound(f"Checklist {checklist_id} (version {content_hash[:8]}) is not in the database.")
        _CHECKLISTS[key] = checklist
    return _CHECKLISTS[key]


def _site(cursor, site_id: str) -> Site:
    site = site_store.get_site(cursor, site_id)
    if site is None:
        raise NotFound(f"Site {site_id} is not in the database.", field="site")
    return site


def _inspection(cursor, inspection_id: str) -> Inspection:
    inspection = store.get_inspection(cursor, inspection_id)
    if inspection is None:
        raise NotFound(f"Inspection {inspection_id} is not in the database.", field="inspection")
    return inspection


def _sheet(cursor, inspection: Inspection) -> Sheet:
    drafts = store.drafts_of(cursor, inspection.id)
    earlier_ids = sorted({finding_id for draft in drafts for finding_id in draft.earlier})
    return Sheet(
        inspection=inspection,
        site=_site(cursor, inspection.site_id),
        checklist=_checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash),
        responses=store.responses_of(cursor, inspection.id),
        drafts=drafts,
        earlier={found.id: found for found in store.findings_by_id(cursor, earlier_ids)},
        findings=[] if inspection.is_draft else findings_of_inspection(cursor, inspection.id),
    )


def inspection_sheet(database: Database, user: User, inspection_id: str) -> Sheet:
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        return _sheet(cursor, _inspection(cursor, inspection_id))


# --- starting ------------------------------------------------------------------------------


def find_sites(database: Database, user: User, *, text: str = "", subdistrict: str | None = None,
               community: str | None = None, kind: str | None = None, limit: int = 30) -> list[Site]:
    """Active sites whose name (zh or en) or code contains the text, narrowed by place and kind."""
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        sites = site_store.list_sites(cursor, search=text.strip() or None, subdistrict=subdistrict,
                                      community=community, kind=kind)
    return sites[:limit]


def site_places(database: Database, user: User) -> list[site_store.Place]:
    """Subdistricts and communities to narrow the site search by."""
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        return site_store.hierarchy(cursor)


def checklists_for(database: Database, user: User, site_id: str) -> list[Checklist]:
    """The newest version of every checklist that applies to the site's kind."""
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        site = _site(cursor, site_id)
        return [c for c in checklist_store.latest(cursor) if c.applies_to(site.kind)]


def known_inspectors(database: Database, user: User) -> list[str]:
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        names = store.known_inspector_names(cursor)
    return sorted(set(names) | {user.display_name})


def _team(inspectors: list[str]) -> list[str]:
    team = list(dict.fromkeys(name.strip() for name in inspectors if name and name.strip()))
    if not team:
        raise FieldProblem("inspectors", "required")
    if len(team) > MAX_INSPECTORS:
        raise FieldProblem("inspectors", "too_many", limit=MAX_INSPECTORS)
    for name in team:
        if len(name) > LIMITS["inspector"]:
            raise FieldProblem("inspectors", "name_too_long", name=name[:20], limit=LIMITS["inspector"])
    return team


def _inspection_time(started_at: datetime | None, now: datetime) -> datetime:
    if started_at is None:
        raise FieldProblem("started_at", "required")
    if started_at > now + CLOCK_SKEW:
        raise FieldProblem("started_at", "future", now=now.strftime("%Y-%m-%d %H:%M"))
    return started_at.replace(second=0, microsecond=0)


def start_inspection(database: Database, user: User, *, site_id: str | None, checklist_id: str | None,
                     inspectors: list[str], started_at: datetime | None,
                     now: datetime | None = None) -> Inspection:
    require(user, Permission.RUN_INSPECTION)
    if not site_id:
        raise FieldProblem("site", "choose")
    if not checklist_id:
        raise FieldProblem("checklist", "choose")
    team = _team(inspectors)
    when = _inspection_time(started_at, now or datetime.now())
    with database.write() as cursor:
        site = _site(cursor, site_id)
        checklist = next((c for c in checklist_store.latest(cursor) if c.id == checklist_id), None)
        if checklist is None or not checklist.applies_to(site.kind):
            raise FieldProblem("checklist", "not_for_site")
        inspection = Inspection(
            id=new_id(), site_id=site.id, checklist_id=checklist.id, checklist_version=checklist.version,
            checklist_hash=checklist.content_hash, inspectors=team, started_at=when, status=store.DRAFT,
            created_by=user.id, updated_at=now or datetime.now(), updated_by=user.username,
        )
        store.insert_inspection(cursor, inspection)
        audit_log.append(cursor, actor=user.username, action="inspection.started", entity="inspection",
                         entity_id=inspection.id, after=_inspection_record(inspection))
    return inspection


def _inspection_record(inspection: Inspection) -> dict:
    return {
        "site_id": inspection.site_id, "checklist": f"{inspection.checklist_id} v{inspection.checklist_version}",
        "inspectors": inspection.inspectors, "started_at": inspection.started_at.isoformat(),
        "status": inspection.status, "score": inspection.score,
    }


# --- answering items -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What an inspector gave for one item; the result of a measurement follows from its limit."""

    item_id: str
    result: Result | None = None
    value: float | None = None
    text: str | None = None


def _resolve(item: Item, answer: Answer) -> Answer:
    if answer.result is Result.NA:
        return Answer(item.id, Result.NA, None, answer.text)
    if item.response is ResponseType.NUMBER:
        if answer.value is None:
            return Answer(item.id)
        if not math.isfinite(answer.value):
            raise FieldProblem("value", "not_a_number")
        return Answer(item.id, item.result_for(answer.value), answer.value)
    if item.response is ResponseType.TEXT:
        text = answer.text or ""
        if len(text) > LIMITS["text"]:
            raise FieldProblem("text", "too_long", limit=LIMITS["text"], length=len(text))
        return Answer(item.id, answer.result, None, text or None)
    return Answer(item.id, answer.result)


def _response_record(response: Response | None) -> dict | None:
    if response is None:
        return None
    return {"item": response.item_id, "result": response.result.value if response.result else None,
            "value": response.value, "text": response.text}


def _store_answer(cursor, inspection: Inspection, answer: Answer, user: User, now: datetime) -> Response | None:
    if answer.result is None and answer.value is None and not answer.text:
        store.delete_response(cursor, inspection.id, answer.item_id)
        return None
    response = Response(inspection.id, answer.item_id, answer.result, answer.value, answer.text,
                        now, user.username)
    store.put_response(cursor, response)
    return response


def _still_draft(inspection: Inspection) -> Inspection:
    if not inspection.is_draft:
        raise IllegalTransition(
            "This inspection has been submitted; change it through a correction with a reason.")
    return inspection


def record_response(database: Database, user: User, inspection_id: str, item_id: str, *,
                    result: Result | None = None, value: float | None = None, text: str | None = None,
                    language: str = i18n.DEFAULT_LANGUAGE, now: datetime | None = None) -> Response | None:
    """Save one answer at once; a failure opens its finding form, linked to earlier failures here."""
    require(user, Permission.RUN_INSPECTION)
    now = now or datetime.now()
    with database.write() as cursor:
        inspection = _still_draft(_inspection(cursor, inspection_id))
        checklist = _checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash)
        item = _item(checklist, item_id)
        answer = _resolve(item, Answer(item_id, result, value, text))
        before = store.responses_of(cursor, inspection.id).get(item_id)
        if _same(before, answer):
            return before  # a repeated tap or a replayed callback changes nothing
        response = _store_answer(cursor, inspection, answer, user, now)
        if answer.result is Result.FAIL:
            _ensure_item_draft(cursor, inspection, item, user, language, now)
        store.touch_inspection(cursor, inspection.id, now, user.username)
        audit_log.append(cursor, actor=user.username, action="inspection.answered", entity="inspection",
                         entity_id=inspection.id, before=_response_record(before),
                         after=_response_record(response) or {"item": item_id, "result": None})
    return response


def _same(response: Response | None, answer: Answer) -> bool:
    if response is None:
        return answer.result is None and answer.value is None and not answer.text
    return (response.result, response.value, response.text) == (answer.result, answer.value, answer.text)


def _item(checklist: Checklist, item_id: str) -> Item:
    try:
        return checklist.item(item_id)
    except KeyError:
        raise NotFound(f"Item {item_id} is not on checklist {checklist.id}.", field="item") from None


def _ensure_item_draft(cursor, inspection: Inspection, item: Item, user: User, language: str,
                       now: datetime) -> FindingDraft:
    """The finding form of a failed item, created once with its defaults; answers flipping back keep it."""
    existing = next((d for d in store.drafts_of(cursor, inspection.id) if d.item_id == item.id), None)
    if existing is not None:
        return existing
    site = _site(cursor, inspection.site_id)
    earlier = _earlier(cursor, inspection, item.id)
    draft = FindingDraft(
        id=new_id(), inspection_id=inspection.id, item_id=item.id, severity=item.severity,
        created_at=now, updated_at=now, updated_by=user.username,
        description=item.text.get(i18n.short(language)), responsible_unit=site.unit.zh,
        earlier=[found.id for found in earlier],
    )
    store.insert_draft(cursor, draft)
    return draft


def _earlier(cursor, inspection: Inspection, item_id: str) -> list[EarlierFinding]:
    return store.earlier_failures(
        cursor, site_id=inspection.site_id, checklist_id=inspection.checklist_id, item_id=item_id,
        since=inspection.started_at - REPEAT_WINDOW, before=inspection.started_at,
    )


def earlier_failures(database: Database, user: User, inspection_id: str, item_id: str) -> list[EarlierFinding]:
    """Findings of this item at this site in the repeat window before the inspection, newest first."""
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        return _earlier(cursor, _inspection(cursor, inspection_id), item_id)


# --- finding forms -------------------------------------------------------------------------


def _editable_draft(cursor, draft_id: str) -> tuple[FindingDraft, Inspection]:
    draft = store.get_draft(cursor, draft_id)
    if draft is None:
        raise NotFound("This finding form is no longer there; it was submitted or removed.", field="finding")
    inspection = _still_draft(_inspection(cursor, draft.inspection_id))
    return draft, inspection


def _form_value(name: str, value):
    if name == "severity":
        return Severity(value)
    if name == "deadline":
        return value
    return "" if value is None else str(value)


def save_finding_draft(database: Database, user: User, draft_id: str, *, now: datetime | None = None,
                       **changes) -> FindingDraft:
    """Keep what was typed, as typed; it is checked when the finding is saved."""
    require(user, Permission.RECORD_FINDING)
    unknown = set(changes) - set(FORM_FIELDS)
    if unknown:
        raise ValueError(f"not a finding form field: {sorted(unknown)}")
    now = now or datetime.now()
    with database.write() as cursor:
        draft, _ = _editable_draft(cursor, draft_id)
        values = {name: _form_value(name, value) for name, value in changes.items()}
        if changes and all(getattr(draft, name) == value for name, value in values.items()):
            return draft  # a replayed callback with the value already saved keeps a saved finding saved
        updated = replace(draft, **values, recorded=False, updated_at=now, updated_by=user.username)
        store.update_draft(cursor, updated)
        audit_log.append(cursor, actor=user.username, action="finding_draft.saved", entity="finding_draft",
                         entity_id=draft.id, before=_changed(draft, values), after=_changed(updated, values))
    return updated


def _changed(draft: FindingDraft, names) -> dict:
    return {name: getattr(draft, name) for name in names}


def effective_deadline(draft: FindingDraft, inspection: Inspection) -> date:
    """The deadline set on the form, or the one the severity gives."""
    return draft.deadline or default_deadline(inspection.started_at.date(), draft.severity)


def _check_text(name: str, value: str, *, required: bool) -> None:
    if required and not value.strip():
        raise FieldProblem(name, "required")
    if len(value) > LIMITS[name]:
        raise FieldProblem(name, "too_long", limit=LIMITS[name], length=len(value))


def check_finding(draft: FindingDraft, inspection: Inspection, item: Item | None) -> None:
    """Raise the first problem that keeps this finding from being saved."""
    _check_text("description", draft.description, required=True)
    _check_text("immediate_measure", draft.immediate_measure, required=False)
    _check_text("responsible_unit", draft.responsible_unit, required=True)
    _check_text("responsible_person", draft.responsible_person, required=False)
    _check_text("requirement", draft.requirement, required=False)
    if effective_deadline(draft, inspection) < inspection.started_at.date():
        raise FieldProblem("deadline", "before_inspection", date=inspection.started_at.date().isoformat())
    if item is not None and item.photo_required and not draft.photos:
        raise FieldProblem("photos", "photo_required")


def record_finding(database: Database, user: User, draft_id: str, *, now: datetime | None = None) -> FindingDraft:
    """Check the finding form and mark it done; it becomes a numbered finding on submission."""
    require(user, Permission.RECORD_FINDING)
    now = now or datetime.now()
    with database.write() as cursor:
        draft, inspection = _editable_draft(cursor, draft_id)
        checklist = _checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash)
        item = _item(checklist, draft.item_id) if draft.item_id else None
        check_finding(draft, inspection, item)
        recorded = replace(draft, deadline=effective_deadline(draft, inspection), recorded=True,
                           updated_at=now, updated_by=user.username)
        store.update_draft(cursor, recorded)
        audit_log.append(cursor, actor=user.username, action="finding_draft.recorded", entity="finding_draft",
                         entity_id=draft.id, after=_draft_record(recorded))
    return recorded


def reopen_finding(database: Database, user: User, draft_id: str, *, now: datetime | None = None) -> FindingDraft:
    """Take a saved finding form back for editing."""
    return save_finding_draft(database, user, draft_id, now=now)


def _draft_record(draft: FindingDraft) -> dict:
    return {"item": draft.item_id, "description": draft.description, "severity": draft.severity.value,
            "immediate_measure": draft.immediate_measure, "responsible_unit": draft.responsible_unit,
            "responsible_person": draft.responsible_person, "requirement": draft.requirement,
            "deadline": draft.deadline.isoformat() if draft.deadline else None, "photos": draft.photos}


def add_adhoc_finding(database: Database, user: User, inspection_id: str, *,
                      now: datetime | None = None) -> FindingDraft:
    """A finding about something the checklist does not cover."""
    require(user, Permission.RECORD_FINDING)
    now = now or datetime.now()
    with database.write() as cursor:
        inspection = _still_draft(_inspection(cursor, inspection_id))
        site = _site(cursor, inspection.site_id)
        draft = FindingDraft(id=new_id(), inspection_id=inspection.id, item_id=None, severity=Severity.MAJOR,
                             created_at=now, updated_at=now, updated_by=user.username,
                             responsible_unit=site.unit.zh)
        store.insert_draft(cursor, draft)
        audit_log.append(cursor, actor=user.username, action="finding_draft.added", entity="finding_draft",
                         entity_id=draft.id, after={"inspection": inspection.id})
    return draft


def discard_adhoc_finding(database: Database, user: User, draft_id: str) -> None:
    require(user, Permission.RECORD_FINDING)
    with database.write() as cursor:
        draft, _ = _editable_draft(cursor, draft_id)
        if draft.item_id is not None:
            raise IllegalTransition("A failed item keeps its finding; mark the item passed instead.")
        store.delete_draft(cursor, draft.id)
        audit_log.append(cursor, actor=user.username, action="finding_draft.discarded", entity="finding_draft",
                         entity_id=draft.id, before=_draft_record(draft))


def add_finding_photo(database: Database, user: User, draft_id: str, data: bytes, name: str | None = None,
                      *, now: datetime | None = None) -> FindingDraft:
    """Check and store one photo at once, so it survives a reload before the finding is submitted."""
    require(user, Permission.RECORD_FINDING)
    photo = prepare_photo(data, name)
    now = now or datetime.now()
    with database.write() as cursor:
        draft, _ = _editable_draft(cursor, draft_id)
        if photo.sha256 in draft.photos:
            return draft
        if len(draft.photos) >= MAX_PHOTOS:
            raise FieldProblem("photos", "too_many_photos", limit=MAX_PHOTOS)
        photo_store.save_photo(cursor, photo, now)
        updated = replace(draft, photos=[*draft.photos, photo.sha256], updated_at=now, updated_by=user.username)
        store.update_draft(cursor, updated)
        audit_log.append(cursor, actor=user.username, action="finding_draft.photo_added", entity="finding_draft",
                         entity_id=draft.id, after={"photo": photo.sha256})
    return updated


def remove_finding_photo(database: Database, user: User, draft_id: str, sha256: str,
                         *, now: datetime | None = None) -> FindingDraft:
    require(user, Permission.RECORD_FINDING)
    now = now or datetime.now()
    with database.write() as cursor:
        draft, _ = _editable_draft(cursor, draft_id)
        updated = replace(draft, photos=[p for p in draft.photos if p != sha256], recorded=False,
                          updated_at=now, updated_by=user.username)
        store.update_draft(cursor, updated)
        audit_log.append(cursor, actor=user.username, action="finding_draft.photo_removed",
                         entity="finding_draft", entity_id=draft.id, before={"photo": sha256})
    return updated


def photo(database: Database, user: User, sha256: str, *, thumbnail: bool = True) -> bytes | None:
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        return photo_store.photo_bytes(cursor, sha256, thumbnail=thumbnail)


def evidence(database: Database, user: User, findings: list[Finding]) -> dict[str, list[str]]:
    """The photos taken when each finding was found, by finding id."""
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        return {finding.id: [link.sha256 for link in photo_store.photos_of_finding(cursor, finding.id)
                             if link.stage == "found"] for finding in findings}


# --- submitting ---------------------------------------------------------------------------------


def submit_problems(sheet: Sheet) -> list[FieldProblem]:
    """Everything that keeps the inspection from being submitted, in the order of the checklist."""
    problems = []
    if sheet.unanswered:
        ids = ", ".join(item.id for item in sheet.unanswered[:8])
        more = len(sheet.unanswered) - 8
        problems.append(FieldProblem("items", "unanswered", count=len(sheet.unanswered),
                                     items=ids + (f" (+{more})" if more > 0 else "")))
    for draft in sheet.active_drafts:
        item = sheet.checklist.item(draft.item_id) if draft.item_id else None
        name = draft.item_id or draft.description[:30] or "—"
        if not draft.recorded:
            problems.append(FieldProblem("findings", "finding_not_saved", item=name))
            continue
        try:
            check_finding(draft, sheet.inspection, item)
        except FieldProblem as problem:
            problems.append(FieldProblem("findings", "finding_invalid", item=name, problem=problem))
    return problems


@dataclass(frozen=True)
class Submitted:
    inspection: Inspection
    findings: list[Finding]


def submit_inspection(database: Database, user: User, inspection_id: str, *,
                      now: datetime | None = None) -> Submitted:
    """Number the findings, open them and close the draft, all in one transaction."""
    require(user, Permission.RECORD_FINDING)
    require(user, Permission.RUN_INSPECTION)
    now = now or datetime.now()
    with database.write() as cursor:
        sheet = _sheet(cursor, _still_draft(_inspection(cursor, inspection_id)))
        problems = submit_problems(sheet)
        if problems:
            raise problems[0]
        findings = [_open_finding(cursor, sheet, draft, user, now) for draft in sheet.active_drafts]
        submitted = replace(sheet.inspection, status=store.SUBMITTED, submitted_at=now, score=sheet.score,
                            version=sheet.inspection.version + 1, updated_at=now, updated_by=user.username)
        store.update_inspection(cursor, submitted)
        store.delete_drafts_of(cursor, submitted.id)
        audit_log.append(cursor, actor=user.username, action="inspection.submitted", entity="inspection",
                         entity_id=submitted.id, before=_inspection_record(sheet.inspection),
                         after={**_inspection_record(submitted), "findings": [f.number for f in findings]})
    return Submitted(submitted, findings)


def _open_finding(cursor, sheet: Sheet, draft: FindingDraft, user: User, now: datetime) -> Finding:
    inspection = sheet.inspection
    earlier = _earlier(cursor, inspection, draft.item_id) if draft.item_id else []
    finding = Finding(
        id=new_id(), number=allocate_number(cursor, inspection.started_at.year), site_id=inspection.site_id,
        description=draft.description, severity=draft.severity, responsible_unit=draft.responsible_unit.strip(),
        deadline=effective_deadline(draft, inspection), found_at=inspection.started_at,
        inspector="、".join(inspection.inspectors), status=Status.OPEN,
        checklist_id=inspection.checklist_id if draft.item_id else None, item_id=draft.item_id,
        inspection_id=inspection.id, immediate_measure=draft.immediate_measure,
        responsible_person=draft.responsible_person.strip(), requirement=draft.requirement,
        repeat_of=[earlier[0].id] if earlier else [], updated_at=now, updated_by=user.username,
    )
    insert_finding(cursor, finding)
    for sha256 in draft.photos:
        photo_store.attach_photo(cursor, finding.id, sha256, stage="found", added_by=user.username, now=now)
    audit_log.append(cursor, actor=user.username, action="finding.recorded", entity="finding",
                     entity_id=finding.id, after={**_draft_record(draft), "number": finding.number,
                                                  "status": finding.status.value, "repeat_of": finding.repeat_of})
    return finding


# --- after submission ------------------------------------------------------------------------------


def correct_inspection(database: Database, user: User, inspection_id: str, *, reason: str,
                       answer: Answer | None = None, inspectors: list[str] | None = None,
                       started_at: datetime | None = None, now: datetime | None = None) -> Inspection:
    """Change a submitted inspection; the reason and the values before and after go into the audit log."""
    require(user, Permission.RUN_INSPECTION)
    now = now or datetime.now()
    reason = (reason or "").strip()
    _check_text("reason", reason, required=True)
    if answer is None and inspectors is None and started_at is None:
        raise FieldProblem("correction", "nothing_to_correct")
    with database.write() as cursor:
        inspection = _inspection(cursor, inspection_id)
        if inspection.is_draft:
            raise IllegalTransition("This inspection is still a draft: change the answer directly.")
        corrected = replace(inspection, version=inspection.version + 1, updated_at=now, updated_by=user.username)
        if inspectors is not None:
            corrected = replace(corrected, inspectors=_team(inspectors))
        if started_at is not None:
            corrected = replace(corrected, started_at=_inspection_time(started_at, now))
        before, after = _inspection_record(inspection), _inspection_record(corrected)
        if answer is not None:
            before["answer"], after["answer"], corrected = _correct_answer(cursor, corrected, answer, user, now)
        store.update_inspection(cursor, corrected)
        audit_log.append(cursor, actor=user.username, action="inspection.corrected", entity="inspection",
                         entity_id=inspection.id, before=before, after={**after, "reason": reason})
    return corrected


def _correct_answer(cursor, inspection: Inspection, answer: Answer, user: User, now: datetime):
    checklist = _checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash)
    resolved = _resolve(_item(checklist, answer.item_id), answer)
    before = store.responses_of(cursor, inspection.id).get(answer.item_id)
    response = _store_answer(cursor, inspection, resolved, user, now)
    scored = replace(inspection, score=score(checklist, store.responses_of(cursor, inspection.id)))
    return _response_record(before), _response_record(response), scored


@dataclass(frozen=True)
class MyInspections:
    drafts: list[InspectionLine]
    submitted: list[InspectionLine]
    findings: dict[str, list[Finding]]


def my_inspections(database: Database, user: User, *, limit: int = 30) -> MyInspections:
    """Drafts to resume and the latest submitted inspections, with their findings."""
    require(user, Permission.RUN_INSPECTION)
    with database.read() as cursor:
        lines = {status: store.inspections_of(cursor, user_id=user.id, name=user.display_name,
                                              status=status, limit=limit)
                 for status in (store.DRAFT, store.SUBMITTED)}
        findings = findings_of_inspections(cursor, [line.id for line in lines[store.SUBMITTED]])
    return MyInspections(lines[store.DRAFT], lines[store.SUBMITTED], findings)

"""An inspection read in one go for a page to draw, and the lookups the other steps share."""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.errors import IllegalTransition, NotFound
from audit.model import (
    Checklist,
    EarlierFinding,
    Finding,
    FindingDraft,
    Inspection,
    Item,
    Response,
    ResponseType,
    Result,
    Role,
    Site,
    User,
)
from audit.services.inspections.access import NotYours, check_draft_access, refusals_logged
from audit.services.inspections.problems import REPEAT_WINDOW
from audit.services.permissions import inspecting
from audit.store import Database
from audit.store import checklists as checklist_store
from audit.store import inspections as store
from audit.store import sites as site_store
from audit.store.findings import findings_of_inspection


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
    results = [
        responses[item.id].result
        for item in checklist.items
        if item.response is not ResponseType.TEXT and item.id in responses
    ]
    applicable = [result for result in results if result in (Result.PASS, Result.FAIL)]
    if not applicable:
        return None
    return applicable.count(Result.PASS) / len(applicable)


_CHECKLISTS: dict[tuple[str, str], Checklist] = {}


def checklist_version(cursor, checklist_id: str, content_hash: str) -> Checklist:
    """Versions never change once stored, so one parse per (id, hash) serves every rerun."""
    key = (checklist_id, content_hash)
    if key not in _CHECKLISTS:
        checklist = checklist_store.get_version(cursor, checklist_id, content_hash)
        if checklist is None:
            raise NotFound("inspect.error.checklist_missing", checklist=checklist_id, version=content_hash[:8])
        _CHECKLISTS[key] = checklist
    return _CHECKLISTS[key]


def site_of(cursor, site_id: str) -> Site:
    site = site_store.get_site(cursor, site_id)
    if site is None:
        raise NotFound("inspect.error.site_missing", field="site", site=site_id)
    return site


def inspection_of(cursor, inspection_id: str, user: User | None = None) -> Inspection:
    """The inspection; for a unit account, only a self-inspection of one of its own sites."""
    inspection = store.get_inspection(cursor, inspection_id)
    if inspection is None:
        raise NotFound("inspect.error.inspection_missing", field="inspection", inspection=inspection_id)
    if (
        user is not None
        and user.role is Role.UNIT
        and not (inspection.self_reported and own_site(user, site_of(cursor, inspection.site_id)))
    ):
        raise NotYours("inspect.error.not_own_self_inspection", inspection_id=inspection.id)
    return inspection


def own_site(user: User, site: Site) -> bool:
    """A unit self-inspects only the sites it runs (the site's unit is the account's unit)."""
    return bool(user.unit) and user.unit in (site.unit.zh, site.unit.en)


def read_sheet(cursor, inspection: Inspection) -> Sheet:
    drafts = store.drafts_of(cursor, inspection.id)
    earlier_ids = sorted({finding_id for draft in drafts for finding_id in draft.earlier})
    return Sheet(
        inspection=inspection,
        site=site_of(cursor, inspection.site_id),
        checklist=checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash),
        responses=store.responses_of(cursor, inspection.id),
        drafts=drafts,
        earlier={found.id: found for found in store.findings_by_id(cursor, earlier_ids, since=earliest(inspection))},
        findings=[] if inspection.is_draft else findings_of_inspection(cursor, inspection.id),
    )


def inspection_sheet(database: Database, user: User, inspection_id: str) -> Sheet:
    user = inspecting(user, database)
    with refusals_logged(database, user, "open"), database.read() as cursor:
        return read_sheet(cursor, check_draft_access(user, inspection_of(cursor, inspection_id, user)))


def earliest(inspection: Inspection):
    """The oldest a finding shown beside a draft's failure can be: its forms' earlier findings were looked
    up in the repeat window before its start, which does not move until it is submitted. On a lake the
    bound lets the look-up read only the files of those days."""
    return inspection.started_at - REPEAT_WINDOW if inspection.is_draft else None


def still_draft(inspection: Inspection) -> Inspection:
    if not inspection.is_draft:
        raise IllegalTransition("inspect.error.submitted")
    return inspection


def item_of(checklist: Checklist, item_id: str) -> Item:
    try:
        return checklist.item(item_id)
    except KeyError:
        raise NotFound("inspect.error.item_missing", field="item", item=item_id, checklist=checklist.id) from None


def earlier_of(cursor, inspection: Inspection, item_id: str) -> list[EarlierFinding]:
    return store.earlier_failures(
        cursor,
        site_id=inspection.site_id,
        checklist_id=inspection.checklist_id,
        item_id=item_id,
        since=inspection.started_at - REPEAT_WINDOW,
        before=inspection.started_at,
    )


def earlier_failures(database: Database, user: User, inspection_id: str, item_id: str) -> list[EarlierFinding]:
    """Findings of this item at this site in the repeat window before the inspection, newest first."""
    user = inspecting(user, database)
    with refusals_logged(database, user, "open"), database.read() as cursor:
        return earlier_of(cursor, check_draft_access(user, inspection_of(cursor, inspection_id, user)), item_id)


def inspection_record(inspection: Inspection) -> dict:
    return {
        "site_id": inspection.site_id,
        "checklist": f"{inspection.checklist_id} v{inspection.checklist_version}",
        "inspectors": inspection.inspectors,
        "started_at": inspection.started_at.isoformat(),
        "status": inspection.status,
        "score": inspection.score,
    }


def response_record(response: Response | None) -> dict | None:
    if response is None:
        return None
    return {
        "item": response.item_id,
        "result": response.result.value if response.result else None,
        "value": response.value,
        "text": response.text,
    }


def draft_record(draft: FindingDraft) -> dict:
    return {
        "item": draft.item_id,
        "description": draft.description,
        "severity": draft.severity.value,
        "immediate_measure": draft.immediate_measure,
        "responsible_unit": draft.responsible_unit,
        "responsible_person": draft.responsible_person,
        "requirement": draft.requirement,
        "deadline": draft.deadline.isoformat() if draft.deadline else None,
        "photos": draft.photos,
    }

"""Answers saved as they are given; a failed item opens its finding form beside its earlier failures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from audit import i18n
from audit.errors import InvalidInput
from audit.model import FindingDraft, Inspection, Item, Response, ResponseType, Result, User, new_id
from audit.services.database import unit_of_work
from audit.services.inspections.access import check_draft_access, refusals_logged
from audit.services.inspections.problems import LIMITS, label
from audit.services.inspections.sheet import (
    checklist_version,
    earlier_of,
    inspection_of,
    item_of,
    response_record,
    site_of,
    still_draft,
)
from audit.services.permissions import inspecting
from audit.store import Database, audit_log
from audit.store import inspections as store


@dataclass(frozen=True)
class Answer:
    """What an inspector gave for one item; the result of a measurement follows from its limit."""

    item_id: str
    result: Result | None = None
    value: float | None = None
    text: str | None = None


def resolve(item: Item, answer: Answer) -> Answer:
    if answer.result is Result.NA:
        return Answer(item.id, Result.NA, None, answer.text)
    if item.response is ResponseType.NUMBER:
        if answer.value is None:
            return Answer(item.id)
        if not math.isfinite(answer.value):
            raise InvalidInput("inspect.error.not_a_number", field="value", label=label("value"))
        return Answer(item.id, item.result_for(answer.value), answer.value)
    if item.response is ResponseType.TEXT:
        text = answer.text or ""
        if len(text) > LIMITS["text"]:
            raise InvalidInput(
                "inspect.error.too_long", field="text", label=label("text"), limit=LIMITS["text"], length=len(text)
            )
        return Answer(item.id, answer.result, None, text or None)
    return Answer(item.id, answer.result)


def store_answer(cursor, inspection: Inspection, answer: Answer, user: User, now: datetime) -> Response | None:
    if answer.result is None and answer.value is None and not answer.text:
        store.delete_response(cursor, inspection.id, answer.item_id)
        return None
    response = Response(inspection.id, answer.item_id, answer.result, answer.value, answer.text, now, user.username)
    store.put_response(cursor, response)
    return response


@unit_of_work
def record_response(
    database: Database,
    user: User,
    inspection_id: str,
    item_id: str,
    *,
    result: Result | None = None,
    value: float | None = None,
    text: str | None = None,
    language: str = i18n.DEFAULT_LANGUAGE,
    now: datetime | None = None,
) -> Response | None:
    """Save one answer at once; a failure opens its finding form, linked to earlier failures here."""
    user = inspecting(user, database)
    now = now or datetime.now()
    with refusals_logged(database, user, "answer", item=item_id), database.write() as cursor:
        inspection = still_draft(check_draft_access(user, inspection_of(cursor, inspection_id, user)))
        checklist = checklist_version(cursor, inspection.checklist_id, inspection.checklist_hash)
        item = item_of(checklist, item_id)
        answer = resolve(item, Answer(item_id, result, value, text))
        before = store.responses_of(cursor, inspection.id).get(item_id)
        if _same(before, answer):
            return before  # a repeated tap or a replayed callback changes nothing
        response = store_answer(cursor, inspection, answer, user, now)
        if answer.result is Result.FAIL:
            _ensure_item_draft(cursor, inspection, item, user, language, now)
        store.touch_inspection(cursor, inspection.id, now, user.username)
        audit_log.append(
            cursor,
            actor=user.username,
            action="inspection.answered",
            entity="inspection",
            entity_id=inspection.id,
            before=response_record(before),
            after=response_record(response) or {"item": item_id, "result": None},
            rows={"responses": [(inspection.id, item_id)]},
        )
    return response


def _same(response: Response | None, answer: Answer) -> bool:
    if response is None:
        return answer.result is None and answer.value is None and not answer.text
    return (response.result, response.value, response.text) == (answer.result, answer.value, answer.text)


def _ensure_item_draft(
    cursor, inspection: Inspection, item: Item, user: User, language: str, now: datetime
) -> FindingDraft:
    """The finding form of a failed item, created once with its defaults; answers flipping back keep it."""
    existing = next((d for d in store.drafts_of(cursor, inspection.id) if d.item_id == item.id), None)
    if existing is not None:
        return existing
    site = site_of(cursor, inspection.site_id)
    earlier = earlier_of(cursor, inspection, item.id)
    draft = FindingDraft(
        id=new_id(),
        inspection_id=inspection.id,
        item_id=item.id,
        severity=item.severity,
        created_at=now,
        updated_at=now,
        updated_by=user.username,
        description=item.text.get(i18n.short(language)),
        responsible_unit=site.unit.zh,
        earlier=[found.id for found in earlier],
    )
    store.insert_draft(cursor, draft)
    return draft

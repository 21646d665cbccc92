"""The life of a finding, as one state machine.

    open ──report fix──> awaiting verification ──accept──> closed (销号) ──reopen──> reopened
      ^                         │                                                   │
      └────────reject──────────┘                     reopened behaves like open ───┘

Each step checks who may take it, that the finding is still the version the person saw,
and that the step is legal from the current status; then it updates the finding, writes a
finding event and an audit-log entry (before/after) in one transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime

from audit.errors import Conflict, IllegalTransition, InvalidInput, Key, NotFound, PermissionDenied
from audit.model import Finding, Status, User, new_id
from audit.photos import prepare_photo
from audit.services.database import unit_of_work
from audit.services.limits import LIMITS, MAX_PHOTOS
from audit.services.permissions import Permission, can, require, unit_scope
from audit.store import audit_log
from audit.store.db import Database
from audit.store.findings import get_finding, insert_event, update_finding
from audit.store.ledger import display_names
from audit.store.photos import attach_photo, save_photo


class Step(str, enum.Enum):
    # The same words the finding_events table uses everywhere (the demo data too).
    REPORT_FIX = "reported"
    ACCEPT = "accepted"
    REJECT = "rejected"
    REOPEN = "reopened"
    REASSIGN = "reassigned"


_OPEN = (Status.OPEN, Status.REOPENED)
TRANSITIONS: dict[tuple[Status, Step], Status] = {
    **{(status, Step.REPORT_FIX): Status.AWAITING_VERIFICATION for status in _OPEN},
    (Status.AWAITING_VERIFICATION, Step.ACCEPT): Status.CLOSED,
    (Status.AWAITING_VERIFICATION, Step.REJECT): Status.OPEN,
    (Status.CLOSED, Step.REOPEN): Status.REOPENED,
    # Reassigning changes who must fix it and by when, not where the finding stands.
    **{(status, Step.REASSIGN): status for status in (*_OPEN, Status.AWAITING_VERIFICATION)},
}

PERMISSIONS = {
    Step.REPORT_FIX: Permission.REPORT_FIX,
    Step.ACCEPT: Permission.VERIFY_FIX,
    Step.REJECT: Permission.VERIFY_FIX,
    Step.REOPEN: Permission.VERIFY_FIX,
    Step.REASSIGN: Permission.REASSIGN,
}


def next_status(status: Status, step: Step) -> Status:
    try:
        return TRANSITIONS[(status, step)]
    except KeyError:
        raise IllegalTransition(
            "ledger.error.illegal", status=Key(f"ledger.status.{status.value}"), step=Key(f"ledger.step.{step.value}")
        ) from None


def allowed_steps(actor: User, finding: Finding) -> list[Step]:
    """The steps this person may take on this finding now; what the page offers as buttons."""
    steps = []
    for step in Step:
        if (finding.status, step) not in TRANSITIONS or not can(actor, PERMISSIONS[step]):
            continue
        if step is Step.REPORT_FIX and unit_scope(actor) not in (None, finding.responsible_unit):
            continue
        if step in (Step.ACCEPT, Step.REJECT) and finding.reported_by == actor.username:
            continue
        steps.append(step)
    return steps


def in_scope(actor: User, finding: Finding) -> bool:
    scope = unit_scope(actor)
    return scope is None or finding.responsible_unit == scope


def check_scope(actor: User, finding: Finding) -> None:
    """A unit account deals with its own unit's findings only; to it another unit's finding does not exist,
    so it gets the answer a wrong id gets, naming neither the finding's number nor its unit."""
    if not in_scope(actor, finding):
        raise NotFound("ledger.error.not_found", field="id")


def _check_version(cursor, finding: Finding, version: int) -> None:
    if finding.version == version:
        return
    who = finding.updated_by or "?"
    who = display_names(cursor, [who]).get(who, who)
    when = f"{finding.updated_at:%Y-%m-%d %H:%M}" if finding.updated_at else "?"
    raise Conflict("ledger.error.conflict", field="version", number=finding.number, who=who, when=when)


@unit_of_work
def _take_step(
    database: Database,
    actor: User,
    finding_id: str,
    step: Step,
    *,
    version: int,
    note: str,
    changes: dict,
    now: datetime | None,
    photos: Sequence = (),
    check=None,
) -> Finding:
    actor = require(actor, PERMISSIONS[step], database)
    now = now or datetime.now()
    with database.write() as cursor:
        finding = get_finding(cursor, finding_id)
        if finding is None:
            raise NotFound("ledger.error.not_found", field="id")
        check_scope(actor, finding)
        _check_version(cursor, finding, version)
        changes = {"status": next_status(finding.status, step), **changes}
        if check:
            check(finding)
        before = {name: getattr(finding, name) for name in changes} | {"version": finding.version}
        if not update_finding(cursor, finding_id, version, changes, actor=actor.username, now=now):
            _check_version(cursor, get_finding(cursor, finding_id), version)
        event_id = new_id()
        insert_event(
            cursor,
            id=event_id,
            finding_id=finding_id,
            happened_at=now,
            actor=actor.username,
            action=step.value,
            from_status=finding.status.value,
            to_status=changes["status"].value,
            note=note,
        )
        for photo in photos:
            save_photo(cursor, photo, now)
            attach_photo(
                cursor, finding_id, photo.sha256, stage="fix", added_by=actor.username, now=now, event_id=event_id
            )
        audit_log.append(
            cursor,
            actor=actor.username,
            action=f"finding.{step.value}",
            entity="finding",
            entity_id=finding_id,
            before=before,
            after=changes
            | {
                "version": finding.version + 1,
                "event": event_id,
                "note": note,
                "photos": [photo.sha256 for photo in photos],
            },
            rows={
                "finding_events": [event_id],
                "photos": [photo.sha256 for photo in photos],
                "finding_photos": [(finding_id, "fix", photo.sha256, event_id) for photo in photos],
            },
        )
        return get_finding(cursor, finding_id)


def _bounded(text: str, field: str) -> str:
    if len(text) > LIMITS[field]:
        raise InvalidInput(f"ledger.error.too_long_{field}", field=field, limit=LIMITS[field], length=len(text))
    return text


def _required(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"ledger.error.required_{field}", field=field)
    return _bounded(text, field)


def report_fix(
    database: Database,
    actor: User,
    finding_id: str,
    *,
    version: int,
    fix_report: str,
    photos: Sequence[bytes] = (),
    now: datetime | None = None,
) -> Finding:
    """The responsible unit says what it did, with evidence photos; the finding awaits verification."""
    text = _required(fix_report, "fix_report")
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput("ledger.error.too_many_photos", field="photos", limit=MAX_PHOTOS, count=len(photos))
    prepared = [prepare_photo(data) for data in photos]  # checked before the write lock is taken
    now = now or datetime.now()
    changes = {"fix_report": text, "reported_by": actor.username, "reported_at": now}
    return _take_step(
        database,
        actor,
        finding_id,
        Step.REPORT_FIX,
        version=version,
        note=text,
        changes=changes,
        now=now,
        photos=prepared,
    )


def _four_eyes(actor: User):
    def check(finding: Finding) -> None:
        if finding.reported_by == actor.username:
            raise PermissionDenied("ledger.error.four_eyes", number=finding.number)

    return check


def accept_fix(
    database: Database, actor: User, finding_id: str, *, version: int, note: str = "", now: datetime | None = None
) -> Finding:
    """The verifier checked the fix: the finding is closed (销号)."""
    now = now or datetime.now()
    return _take_step(
        database,
        actor,
        finding_id,
        Step.ACCEPT,
        version=version,
        note=note.strip(),
        changes={"verifier": actor.username, "closed_at": now},
        now=now,
        check=_four_eyes(actor),
    )


def reject_fix(
    database: Database, actor: User, finding_id: str, *, version: int, reason: str, now: datetime | None = None
) -> Finding:
    """The fix does not hold: back to open, with the reason the unit will read."""
    reason = _required(reason, "reason")
    return _take_step(
        database,
        actor,
        finding_id,
        Step.REJECT,
        version=version,
        note=reason,
        changes={},
        now=now,
        check=_four_eyes(actor),
    )


def reopen(
    database: Database, actor: User, finding_id: str, *, version: int, reason: str, now: datetime | None = None
) -> Finding:
    """A re-inspection found the closed problem again."""
    reason = _required(reason, "reason")
    return _take_step(
        database,
        actor,
        finding_id,
        Step.REOPEN,
        version=version,
        note=reason,
        changes={"verifier": None, "closed_at": None},
        now=now,
    )


def reassign(
    database: Database,
    actor: User,
    finding_id: str,
    *,
    version: int,
    responsible_unit: str | None = None,
    responsible_person: str | None = None,
    deadline: date | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Finding:
    """A supervisor changes who must fix the finding and by when."""
    changes: dict = {}
    if responsible_unit is not None:
        changes["responsible_unit"] = _required(responsible_unit, "responsible_unit")
    if responsible_person is not None:
        changes["responsible_person"] = _bounded(responsible_person.strip(), "responsible_person")
    if deadline is not None:
        changes["deadline"] = deadline

    def check(finding: Finding) -> None:
        if deadline is not None and deadline < finding.found_at.date():
            raise InvalidInput(
                "ledger.error.deadline_before_found", field="deadline", found=f"{finding.found_at:%Y-%m-%d}"
            )
        if all(getattr(finding, name) == value for name, value in changes.items()):
            raise InvalidInput("ledger.error.nothing_changed")

    return _take_step(
        database,
        actor,
        finding_id,
        Step.REASSIGN,
        version=version,
        note=note.strip(),
        changes=changes,
        now=now,
        check=check,
    )

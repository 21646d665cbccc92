"""待办: each role's home as a work list. Every line comes from the store and opens where the work is done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from audit.checklists import load_checklists
from audit.model import DRAFT, InspectionLine, Overdue, Status, User, overdue_colour
from audit.services.checklists import checklists_directory
from audit.services.permissions import Permission, inspecting, require
from audit.store import Database
from audit.store import worklist as store
from audit.store.inspections import inspections_of


@dataclass(frozen=True)
class FindingLine:
    id: str
    number: str
    site: str
    description: str
    deadline: date | None = None
    status: Status | None = None
    overdue: Overdue = Overdue.NONE
    next_step: str = ""  # a catalog key: what the reader should do next


@dataclass(frozen=True)
class SupervisorCounts:
    awaiting: int
    overdue: int
    long_overdue: int
    missed_today: int
    missed_week: int
    self_missed_today: int = 0  # units' daily self-reports (每日一查一报) not made today


def _next_step(status: Status, rejected: bool) -> str:
    if status is Status.AWAITING_VERIFICATION:
        return "home.next.wait"
    if rejected or status is Status.REOPENED:
        return "home.next.more_evidence"
    return "home.next.report"


def unit_findings(database: Database, actor: User, *, today: date, language: str) -> list[FindingLine]:
    """A unit's open findings, soonest deadline first, with the colour and what to do next."""
    actor = require(actor, Permission.REPORT_FIX, database)
    with database.read() as cursor:
        rows = store.open_findings_of_unit(cursor, actor.unit or "\x00", language)
    lines = []
    for finding_id, number, site, description, deadline, status, rejected in rows:
        status = Status(status)
        lines.append(
            FindingLine(
                finding_id,
                number,
                site,
                description,
                deadline,
                status,
                overdue_colour(deadline, status, today),
                _next_step(status, rejected),
            )
        )
    return lines


def drafts_to_finish(database: Database, actor: User, *, limit: int = 30) -> list[InspectionLine]:
    """The actor's inspections still in draft, latest first: the home reads only these, not the submitted ones."""
    actor = inspecting(actor, database)
    with database.read() as cursor:
        return inspections_of(cursor, user_id=actor.id, name=actor.display_name, status=DRAFT, limit=limit)


def fixes_to_verify(database: Database, actor: User, *, language: str) -> list[FindingLine]:
    """Fixes awaiting verification on findings from the actor's own inspections."""
    actor = require(actor, Permission.VERIFY_FIX, database)
    with database.read() as cursor:
        rows = store.fixes_to_verify(cursor, actor.id, actor.display_name, language)
    return [FindingLine(*row) for row in rows]


def supervisor_counts(database: Database, actor: User, *, today: date, now: datetime) -> SupervisorCounts:
    """Fixes to verify, overdue findings, and planned visits missed today and this week."""
    actor = require(actor, Permission.VIEW_DASHBOARD, database)
    from audit.services import plans

    with database.read() as cursor:
        counts = store.finding_counts(cursor, today, None)
    week = plans.coverage(
        database, actor, start=today - timedelta(days=today.weekday()), end=today, by="day", today=today, now=now
    )
    missed_today = sum(row.missed for row in week if row.group == str(today))
    self_missed = plans.self_reports_missed(database, actor, start=today, end=today, today=today, now=now)
    return SupervisorCounts(
        counts["awaiting"],
        counts["overdue"],
        counts["long_overdue"],
        missed_today,
        sum(row.missed for row in week),
        self_missed,
    )


def checklist_problems(actor: User) -> list[str]:
    """Problems in the checklist files now on disk, one line each (file, item, reason)."""
    require(actor, Permission.MANAGE_CHECKLISTS)  # files on disk only; home() read the account just before
    return [str(problem) for problem in load_checklists(checklists_directory()).problems]

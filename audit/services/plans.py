"""督查计划: plans that say which sites are inspected, by whom and how often; the tasks they yield;
coverage (覆盖率) of tasks due against inspections made.

Tasks are made day by day as they fall due (the first request of a day makes that day's), from the
sites and checklists in force on that day: a site registered later joins, a site deactivated or a
checklist retired stops yielding. A task is done when an inspection of its site and checklist was
submitted on its day, made from the task or not, so coverage counts inspections, not clicks.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd

from audit import i18n
from audit.errors import Conflict, InvalidInput, NotFound
from audit.exports.csv_export import write_csv
from audit.model import (
    CoverageBoard,
    CoverageRow,
    Figure,
    FindingFilter,
    Plan,
    Role,
    SiteKind,
    Task,
    User,
    new_id,
    parse_recurrence,
)
from audit.services.database import unit_of_work
from audit.services.permissions import Permission, inspecting, require
from audit.store import Database, audit_log
from audit.store import plans as store

MAX_NAME = 100
MAX_SPAN_DAYS = 2 * 366
SYSTEM = "plans"  # the actor of the tasks the plans make by themselves, day by day
OVERDUE_DAYS = 7  # an inspector's list keeps undone tasks of the last week above today's
GROUPS = ("subdistrict", "site_kind", "team", "checklist", "day", "site")


def _field(key: str, field: str, **values) -> InvalidInput:
    return InvalidInput(f"plan.error.{key}", field=field, **values)


@unit_of_work
def add_plan(
    database: Database,
    actor: User,
    *,
    name: str,
    checklist_ids: list[str],
    site_codes: list[str] = (),
    site_kind: str | None = None,
    subdistrict: str | None = None,
    team: list[str] = (),
    self_inspection: bool = False,
    every: str,
    start: date,
    end: date,
    now: datetime,
) -> Plan:
    """Check every field, then save the plan; nothing is saved when one is wrong."""
    actor = require(actor, Permission.MANAGE_PLANS, database)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise _field("name", "name", most=MAX_NAME)
    if end < start:
        raise _field("dates", "to", start=str(start), end=str(end))
    if (end - start).days > MAX_SPAN_DAYS:
        raise _field("span", "to", days=MAX_SPAN_DAYS)
    try:
        recurrence = parse_recurrence(every)
    except ValueError:
        raise _field("every", "every", every=every) from None
    if not recurrence.days(start, end):
        raise _field("never_due", "every", every=recurrence.text, start=str(start), end=str(end))
    checklist_ids = list(dict.fromkeys(c.strip() for c in checklist_ids if c and c.strip()))
    site_codes = list(dict.fromkeys(c.strip() for c in site_codes if c and c.strip()))
    team = list(dict.fromkeys(u.strip() for u in team if u and u.strip()))
    if not checklist_ids:
        raise _field("no_checklist", "checklist")
    if site_kind is not None and site_kind not in {kind.value for kind in SiteKind}:
        raise _field("site_kind", "site_kind", kind=site_kind, kinds=", ".join(k.value for k in SiteKind))
    if bool(team) == bool(self_inspection):
        raise _field("who", "team")
    with database.write() as cursor:
        states = store.checklist_state(cursor, checklist_ids)
        for checklist_id in checklist_ids:
            if checklist_id not in states:
                raise _field("checklist", "checklist", id=checklist_id, known=", ".join(_all_checklists(cursor)))
            if states[checklist_id]:
                raise _field("checklist_retired", "checklist", id=checklist_id)
        codes = store.site_codes_known(cursor, site_codes)
        for code in site_codes:
            if code not in codes:
                raise _field("site", "site", code=code)
        accounts = store.users_with_roles(cursor, team)
        for username in team:
            role, active = accounts.get(username, (None, False))
            if role not in (Role.INSPECTOR.value, Role.SUPERVISOR.value) or not active:
                raise _field("team_member", "team", username=username)
        if not store.plan_site_count(cursor, site_codes, site_kind, subdistrict or None):
            raise _field("no_sites", "site")
        plan = Plan(
            id=new_id(),
            name=name,
            checklist_ids=tuple(checklist_ids),
            site_codes=tuple(site_codes),
            site_kind=site_kind,
            subdistrict=subdistrict or None,
            team=tuple(team),
            self_inspection=bool(self_inspection),
            recurrence=recurrence,
            start=start,
            end=end,
            created_by=actor.username,
        )
        store.insert_plan(cursor, plan, now)
        audit_log.append(
            cursor, actor=actor.username, action="plan.created", entity="plan", entity_id=plan.id, after=_log_view(plan)
        )
    return plan


def _all_checklists(cursor) -> list[str]:
    from audit.store.checklists import latest

    return [checklist.id for checklist in latest(cursor)]


def _log_view(plan: Plan) -> dict:
    return {
        "name": plan.name,
        "checklists": list(plan.checklist_ids),
        "sites": list(plan.site_codes),
        "site_kind": plan.site_kind,
        "subdistrict": plan.subdistrict,
        "team": list(plan.team),
        "self_inspection": plan.self_inspection,
        "every": plan.recurrence.text,
        "from": str(plan.start),
        "to": str(plan.end),
        "active": plan.active,
    }


@unit_of_work
def set_plan_active(database: Database, actor: User, plan: Plan, active: bool, *, now: datetime) -> None:
    actor = require(actor, Permission.MANAGE_PLANS, database)
    with database.write() as cursor:
        if not store.set_active(cursor, plan.id, active, plan.version, now, actor.username):
            raise Conflict("plan.error.changed")
        audit_log.append(
            cursor,
            actor=actor.username,
            action="plan.activated" if active else "plan.stopped",
            entity="plan",
            entity_id=plan.id,
            before={"active": plan.active},
            after={"active": active},
        )


def plans(database: Database, actor: User) -> list[Plan]:
    actor = require(actor, Permission.MANAGE_PLANS, database)
    with database.read() as cursor:
        return store.plans(cursor)


def plan_warnings(database: Database, actor: User, plan: Plan, language: str) -> list[str]:
    """What stops part of a plan from yielding tasks now: deactivated sites, retired checklists, no sites."""
    actor = require(actor, Permission.MANAGE_PLANS, database)
    warnings = []
    with database.read() as cursor:
        codes = store.site_codes_known(cursor, list(plan.site_codes))
        states = store.checklist_state(cursor, list(plan.checklist_ids))
        count = store.plan_site_count(cursor, list(plan.site_codes), plan.site_kind, plan.subdistrict)
    for code in plan.site_codes:
        if not codes.get(code, False):
            warnings.append(i18n.t("plan.warning.site_inactive", language, code=code))
    for checklist_id in plan.checklist_ids:
        if states.get(checklist_id, True):
            warnings.append(i18n.t("plan.warning.checklist_retired", language, id=checklist_id))
    if count == 0:
        warnings.append(i18n.t("plan.warning.no_sites", language))
    return warnings


@unit_of_work
def ensure_tasks(database: Database, upto: date, *, now: datetime) -> int:
    """Make every active plan's tasks up to `upto` that are not made yet; returns how many were added.

    A database opened read-only (a command run beside the app) is read as the server last made it."""
    if database.read_only:
        return 0
    added, advanced, days = 0, [], []
    with database.write() as cursor:
        for plan in store.plans(cursor, active_only=True):
            made = store.made_through(cursor, plan.id)
            first = max(plan.start, made + timedelta(days=1)) if made else plan.start
            last = min(plan.end, upto)
            if first > last:
                continue
            added += store.make_tasks(cursor, plan, plan.recurrence.days(first, last), now)
            store.set_made_through(cursor, plan.id, last)
            advanced.append(plan.id)
            days += [first, last]
        if advanced:
            # The tasks made or joined are among those due in the days made, recorded in one statement; a
            # row recorded again unchanged does no harm.
            audit_log.append(
                cursor,
                actor=SYSTEM,
                action="tasks.made",
                entity="database",
                after={"plans": advanced, "from": str(min(days)), "through": str(max(days)), "tasks_added": added},
                rows={"plans": advanced},
                rows_where={"tasks": ("due BETWEEN ? AND ?", [min(days), max(days)])},
            )
    return added


def _task(row: tuple) -> Task:
    return Task(*row)


def my_tasks(database: Database, actor: User, *, today: date, now: datetime, language: str) -> list[Task]:
    """Today's tasks for the actor's team (a unit: its own self-inspections), undone ones of the last week first."""
    actor = require(actor, Permission.VIEW_TASKS, database)
    ensure_tasks(database, today, now=now)
    with database.read() as cursor:
        if actor.role is Role.UNIT:
            rows = store.tasks_of(
                cursor, today - timedelta(days=OVERDUE_DAYS), today, unit=actor.unit or "\x00", language=language
            )
        else:
            rows = store.tasks_of(
                cursor, today - timedelta(days=OVERDUE_DAYS), today, username=actor.username, language=language
            )
    tasks = [_task(row) for row in rows]
    return [task for task in tasks if task.due == today or not task.done]


def start_task(database: Database, actor: User, task: Task, *, now: datetime):
    """One tap: an inspection of the task's site and checklist, with the actor as its team."""
    from audit.services.inspections import start_inspection

    actor = inspecting(
        actor, database
    )  # a unit's task is its self-inspection; start_inspection keeps it to its own sites
    return start_inspection(
        database,
        actor,
        site_id=task.site_id,
        checklist_id=task.checklist_id,
        inspectors=[actor.display_name],
        started_at=now,
        now=now,
    )


def coverage(
    database: Database,
    actor: User,
    *,
    start: date,
    end: date,
    by: str,
    today: date,
    now: datetime,
    language: str = i18n.DEFAULT_LANGUAGE,
) -> list[CoverageRow]:
    """Tasks due, done and missed in the range, by subdistrict, site kind, team, checklist, day or site."""
    actor = require(actor, Permission.VIEW_COVERAGE, database)
    if by not in GROUPS:
        raise _field("group", "by", by=by, groups=", ".join(GROUPS))
    if end < start:
        raise _field("dates", "to", start=str(start), end=str(end))
    ensure_tasks(database, min(end, today), now=now)
    with database.read() as cursor:
        return [
            CoverageRow(group or "", due, done) for group, due, done in store.coverage(cursor, start, end, by, language)
        ]


TOP_MISSED = 15


def _coverage_figures(periods: pd.DataFrame) -> tuple[Figure, ...]:
    def total(period: str, self_inspection: bool, column: str) -> float | None:
        rows = periods[(periods["period"] == period) & (periods["self_inspection"] == self_inspection)]
        return float(rows[column].sum()) if len(rows) else None

    def figure(key: str, value, higher_is_better: bool, unit: str = "count") -> Figure:
        return Figure(key, value("current"), value("previous"), higher_is_better, unit)

    def rate(period: str) -> float | None:
        due = total(period, False, "due")
        return total(period, False, "done") / due if due else None

    def missed(self_inspection: bool):
        def value(period: str) -> float | None:
            due = total(period, self_inspection, "due")
            return None if due is None else due - total(period, self_inspection, "done")

        return value

    return (
        figure("coverage_rate", rate, True, "rate"),
        figure("visits_missed", missed(False), False),
        figure("self_reports_missed", missed(True), False),
    )


def dashboard_coverage(
    database: Database,
    actor: User,
    filters: FindingFilter,
    *,
    selected_site: str | None = None,
    today: date,
    now: datetime,
    language: str = i18n.DEFAULT_LANGUAGE,
) -> CoverageBoard:
    """Coverage for the dashboard's period and places: figures against the period before, supervision tasks
    done and missed per day, week or month, and the sites missed this week (Monday to today). Units' daily
    self-reports are counted apart. A tapped site narrows everything but the missed-site charts, which keep
    every site to tap."""
    actor = require(actor, Permission.VIEW_COVERAGE, database)
    ensure_tasks(database, today, now=now)
    scope = replace(filters, site=selected_site) if selected_site else filters
    end, week = min(filters.found_to, today), today - timedelta(days=today.weekday())
    with database.read() as cursor:
        periods = store.coverage_periods(cursor, scope, filters.previous_start, filters.found_from, end)
        over_time = store.coverage_over_time(cursor, scope, filters.found_from, end, filters.grain)
        missed = {
            self_inspection: store.missed_sites(
                cursor, filters, week, today, self_inspection=self_inspection, language=language, top=TOP_MISSED
            )
            for self_inspection in (False, True)
        }
    over_time = over_time.assign(missed=over_time["due"] - over_time["done"]).melt(
        id_vars=["period", "due"], value_vars=["done", "missed"], var_name="state", value_name="tasks"
    )
    over_time["state_label"] = [i18n.t(f"dashboard.coverage.{state}", language) for state in over_time["state"]]
    current = periods[periods["period"] == "current"]
    return CoverageBoard(
        headline=_coverage_figures(periods),
        over_time=over_time.sort_values(["period", "state"], ignore_index=True),
        missed_sites=missed[False],
        missed_self_reports=missed[True],
        week_start=week,
        due=int(current["due"].sum()),
        selected_site=selected_site,
    )


def self_reports_missed(database: Database, actor: User, *, start: date, end: date, today: date, now: datetime) -> int:
    """Daily self-reports (每日一查一报) units were due to make in the range and did not."""
    rows = coverage(database, actor, start=start, end=end, by="team", today=today, now=now)
    return sum(row.missed for row in rows if row.group == SELF_GROUP)


SELF_GROUP = "(self)"  # the team of a self-inspection task in coverage by team


def coverage_csv(database: Database, actor: User, *, start: date, end: date, today: date, now: datetime, out) -> int:
    """One row per site, checklist and due day: site_code, checklist_id, due_date, done (true/false)."""
    actor = require(actor, Permission.VIEW_COVERAGE, database)
    if end < start:
        raise _field("dates", "to", start=str(start), end=str(end))
    ensure_tasks(database, min(end, today), now=now)
    with database.read() as cursor:
        reader = store.coverage_rows(cursor, start, end)
        batches = list(reader)
    headings = ["site_code", "checklist_id", "due_date", "done", "site_name", "subdistrict", "site_kind", "team"]
    import pyarrow as pa

    strings = [
        pa.RecordBatch.from_arrays([column.cast(pa.string()) for column in batch.columns], names=headings)
        for batch in batches
    ]
    return write_csv(strings, headings, out, total=sum(batch.num_rows for batch in strings))


@unit_of_work
def retire_checklist(database: Database, actor: User, checklist_id: str, *, today: date) -> None:
    """From today on, plans stop yielding tasks for this checklist; inspections made with it stay."""
    actor = require(actor, Permission.MANAGE_CHECKLISTS, database)
    with database.write() as cursor:
        states = store.checklist_state(cursor, [checklist_id])
        if checklist_id not in states:
            raise NotFound("plan.error.checklist_unknown", id=checklist_id)
        if not states[checklist_id]:
            store.retire_checklist(cursor, checklist_id, today, actor.username)
            audit_log.append(
                cursor,
                actor=actor.username,
                action="checklist.retired",
                entity="checklist",
                entity_id=checklist_id,
                after={"retired_on": str(today)},
            )


def coverage_bytes(database: Database, actor: User, **options) -> bytes:
    out = io.BytesIO()
    coverage_csv(database, actor, out=out, **options)
    return out.getvalue()


def plan_choices(database: Database, actor: User, language: str) -> dict[str, dict[str, str]]:
    actor = require(actor, Permission.MANAGE_PLANS, database)
    with database.read() as cursor:
        return {name: dict(pairs) for name, pairs in store.choices(cursor, language).items()}

"""回头看: re-check campaigns over closed findings, to see whether fixes held (巩固) or relapsed (反弹).

A supervisor draws closed findings of a period (all, or a sample of a size or a share); the draw orders
the matching findings by sha256("<seed>:<finding id>") and takes the first ones, so with the seed kept
on the campaign anyone can repeat it and see that nobody picked the items. Inspectors of the campaign's
team re-check each item at its site; a relapse opens a new finding through the one place findings open,
linked to the old one as a repeat. Units see nothing of campaigns.
"""

from __future__ import annotations

import io
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from audit import i18n
from audit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from audit.exports.csv_export import write_csv
from audit.model import (
    Campaign,
    CampaignFilter,
    CampaignItem,
    Finding,
    RecheckOutcome,
    RelapseRate,
    Role,
    Severity,
    SiteKind,
    Status,
    User,
    default_deadline,
    new_id,
)
from audit.services.database import unit_of_work
from audit.services.inspections.submission import open_finding
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log
from audit.store import rechecks as store
from audit.store.findings import get_finding
from audit.store.plans import choices, users_with_roles

MAX_NAME = 100
MAX_TEXT = 2000
MAX_SEED = 2**63 - 1
EXPORT_COLUMNS = (
    "number",
    "site_code",
    "site",
    "site_kind",
    "unit",
    "severity",
    "description",
    "closed_at",
    "outcome",
    "new_number",
    "checked_by",
    "checked_at",
    "note",
)


def _field(key: str, field: str, **values) -> InvalidInput:
    return InvalidInput(f"recheck.error.{key}", field=field, **values)


def _sample_size(population: int, size: int | None, share: float | None) -> int:
    if size is not None and share is not None:
        raise _field("size_and_share", "sample_size")
    if share is not None:
        if not 0 < share <= 1:
            raise _field("share", "sample_share", share=share)
        return max(1, math.ceil(share * population))
    if size is None:
        return population
    if size < 1:
        raise _field("empty_sample", "sample_size")
    if size > population:
        raise _field("size_too_large", "sample_size", size=size, population=population)
    return size


def _seed(seed: int | str | None) -> int:
    """The seed given (a whole number, as typed or not), or a new one short enough to read out and write down."""
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return secrets.randbelow(10**9)
    try:
        value = int(str(seed).strip())
    except ValueError:
        raise _field("seed", "seed", most=MAX_SEED) from None
    if not 0 <= value <= MAX_SEED:
        raise _field("seed", "seed", most=MAX_SEED)
    return value


def _check_scope(scope: CampaignFilter) -> None:
    if scope.closed_to < scope.closed_from:
        raise _field("dates", "closed_to", start=str(scope.closed_from), end=str(scope.closed_to))
    if scope.site_kind is not None and scope.site_kind not in {kind.value for kind in SiteKind}:
        raise _field("site_kind", "site_kind", kind=scope.site_kind)
    if scope.severity is not None and scope.severity not in {severity.value for severity in Severity}:
        raise _field("severity", "severity", severity=scope.severity)


@unit_of_work
def start_campaign(
    database: Database,
    actor: User,
    *,
    name: str,
    scope: CampaignFilter,
    team: list[str],
    due: date,
    sample_size: int | None = None,
    sample_share: float | None = None,
    seed: int | str | None = None,
    now: datetime,
) -> Campaign:
    """Check every field, draw the items and save the campaign with them; nothing is saved when one is wrong."""
    actor = require(actor, Permission.START_RECHECKS, database)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise _field("name", "name", most=MAX_NAME)
    _check_scope(scope)
    if due < now.date():
        raise _field("due", "due", day=str(due))
    seed = _seed(seed)
    team = list(dict.fromkeys(u.strip() for u in team if u and u.strip()))
    if not team:
        raise _field("no_team", "team")
    with database.write() as cursor:
        accounts = users_with_roles(cursor, team)
        for username in team:
            role, active = accounts.get(username, (None, False))
            if role not in (Role.INSPECTOR.value, Role.SUPERVISOR.value) or not active:
                raise _field("team_member", "team", username=username)
        population = store.population(cursor, scope)
        if population == 0:
            raise _field("nothing_closed", "closed_from", start=str(scope.closed_from), end=str(scope.closed_to))
        size = _sample_size(population, sample_size, sample_share)
        drawn = store.draw(cursor, scope, seed, size)
        campaign = Campaign(
            id=new_id(),
            name=name,
            scope=scope,
            team=tuple(team),
            due=due,
            seed=seed,
            population=population,
            drawn=len(drawn),
            sample_size=sample_size,
            sample_share=sample_share,
            created_by=actor.username,
            created_at=now,
        )
        store.insert_campaign(cursor, campaign, drawn)
        audit_log.append(
            cursor,
            actor=actor.username,
            action="recheck.started",
            entity="recheck_campaign",
            entity_id=campaign.id,
            after=_log_view(campaign, [finding_id for finding_id, _ in drawn]),
            rows_where={"recheck_items": ("campaign_id = ?", [campaign.id])},
        )
    return campaign


def _log_view(campaign: Campaign, finding_ids: list[str]) -> dict:
    scope = campaign.scope
    return {
        "name": campaign.name,
        "closed_from": str(scope.closed_from),
        "closed_to": str(scope.closed_to),
        "site_kind": scope.site_kind,
        "severity": scope.severity,
        "unit": scope.unit,
        "sample_size": campaign.sample_size,
        "sample_share": campaign.sample_share,
        "seed": campaign.seed,
        "population": campaign.population,
        "team": list(campaign.team),
        "due": str(campaign.due),
        "findings": finding_ids,
    }


def campaigns(database: Database, actor: User) -> list[Campaign]:
    actor = require(actor, Permission.START_RECHECKS, database)
    with database.read() as cursor:
        return store.campaigns(cursor)


@dataclass(frozen=True)
class CampaignReport:
    """A campaign with its items, its progress and its relapse rates by unit and by site kind."""

    campaign: Campaign
    items: list[CampaignItem]
    by_unit: list[RelapseRate]
    by_site_kind: list[RelapseRate]

    @property
    def checked(self) -> int:
        return sum(1 for item in self.items if item.outcome is not None)

    @property
    def relapsed(self) -> int:
        return sum(1 for item in self.items if item.outcome is RecheckOutcome.RELAPSED)


def campaign_report(database: Database, actor: User, campaign_id: str, *, language: str) -> CampaignReport:
    actor = require(actor, Permission.START_RECHECKS, database)
    with database.read() as cursor:
        campaign = store.get_campaign(cursor, campaign_id)
        if campaign is None:
            raise NotFound("recheck.error.not_found")
        return CampaignReport(
            campaign,
            store.items(cursor, campaign_id=campaign_id, language=language),
            [RelapseRate(*row) for row in store.relapse_rates(cursor, campaign_id, "unit")],
            [RelapseRate(*row) for row in store.relapse_rates(cursor, campaign_id, "site_kind")],
        )


def my_rechecks(database: Database, actor: User, *, language: str) -> list[CampaignItem]:
    """Items still to re-check in the campaigns whose team holds the actor."""
    actor = require(actor, Permission.RECORD_RECHECK, database)
    with database.read() as cursor:
        if not store.open_count(cursor, actor.username):
            return []  # the usual case: the home page then reads nothing from the findings table
        return store.items(cursor, username=actor.username, open_only=True, language=language)


def open_items(database: Database, actor: User) -> int:
    """Items of every campaign not re-checked yet, for the supervisor's home."""
    actor = require(actor, Permission.START_RECHECKS, database)
    with database.read() as cursor:
        return store.open_count(cursor)


@unit_of_work
def record_recheck(
    database: Database,
    actor: User,
    campaign_id: str,
    finding_id: str,
    *,
    outcome: str,
    note: str = "",
    description: str = "",
    severity: str | None = None,
    now: datetime,
) -> Finding | None:
    """Record held or relapsed; a relapse opens a new finding, a repeat of the old one, and returns it."""
    actor = require(actor, Permission.RECORD_RECHECK, database)
    try:
        outcome = RecheckOutcome(outcome)
    except ValueError:
        raise _field("outcome", "outcome") from None
    note, description = (note or "").strip(), (description or "").strip()
    if len(note) > MAX_TEXT:
        raise _field("too_long", "note", most=MAX_TEXT)
    if outcome is RecheckOutcome.RELAPSED and not description:
        raise _field("description", "description")
    if len(description) > MAX_TEXT:
        raise _field("too_long", "description", most=MAX_TEXT)
    if severity is not None and severity not in {s.value for s in Severity}:
        raise _field("severity", "severity", severity=severity)
    with database.write() as cursor:
        campaign = store.get_campaign(cursor, campaign_id)
        if campaign is None or not store.items(cursor, campaign_id=campaign_id, finding_id=finding_id):
            raise NotFound("recheck.error.not_found")
        if actor.role is not Role.SUPERVISOR and actor.username not in campaign.team:
            raise PermissionDenied("recheck.error.not_in_team", name=campaign.name)
        opened = None
        if outcome is RecheckOutcome.RELAPSED:
            opened = open_finding(
                cursor,
                _relapse(get_finding(cursor, finding_id), actor, description, severity, now),
                actor,
                now,
                record={"description": description, "recheck": campaign_id, "severity": severity or None},
            )
        if not store.record_outcome(
            cursor, campaign_id, finding_id, outcome, note, opened.id if opened else None, actor.username, now
        ):
            raise Conflict("recheck.error.already")  # the new finding above is rolled back with it
        audit_log.append(
            cursor,
            actor=actor.username,
            action="recheck.recorded",
            entity="recheck_campaign",
            entity_id=campaign_id,
            after={
                "finding": finding_id,
                "outcome": outcome.value,
                "note": note,
                "new_finding": opened.number if opened else None,
            },
            rows={"recheck_items": [(campaign_id, finding_id)]},
        )
    return opened


def _relapse(old: Finding, actor: User, description: str, severity: str | None, now: datetime) -> Finding:
    """The new finding a relapse opens: same site, item and unit as the old one, which it repeats."""
    chosen = Severity(severity) if severity else old.severity
    return Finding(
        id=new_id(),
        number="",
        site_id=old.site_id,
        description=description,
        severity=chosen,
        responsible_unit=old.responsible_unit,
        responsible_person=old.responsible_person,
        deadline=default_deadline(now.date(), chosen),
        found_at=now,
        inspector=actor.display_name,
        status=Status.OPEN,
        checklist_id=old.checklist_id,
        item_id=old.item_id,
        requirement=old.requirement,
        repeat_of=[old.id],
        updated_at=now,
        updated_by=actor.username,
    )


def campaign_csv(database: Database, actor: User, campaign_id: str, *, language: str) -> bytes:
    """The campaign's items as CSV: UTF-8 with BOM, cells a spreadsheet could run made inert."""
    actor = require(actor, Permission.START_RECHECKS, database)
    with database.read() as cursor:
        if store.get_campaign(cursor, campaign_id) is None:
            raise NotFound("recheck.error.not_found")
        batches = list(store.export_rows(cursor, campaign_id))
    batches = [pa.RecordBatch.from_arrays(batch.columns, names=list(EXPORT_COLUMNS)) for batch in batches]
    headings = [i18n.t(f"recheck.column.{column}", language) for column in EXPORT_COLUMNS]
    out = io.BytesIO()
    write_csv([b for b in batches if b.num_rows], headings, out, total=sum(b.num_rows for b in batches))
    return out.getvalue()


def units(database: Database, actor: User) -> list[str]:
    actor = require(actor, Permission.START_RECHECKS, database)
    with database.read() as cursor:
        return store.units(cursor)


def team_choices(database: Database, actor: User, language: str) -> dict[str, str]:
    actor = require(actor, Permission.START_RECHECKS, database)
    with database.read() as cursor:
        return dict(choices(cursor, language)["team"])

"""What the administration page does beyond accounts: the audit log's check, checklist state, single sites."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace

from pydantic import ValidationError

from audit.checklists import LoadResult
from audit.errors import InvalidInput, NotFound
from audit.model import Site, User
from audit.services.checklists import checklists_directory, sync_checklists
from audit.services.database import unit_of_work
from audit.services.permissions import Permission, require
from audit.services.sites import SiteRow
from audit.store import Database, audit_log, invariants, ledger_counts, search_index, verification_queue
from audit.store import sites as site_store


def check_audit_log(
    database: Database, actor: User, anchors: Mapping[int, str] | None = None
) -> audit_log.VerifyResult:
    """Every entry against its hash and the one before it, and against `anchors` ({seq: hash}) written
    down earlier. The page and `python -m audit verify-log` (which cannot open a file the server holds)."""
    actor = require(actor, Permission.MANAGE_ACCOUNTS, database)
    with database.read() as cursor:
        return audit_log.verify(cursor, anchors)


def check_invariants(database: Database, actor: User) -> list[str]:
    """What must hold however many processes write (one username per account, one number per finding,
    one audit-log entry per seq, one task per visit), in words; empty when all hold."""
    actor = require(actor, Permission.MANAGE_ACCOUNTS, database)
    with database.read() as cursor:
        return invariants.problems(cursor)


@unit_of_work
def rebuild_verification_queue(database: Database, actor: User) -> int:
    """Make the queue of fixes awaiting verification again from the findings; returns for how many findings it differed."""
    actor = require(actor, Permission.MANAGE_ACCOUNTS, database)
    with database.write() as cursor:
        differing, _ = verification_queue.drift(cursor)
        if differing:
            verification_queue.rebuild(cursor)
            audit_log.append(
                cursor,
                actor=actor.username,
                action="verification_queue.rebuilt",
                entity="database",
                after={"findings_differing": differing},
            )
    return differing


@unit_of_work
def rebuild_ledger_tables(database: Database, actor: User) -> int:
    """Make what the ledger reads in place of the findings again from them (the search's distinct texts
    and their character pairs, the counts of findings); returns how many rows of them disagreed."""
    actor = require(actor, Permission.MANAGE_ACCOUNTS, database)
    with database.write() as cursor:
        differing = sum(search_index.drift(cursor).values()) + ledger_counts.drift(cursor)
        if differing:
            search_index.rebuild(cursor)
            ledger_counts.rebuild(cursor)
            audit_log.append(
                cursor,
                actor=actor.username,
                action="ledger_tables.rebuilt",
                entity="database",
                after={"rows_differing": differing},
            )
    return differing


def checklist_state(database: Database, actor: User) -> LoadResult:
    """Reload the checklist files now: what loaded (new versions registered) and what failed, with why."""
    actor = require(actor, Permission.MANAGE_CHECKLISTS, database)
    return sync_checklists(database, checklists_directory(), actor=actor.username)


def find_sites(database: Database, actor: User, search: str | None = None) -> list[Site]:
    """Every site, active or not, whose name or code contains `search`."""
    actor = require(actor, Permission.MANAGE_SITES, database)
    with database.read() as cursor:
        return site_store.list_sites(cursor, search=search, active_only=False)


def _site_by_code(cursor, code: str) -> Site | None:
    return next(
        (site for site in site_store.list_sites(cursor, search=code, active_only=False) if site.code == code), None
    )


def _valid_site(values: Mapping[str, str]) -> dict[str, str]:
    try:
        return SiteRow(**{column: values.get(column, "") for column in site_store.COLUMNS}).model_dump()
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0])
        raise InvalidInput(
            "sites.error.field", field=field, name=field, reason=first["msg"].removeprefix("Value error, ")
        ) from None


@unit_of_work
def save_site(database: Database, actor: User, values: Mapping[str, str]) -> Site:
    """Add a site, or change the one with the same code (its id, which findings point to, stays)."""
    actor = require(actor, Permission.MANAGE_SITES, database)
    row = _valid_site(values)
    with database.write() as cursor:
        before = _site_by_code(cursor, row["code"])
        site_store.import_sites(cursor, [row], actor=actor.username)
        after = _site_by_code(cursor, row["code"])
        audit_log.append(
            cursor,
            actor=actor.username,
            action="site.saved",
            entity="site",
            entity_id=after.id,
            before=asdict(before) if before else None,
            after=asdict(after),
        )
    return after


@unit_of_work
def set_site_active(database: Database, actor: User, site_id: str, active: bool) -> Site:
    actor = require(actor, Permission.MANAGE_SITES, database)
    with database.write() as cursor:
        before = site_store.get_site(cursor, site_id)
        if before is None:
            raise NotFound("sites.error.gone", field="site")
        site_store.set_site_active(cursor, site_id, active, actor=actor.username)
        audit_log.append(
            cursor,
            actor=actor.username,
            action="site.enabled" if active else "site.deactivated",
            entity="site",
            entity_id=site_id,
            before={"active": before.active},
            after={"active": active},
        )
    return replace(before, active=active)

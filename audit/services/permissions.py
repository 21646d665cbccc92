"""Who may do what. Checked in the services, whatever the pages show or hide."""

from __future__ import annotations

import enum
from dataclasses import replace

from audit.errors import Key, PermissionDenied
from audit.model import FindingFilter, Role, User


class Permission(str, enum.Enum):
    RUN_INSPECTION = "run_inspection"
    RECORD_FINDING = "record_finding"
    VIEW_LEDGER = "view_ledger"
    REPORT_FIX = "report_fix"
    VERIFY_FIX = "verify_fix"
    VIEW_DASHBOARD = "view_dashboard"
    EXPORT = "export"
    REASSIGN = "reassign"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_SITES = "manage_sites"
    MANAGE_CHECKLISTS = "manage_checklists"
    BACKUP = "backup"
    DRAFT_BULLETIN = "draft_bulletin"
    VIEW_BULLETINS = "view_bulletins"
    RECORD_MEASURE = "record_measure"
    VIEW_MEASURES = "view_measures"
    MANAGE_PLANS = "manage_plans"
    VIEW_TASKS = "view_tasks"
    VIEW_COVERAGE = "view_coverage"
    SELF_INSPECT = "self_inspect"  # a unit walks a checklist at its own sites (自查); see inspecting()
    START_RECHECKS = "start_rechecks"
    RECORD_RECHECK = "record_recheck"


_INSPECTOR = {
    Permission.RUN_INSPECTION,
    Permission.RECORD_FINDING,
    Permission.VIEW_LEDGER,
    Permission.VERIFY_FIX,
    Permission.VIEW_TASKS,
    Permission.RECORD_RECHECK,
}
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.INSPECTOR: frozenset(_INSPECTOR),
    Role.SUPERVISOR: frozenset(
        _INSPECTOR
        | {
            Permission.VIEW_DASHBOARD,
            Permission.EXPORT,
            Permission.REASSIGN,
            Permission.DRAFT_BULLETIN,
            Permission.VIEW_BULLETINS,
            Permission.RECORD_MEASURE,
            Permission.VIEW_MEASURES,
            Permission.MANAGE_PLANS,
            Permission.VIEW_COVERAGE,
            Permission.START_RECHECKS,
        }
    ),
    # A unit sees its own findings only (see unit_scope), in the ledger, the dashboard and exports.
    Role.UNIT: frozenset(
        {
            Permission.VIEW_LEDGER,
            Permission.REPORT_FIX,
            Permission.VIEW_DASHBOARD,
            Permission.EXPORT,
            Permission.VIEW_BULLETINS,
            Permission.VIEW_MEASURES,  # only what names the unit
            Permission.VIEW_TASKS,
            Permission.SELF_INSPECT,
        }
    ),  # its own self-inspections
    Role.ADMIN: frozenset(
        {
            Permission.MANAGE_ACCOUNTS,
            Permission.MANAGE_SITES,
            Permission.MANAGE_CHECKLISTS,
            Permission.BACKUP,
            Permission.VIEW_BULLETINS,
        }
    ),
}


def can(actor: User | None, permission: Permission) -> bool:
    return actor is not None and actor.active and permission in GRANTS[actor.role]


def require(actor: User | None, permission: Permission, database=None) -> User:
    """The actor, if it may do this. Given the database, the actor is read again first (see `current`)."""
    if actor is not None and database is not None:
        actor = current(database, actor)
    if actor is None:
        raise PermissionDenied("permissions.error.signed_out")
    if not can(actor, permission):
        raise PermissionDenied(
            "permissions.error.not_allowed",
            role=Key(f"accounts.role.{actor.role.value}"),
            username=actor.username,
            action=Key(f"permissions.action.{permission.value}"),
        )
    return actor


# Ids of the actors the command line makes for itself (`cli:<os user>`); stored accounts have UUIDs.
COMMAND_LINE_ID = "cli:"


def current(database, actor: User) -> User:
    """The account as stored now: whatever User a session or callback still holds, a disabled or
    removed account may do nothing, and a changed role or unit applies from this call on.

    The command line's own actor is taken as it is: whoever runs it holds the database file.
    """
    from audit.store import users

    if actor.id.startswith(COMMAND_LINE_ID):
        return actor
    with database.read() as cursor:
        account = users.get_account(cursor, actor.id)
    if account is None or not account.user.active:
        raise PermissionDenied("accounts.error.actor_gone", username=actor.username)
    return account.user


def inspecting(actor: User | None, database=None) -> User:
    """Supervision (RUN_INSPECTION) or a unit's self-inspection (SELF_INSPECT); which sites and inspections
    a unit may touch is checked where the inspection is known (audit/services/inspections).
    Given the database, the actor is read again first, as `require` does."""
    if actor is not None and database is not None:
        actor = current(database, actor)
    if can(actor, Permission.SELF_INSPECT):
        return actor
    return require(actor, Permission.RUN_INSPECTION)


def unit_scope(actor: User) -> str | None:
    """The responsible unit a unit account is confined to; None means every unit."""
    if actor.role is Role.UNIT:
        if not actor.unit:
            raise PermissionDenied("permissions.error.no_unit", username=actor.username)
        return actor.unit
    return None


def scoped(actor: User, flt: FindingFilter) -> FindingFilter:
    """The filter as this person may run it: a unit account is held to its own unit."""
    scope = unit_scope(actor)
    return flt if scope is None else replace(flt, unit=scope)

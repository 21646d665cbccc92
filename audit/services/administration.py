"""What the administration page checks: the audit log's chain and the state of every checklist file."""

from __future__ import annotations

from audit.checklists import LoadResult
from audit.model import User
from audit.services.checklists import checklists_directory, sync_checklists
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log


def check_audit_log(database: Database, actor: User) -> audit_log.VerifyResult:
    """The same check as `python -m audit verify-log`, which cannot open a file the server holds."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    with database.read() as cursor:
        return audit_log.verify(cursor)


def checklist_state(database: Database, actor: User) -> LoadResult:
    """Reload the checklist files now: what loaded (new versions registered) and what failed, with why."""
    require(actor, Permission.MANAGE_CHECKLISTS)
    return sync_checklists(database, checklists_directory(), actor=actor.username)

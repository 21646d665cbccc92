"""Checking the audit log from inside the app, where the running server holds the file."""

from __future__ import annotations

from audit.model import User
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log


def check_audit_log(database: Database, actor: User) -> audit_log.VerifyResult:
    """The same check as `python -m audit verify-log`, which cannot open a file the server holds."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    with database.read() as cursor:
        return audit_log.verify(cursor)

"""What an operator's monitor asks: does the database answer, and is the latest backup fine?"""

from __future__ import annotations

from audit.errors import AuditError
from audit.services.backup_schedule import backup_warning, latest_run
from audit.store.db import Database
from audit.store.health import ping


def health(database: Database) -> dict:
    """`status` ok or failing; `backup` ok, never, failed or stale. Nothing about the data itself."""
    try:
        with database.read() as cursor:
            ping(cursor)
        run = latest_run(database)
    except AuditError:
        return {"status": "failing", "database": "unavailable"}
    return {"status": "ok", "database": "ok", "backup": backup_warning(run) or "ok"}

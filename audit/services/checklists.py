"""Bring the checklist files into the database, so each inspection can name the exact version it used."""

from __future__ import annotations

from pathlib import Path

from audit.checklists import LoadResult, load_checklists
from audit.services.database import unit_of_work
from audit.settings import settings
from audit.store import audit_log
from audit.store import checklists as checklist_store
from audit.store.db import Database


def checklists_directory() -> Path:
    """Where the checklist files live: the AUDIT_CHECKLISTS setting, else the project's checklists/ folder."""
    return settings().checklists


@unit_of_work
def sync_checklists(database: Database, directory: str | Path, *, actor: str = "system") -> LoadResult:
    """Load every file and register each new version in one transaction; broken files are only reported."""
    result = load_checklists(directory)
    with database.write() as cursor:
        for checklist in result.checklists:
            source = Path(result.sources[checklist.id]).name
            if checklist_store.register(cursor, checklist, source):
                audit_log.append(
                    cursor,
                    actor=actor,
                    action="checklist.registered",
                    entity="checklist",
                    entity_id=checklist.id,
                    after={"version": checklist.version, "content_hash": checklist.content_hash, "source_file": source},
                )
    return result

"""Every line of SQL in the project lives in this package."""

from __future__ import annotations

import os

from audit.store.db import Database, database_path, unit_of_work
from audit.store.migrations import migrate

__all__ = ["Database", "database_path", "open_database", "unit_of_work"]


def open_database(path: str | os.PathLike | None = None, *, read_only: bool = False) -> Database:
    """Open (creating if needed) and bring the schema up to date."""
    database = Database(database_path(path), read_only=read_only)
    if not read_only:
        migrate(database)
    return database

"""Opening the database, for the app and the command line: neither reaches into `audit.store` itself."""

from audit.store import Database, database_path, open_database, unit_of_work
from audit.store.backend import is_lake

__all__ = ["Database", "database_path", "is_lake", "open_database", "unit_of_work"]

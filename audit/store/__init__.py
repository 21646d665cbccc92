"""Every line of SQL in the project lives in this package."""

from audit.store.db import Database, database_path, open_database

__all__ = ["Database", "database_path", "open_database"]
